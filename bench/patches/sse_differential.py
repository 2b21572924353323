"""Differential check of two versions of ``sse.py``: the same events, errors and state.

    git show HEAD:arazzo_runner/sse.py > /tmp/sse_before.py
    python bench/patches/sse_differential.py /tmp/sse_before.py arazzo_runner/sse.py [SEED]

Random streams over an alphabet of field names, values, comments, every line terminator, a BOM,
NUL and non-ASCII text, cut into random chunks, decoded with a large and two tiny
``max_event_bytes``: the event lists, the error raised (if any), ``last_event_id`` and ``retry``
must be equal. Not part of the test suite (it compares two files, not behaviour to a spec).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from types import ModuleType
from typing import Any

TOKENS = ["data:", "data: ", "event:", "event: ", "id:", "id: 7", "retry: 10", "retry:x", ":c"]
TOKENS += ["\n", "\n", "\n\n", "\r", "\r\n", " ", "x", "é", "\ufeff", "data", "ev", "\x00", "😀"]
# Whole blocks of the shapes servers send (the decoder's fast path), mixed with the tokens above
BLOCKS = ["data: a\n\n", "event: e\ndata: {}\n\n", "data:b\n\n", "event:\ndata:\n\n", ": ka\n\n"]
BLOCKS += ["id: 3\n", "\n", "data: é😀\r\n\r\n", "event: t\r\ndata: c\r\n\r\n", "retry: 5\n"]


def load(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def decode(module: ModuleType, chunks: list[bytes], max_bytes: int) -> tuple[Any, ...]:
    decoder = module.SSEDecoder(max_event_bytes=max_bytes)
    events: list[tuple[Any, ...]] = []
    error = None
    try:
        for chunk in chunks:
            events += [(e.event, e.data, e.id, e.retry) for e in decoder.feed(chunk)]
        events += [(e.event, e.data, e.id, e.retry) for e in decoder.close()]
    except Exception as exc:  # the same error must come out of both
        error = (type(exc).__name__, str(exc))
    return events, error, decoder.last_event_id, decoder.retry


def main() -> None:
    before, after = load("sse_before", sys.argv[1]), load("sse_after", sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    for _ in range(30_000):
        alphabet = TOKENS if rng.random() < 0.5 else BLOCKS * 4 + TOKENS
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        raw = text.encode("utf-8", "surrogatepass")
        cuts = sorted(rng.sample(range(len(raw) + 1), min(len(raw) + 1, rng.randint(0, 5))))
        chunks = [raw[i:j] for i, j in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        max_bytes = rng.choice([16 * 1024 * 1024, 8, 20])
        first, second = decode(before, chunks, max_bytes), decode(after, chunks, max_bytes)
        assert first == second, (raw, chunks, max_bytes, first, second)
    print("equal on 30000 random streams")


if __name__ == "__main__":
    main()
