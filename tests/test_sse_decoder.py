"""SSEDecoder against the shared conformance vectors, plus limits and chunking properties."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arazzo_runner.errors import StreamError
from arazzo_runner.streaming.sse import ServerSentEvent, SSEDecoder

VECTORS_PATH = Path(__file__).parents[2] / "shared/sse/sse-vectors.json"


def _load_vectors() -> list[dict[str, Any]]:
    if not VECTORS_PATH.is_file():
        return []
    vectors: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return vectors


VECTORS = _load_vectors()


def _raw(vector: dict[str, Any]) -> bytes:
    if "input_hex" in vector:
        return bytes.fromhex(vector["input_hex"])
    return str(vector["input"]).encode("utf-8")


def _cut(data: bytes, offsets: Iterable[int]) -> list[bytes]:
    bounds = [0, *offsets, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _run(chunks: Iterable[bytes], **options: int) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder(**options)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events, decoder


def _splits(vector: dict[str, Any]) -> dict[str, list[bytes]]:
    data = _raw(vector)
    ways = {"whole": [data], "bytewise": [data[i : i + 1] for i in range(len(data))]}
    if "chunks" in vector:
        ways["chunks"] = _cut(data, vector["chunks"])
    return ways


CASES = [
    pytest.param(vector, way, id=f"{vector['name']}-{way}")
    for vector in VECTORS
    for way in _splits(vector)
]


@pytest.mark.skipif(not VECTORS, reason=f"conformance vectors not found at {VECTORS_PATH}")
def test_vector_file_shape() -> None:
    assert len(VECTORS) == 74
    assert all(isinstance(v.get("chunks", []), list) for v in VECTORS)


@pytest.mark.skipif(not VECTORS, reason=f"conformance vectors not found at {VECTORS_PATH}")
@pytest.mark.parametrize(("vector", "way"), CASES)
def test_vector(vector: dict[str, Any], way: str) -> None:
    events, decoder = _run(_splits(vector)[way])
    got = [{"event": e.event, "data": e.data, "id": e.id, "retry": e.retry} for e in events]
    assert got == vector["expected"]
    assert {"last_event_id": decoder.last_event_id, "retry": decoder.retry} == vector["final"]


def test_event_is_dispatched_by_the_feed_that_completes_it() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: a\ndata: 1\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(event="a", data="1")]
    assert decoder.feed(b"data: 2\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(data="2")]  # no wait for a possible LF
    assert decoder.feed(b"\ndata: 3\n\n") == [ServerSentEvent(data="3")]
    assert decoder.close() == []


def test_unfinished_block_is_dropped_at_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\nid: 5\ndata: lost\n") == [ServerSentEvent(data="1")]
    assert decoder.close() == []
    assert decoder.last_event_id == ""
    with pytest.raises(StreamError, match="closed"):
        decoder.feed(b"\n")


def test_json_helper() -> None:
    assert ServerSentEvent(data='{"partial": false}').json() == {"partial": False}
    with pytest.raises(json.JSONDecodeError):
        ServerSentEvent(data="").json()


def test_events_are_immutable_records() -> None:
    decoder = SSEDecoder()
    fast, slow = decoder.feed(b"event: a\ndata: 1\n\nid: 9\ndata: 2\nretry: 5\n\n")
    assert fast == ServerSentEvent(event="a", data="1")  # the findall path
    assert slow == ServerSentEvent(data="2", id="9", retry=5)  # the line-by-line path
    assert type(fast) is type(slow) is ServerSentEvent
    with pytest.raises(AttributeError):
        fast.data = "changed"  # type: ignore[misc]
    assert fast._replace(data="x") == ServerSentEvent(event="a", data="x")
    assert repr(fast) == "ServerSentEvent(event='a', data='1', id='', retry=None)"


def test_comment_blocks_between_simple_ones_keep_the_id() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 4\n\ndata: a\n\n: ping\n\n\n\nevent: t\ndata: b\n\nid: 5\n")
    assert [(e.event, e.data, e.id) for e in events] == [("message", "a", "4"), ("t", "b", "4")]
    assert decoder.last_event_id == "4"  # "id: 5" is not dispatched until its blank line


def test_endless_line_is_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(StreamError, match="unfinished line reached 1206 bytes"):
        decoder.feed(b"x" * 300)


def test_many_data_lines_are_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(StreamError, match="max_event_bytes=100"):
        decoder.feed(b"data: 0123456789\n" * 10)


def test_limit_counts_utf8_bytes_not_characters() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    decoder.feed(("data: " + "\u00e9" * 20 + "\n").encode())  # 41 bytes, 21 characters
    with pytest.raises(StreamError):
        decoder.feed(("data: " + "\u00e9" * 20 + "\n").encode())


def test_limit_applies_per_event() -> None:
    events, _ = _run([b"data: " + b"x" * 90 + b"\n\n"] * 50, max_event_bytes=100)
    assert len(events) == 50


def test_max_event_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_event_bytes=0)


# -- property: chunking never changes the result -------------------------------------------

_ALPHABET = [b"data", b"id", b"event", b"retry", b":", b" ", b"\r", b"\n", b"\r\n", b"7", b"x"]
_PIECES = st.one_of(
    st.sampled_from(_ALPHABET),
    st.sampled_from([b"\xef\xbb\xbf", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xff", b"\x00"]),
    st.binary(max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(b"".join), st.lists(st.integers(0, 200), max_size=12))
def test_any_chunking_gives_the_same_events(stream: bytes, offsets: list[int]) -> None:
    whole, whole_decoder = _run([stream])
    cuts = sorted({o for o in offsets if o <= len(stream)})
    split, split_decoder = _run(_cut(stream, cuts))
    assert split == whole
    assert (split_decoder.last_event_id, split_decoder.retry) == (
        whole_decoder.last_event_id,
        whole_decoder.retry,
    )
    bytewise, _ = _run(stream[i : i + 1] for i in range(len(stream)))
    assert bytewise == whole
