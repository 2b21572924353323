"""EventStream / AsyncEventStream against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest

from arazzo_runner.errors import RunTimeout, StreamError
from arazzo_runner.streaming.event_stream import (
    AsyncEventStream,
    EventStream,
    NotAnEventStream,
    ensure_event_stream,
)
from arazzo_runner.streaming.sse import ServerSentEvent
from tests.support.asgi_server import serve
from tests.support.sse_servers import (
    HOLD,
    RESET,
    SSE_HEADERS,
    Pause,
    SSEAppState,
    Step,
    raw_server,
    sse_app,
)

TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture(scope="module")
def app_state() -> SSEAppState:
    return SSEAppState()


@pytest.fixture(scope="module")
def base_url(app_state: SSEAppState) -> Iterator[str]:
    with serve(sse_app(app_state)) as url:
        yield url


@pytest.fixture()
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as c:
        yield c


def open_stream(client: httpx.Client, url: str, **bounds: float | None) -> EventStream:
    response = client.send(client.build_request("GET", url), stream=True)
    return EventStream(response, **bounds)  # type: ignore[arg-type]


# -- starlette app -------------------------------------------------------------------------


def test_finite_stream_yields_every_event_then_closes(client: httpx.Client, base_url: str) -> None:
    stream = open_stream(client, base_url + "/finite")
    events = list(stream)
    assert [(e.event, e.json(), e.id) for e in events] == [
        ("tick", {"n": 0}, "0"),
        ("tick", {"n": 1}, "1"),
        ("tick", {"n": 2}, "2"),
    ]
    assert stream.events_received == 3
    assert stream.last_event == events[-1]
    assert stream.last_event_id == "2"
    assert stream.response.is_closed and stream.closed


def test_close_on_endless_stream_disconnects(
    client: httpx.Client, base_url: str, app_state: SSEAppState
) -> None:
    app_state.disconnected.clear()
    with open_stream(client, base_url + "/endless") as stream:
        first = [next(stream) for _ in range(3)]
    assert all(e.event == "message" and e.data.isdigit() for e in first)
    assert stream.response.is_closed
    assert app_state.disconnected.wait(3.0), "the server never saw the client go away"
    with pytest.raises(StopIteration):
        next(stream)


def test_iteration_resumes_after_break(client: httpx.Client, base_url: str) -> None:
    with open_stream(client, base_url + "/finite") as stream:
        first = next(iter(stream))
        rest = list(stream)
    assert [first.id] + [e.id for e in rest] == ["0", "1", "2"]


def test_validation_error_is_not_parsed_as_sse(client: httpx.Client, base_url: str) -> None:
    stream = open_stream(client, base_url + "/validation")
    with pytest.raises(NotAnEventStream) as info:
        next(stream)
    error = info.value
    assert error.status_code == 422 and error.exit_code == 3
    assert "HTTP 422" in str(error) and "validation_error" in str(error) and "req-1" in str(error)
    assert b"field required" in error.body
    assert stream.events_received == 0 and stream.response.is_closed


def test_html_502_is_rejected_with_its_status(client: httpx.Client, base_url: str) -> None:
    stream = open_stream(client, base_url + "/bad-gateway")
    with pytest.raises(NotAnEventStream, match="HTTP 502") as info:
        list(stream)
    assert b"nginx" in info.value.body
    assert isinstance(info.value, StreamError)


def test_json_200_is_rejected_for_its_content_type(client: httpx.Client, base_url: str) -> None:
    with client.stream("GET", base_url + "/not-sse") as response:
        with pytest.raises(NotAnEventStream, match="application/json"):
            EventStream.check_response(response)
        assert not response.is_stream_consumed  # the check does not read the body


def test_deadline_fires_despite_heartbeats(client: httpx.Client, base_url: str) -> None:
    stream = open_stream(client, base_url + "/heartbeat", deadline=0.4, idle_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(RunTimeout, match=r"deadline=0\.4 s") as info:
        list(stream)
    assert 0.35 < time.monotonic() - started < 2.0
    assert info.value.exit_code == 3 and stream.response.is_closed


# -- raw socket server ---------------------------------------------------------------------


def test_next_and_for_loops_share_one_position(client: httpx.Client, base_url: str) -> None:
    with open_stream(client, base_url + "/finite") as stream:
        first = None
        for event in stream:  # a for loop left with break, then next() on the stream
            first = event
            break
        assert first is not None
        second = next(stream)
        rest = list(stream)
        assert stream.events_received == 3
        assert stream.last_event == rest[-1]
    assert [first.id, second.id, *(e.id for e in rest)] == ["0", "1", "2"]


GZIP_HEADERS = SSE_HEADERS.replace(b"Connection:", b"Content-Encoding: gzip\r\nConnection:")


def _gzip_pieces(text: str) -> list[Step]:
    """``text`` gzip-compressed, flushed after every event so each arrives on its own."""
    packer = zlib.compressobj(wbits=31)  # gzip container
    pieces: list[Step] = [
        packer.compress(block.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)
        for block in text.split("|")
    ]
    return [*pieces, packer.flush()]


def test_gzip_coded_stream_is_decoded_before_parsing(client: httpx.Client) -> None:
    pieces = _gzip_pieces("data: one\n\n|event: e\ndata: two\n\n|data: three\n\n")
    with raw_server(pieces, headers=GZIP_HEADERS) as server:
        events = list(open_stream(client, server.url))
    assert [(e.event, e.data) for e in events] == [
        ("message", "one"),
        ("e", "two"),
        ("message", "three"),
    ]


def test_async_gzip_coded_stream_is_decoded_before_parsing() -> None:
    pieces = _gzip_pieces("data: one\n\n|data: two\n\n")

    async def collect(url: str) -> list[str]:
        async with httpx.AsyncClient(timeout=TIMEOUT) as c:
            response = await c.send(c.build_request("GET", url), stream=True)
            async with AsyncEventStream(response) as stream:
                return [event.data async for event in stream]

    with raw_server(pieces, headers=GZIP_HEADERS) as server:
        assert asyncio.run(collect(server.url)) == ["one", "two"]


def test_awkward_split_points(client: httpx.Client) -> None:
    body = "\ufeffdata: caf\u00e9 \U0001f600\r\n\r\ndata: two\r\rdata: x\n".encode()
    cuts = [1, 2, 11, 13, 17, 18, 19, 20, 24, 33, len(body) - 1]
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    with raw_server(pieces) as server:
        events = list(open_stream(client, server.url))
    assert [e.data for e in events] == ["caf\u00e9 \U0001f600", "two"]  # tail "data: x" dropped
    assert server.request.startswith(b"GET / HTTP/1.1")


def test_event_is_delivered_before_the_stream_goes_quiet(client: httpx.Client) -> None:
    with raw_server([b"data: now\n\n", HOLD]) as server:
        stream = open_stream(client, server.url, idle_timeout=2.0)
        started = time.monotonic()
        assert next(stream) == ServerSentEvent(data="now")
        assert time.monotonic() - started < 1.5  # well before the idle bound fired
        with pytest.raises(RunTimeout, match=r"idle_timeout=2 s"):
            next(stream)
        assert server.client_closed.wait(3.0)


def test_first_byte_timeout_fires_quickly(client: httpx.Client) -> None:
    with raw_server([HOLD]) as server:
        stream = open_stream(client, server.url, first_byte_timeout=0.3, idle_timeout=0.1)
        started = time.monotonic()
        with pytest.raises(RunTimeout, match=r"first_byte_timeout=0\.3 s") as info:
            list(stream)
        assert 0.25 < time.monotonic() - started < 2.0
        assert "after 0 events" in str(info.value)
        assert server.client_closed.wait(3.0)
    assert stream.response.is_closed


def test_idle_bound_replaces_the_client_read_timeout() -> None:
    script: list[Step] = [b"data: 1\n\n", Pause(0.3), b"data: 2\n\n"]
    with raw_server(script) as server, httpx.Client(timeout=httpx.Timeout(5, read=0.1)) as c:
        events = list(open_stream(c, server.url, idle_timeout=2.0))
    assert [e.data for e in events] == ["1", "2"]


def test_reset_mid_event_is_a_stream_error(client: httpx.Client) -> None:
    with raw_server([b"data: 1\n\n", b"data: half", RESET]) as server:
        stream = open_stream(client, server.url)
        assert next(stream).data == "1"
        with pytest.raises(StreamError, match="broke after 1 events"):
            next(stream)
        assert stream.response.is_closed
        assert server.finished.wait(3.0)


def test_endless_line_hits_max_event_bytes(client: httpx.Client) -> None:
    with raw_server([b"data: " + b"x" * 3000, b"y" * 3000, HOLD]) as server:
        response = client.send(client.build_request("GET", server.url), stream=True)
        stream = EventStream(response, max_event_bytes=4096)
        with pytest.raises(StreamError, match="max_event_bytes=4096"):
            next(stream)
        assert server.client_closed.wait(3.0)


def test_media_type_check_ignores_case_and_parameters(client: httpx.Client) -> None:
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=windows-1252\r\n\r\n"
    with raw_server([b"data: \xc3\xa9\n\n"], headers=headers) as server:
        with client.stream("GET", server.url) as response:
            ensure_event_stream(response)
            assert [e.data for e in EventStream(response)] == ["\u00e9"]  # UTF-8 regardless


def test_without_a_socket_the_bound_is_checked_after_each_read() -> None:
    def slow_body() -> Iterator[bytes]:
        yield b"data: 1\n\n"
        time.sleep(0.3)  # a transport that cannot be interrupted
        yield b"data: 2\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, content=slow_body())

    with httpx.Client(transport=httpx.MockTransport(handler)) as mock:
        with mock.stream("GET", "http://test/") as response:
            stream = EventStream(response, idle_timeout=0.1)
            assert next(stream).data == "1"
            with pytest.raises(RunTimeout, match=r"idle_timeout=0\.1 s"):
                next(stream)


def test_sync_and_async_responses_are_not_mixed(client: httpx.Client, base_url: str) -> None:
    with client.stream("GET", base_url + "/finite") as response:
        with pytest.raises(TypeError, match="async"):
            AsyncEventStream(response)


# -- async ---------------------------------------------------------------------------------


async def _collect(url: str, limit: int | None = None, **bounds: float) -> list[str]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.send(client.build_request("GET", url), stream=True)
        seen: list[str] = []
        async with AsyncEventStream(response, **bounds) as stream:  # type: ignore[arg-type]
            async for event in stream:
                seen.append(event.data)
                if len(seen) == limit:
                    break
        assert response.is_closed
        return seen


def test_async_finite_stream(base_url: str) -> None:
    data = asyncio.run(_collect(base_url + "/finite"))
    assert data == ['{"n": 0}', '{"n": 1}', '{"n": 2}']


def test_async_close_on_endless_stream(base_url: str, app_state: SSEAppState) -> None:
    app_state.disconnected.clear()
    assert len(asyncio.run(_collect(base_url + "/endless", limit=2))) == 2
    assert app_state.disconnected.wait(3.0)


def test_async_idle_timeout() -> None:
    with raw_server([b"data: a\n\n", HOLD]) as server:
        seen: list[str] = []

        async def consume() -> None:
            seen.extend(await _collect(server.url, idle_timeout=0.3))

        started = time.monotonic()
        with pytest.raises(RunTimeout, match=r"idle_timeout=0\.3 s"):
            asyncio.run(consume())
        assert time.monotonic() - started < 2.0
        assert server.client_closed.wait(3.0)


def test_async_rejects_error_response(base_url: str) -> None:
    with pytest.raises(NotAnEventStream, match="HTTP 422") as info:
        asyncio.run(_collect(base_url + "/validation"))
    assert b"detail" in info.value.body
