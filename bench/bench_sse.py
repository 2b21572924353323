"""SSE consumption benchmark: arazzo_runner EventStream vs httpx-sse over loopback.

    python -m bench.bench_sse [--mb 200] [--latency-events 2000] [--gap-ms 1] [--repeat 3]

A server process serves (a) ``--mb`` MB of fal-any-llm-shaped events as fast as it can and
(b) ``--latency-events`` small events ``--gap-ms`` apart, each carrying the server's
``time.monotonic_ns()`` (CLOCK_MONOTONIC is shared by processes on one machine). Every consumer
runs in its own fresh process so ``ru_maxrss`` (peak RSS) is its own. Reported:

* throughput in MB/s (best of ``--repeat``) of SSE body over HTTP, and decoding alone from
  memory (httpx-sse's private decoder classes, bench only);
* delivery latency p50/p99 from the server's write to the consumer's hand-off;
* peak RSS of the consumer process, and its growth over the baseline after imports;
* the same stream with every event checked against the fal description's item schema
  (``event-schema``, ``docs/checks.md``), and with a consumer that parses each event's JSON.

The ``/bulk`` stream repeats one 1 MB block of events, so neither side ever holds the payload.
The floor is a bare socket reader (bytes only, nothing parsed). httpx-sse runs from our venv
when it is installed there, else from ``bench/.venvs/httpx-sse`` (:mod:`bench.peers`).
"""

from __future__ import annotations

import argparse
import codecs
import importlib
import importlib.util
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

CHUNK = 64 * 1024
HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Cache-Control: no-store\r\nConnection: close\r\n\r\n"
)


# -- server (runs in its own process) --------------------------------------------------------


BLOCK_MB = 1.0
SMALL_REPEATS = 20  # ``/small``: the block 20 times, for tools that hold the whole body


def make_payload(mb: float) -> tuple[bytes, int]:
    """About ``mb`` MB of events like fal any-llm's (cumulative text, JSON data)."""
    events: list[bytes] = []
    size = 0
    n = 0
    target = int(mb * 1_000_000)
    while size < target:
        text = f"token{n} " * (5 + n % 40)
        data = json.dumps({"output": text, "partial": True, "error": None})
        event = f"event: event\ndata: {data}\n\n".encode()
        if n % 50 == 0:
            event += b": keep-alive\n\n"
        events.append(event)
        size += len(event)
        n += 1
    return b"".join(events), n


def bulk_size(mb: float) -> tuple[int, int, int]:
    """(repeats of the block, bytes, events) of the ``/bulk`` stream for ``mb`` MB."""
    block, events = make_payload(BLOCK_MB)
    repeats = max(1, round(mb * 1_000_000 / len(block)))
    return repeats, repeats * len(block), repeats * events


def serve(mb: float) -> None:
    """``/bulk``: the 1 MB block repeated to ``mb`` MB; ``/small``: 20 times; ``/endless``:
    until the client goes; ``/latency/N/GAP``: N stamped events GAP ms apart. Never holds more
    than one block."""
    block, per_block = make_payload(BLOCK_MB)
    repeats, size, count = bulk_size(mb)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    small = {"small_bytes": SMALL_REPEATS * len(block), "small_events": SMALL_REPEATS * per_block}
    print(json.dumps({"port": port, "events": count, "bytes": size, **small}))
    sys.stdout.flush()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_handle, args=(conn, block, repeats), daemon=True).start()


def _send_blocks(conn: socket.socket, block: bytes, repeats: int | None) -> None:
    view = memoryview(block)
    sent = 0
    while repeats is None or sent < repeats:
        for start in range(0, len(block), CHUNK):
            conn.sendall(view[start : start + CHUNK])
        sent += 1


def _handle(conn: socket.socket, block: bytes, repeats: int) -> None:
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = b""
        while b"\r\n\r\n" not in request:
            piece = conn.recv(4096)
            if not piece:
                return
            request += piece
        path = request.split(b" ", 2)[1].decode()
        try:
            conn.sendall(HEADERS)
            if path.startswith(("/bulk", "/small", "/endless")):
                count = {"/bulk": repeats, "/small": SMALL_REPEATS}.get(path)
                _send_blocks(conn, block, count)
            else:
                _, n, gap = path.split("/")[1:4]
                for i in range(int(n)):
                    stamp = {"t": time.monotonic_ns(), "i": i}
                    conn.sendall(f"data: {json.dumps(stamp)}\n\n".encode())
                    time.sleep(int(gap) / 1000)
        except OSError:
            pass


# -- consumers (each in a fresh process) -----------------------------------------------------


def iter_ours(url: str) -> Iterator[str]:
    import httpx

    from arazzo_runner.streaming.event_stream import EventStream

    with httpx.Client(timeout=30) as client:
        response = client.send(client.build_request("GET", url), stream=True)
        with EventStream(response, idle_timeout=30) as stream:
            for event in stream:
                yield event.data


FAL_OPENAPI = os.path.join(os.path.dirname(__file__), "..", "openapi", "fal-model-apis-openapi.yml")


def fal_event_hook() -> Callable[[Any], bool]:
    """The ``event-schema`` check of fal's ``streamRequest`` (its ``x-itemSchema``), as a run
    builds it; a finding is an error here (the bench's events are all valid)."""
    from pathlib import Path

    from arazzo_runner.document import load_file
    from arazzo_runner.document.openapi import load_openapi
    from arazzo_runner.validation.contract import Contract

    path = Path(FAL_OPENAPI).resolve()
    index, _ = load_openapi(load_file(path), path.as_uri(), lambda url: load_file(path))
    operation = index.by_id("streamRequest")
    checks = Contract().operation(index, operation) if operation is not None else None
    found: list[Any] = []
    hook = checks.event_hook(200, "text/event-stream", found) if checks is not None else None
    if hook is None:
        raise RuntimeError("the fal description has no item schema for streamRequest")

    def checked(event: Any) -> bool:
        if not hook(event):
            raise RuntimeError(f"an event failed its check: {found[-1].reason}")
        return True

    return checked


def iter_ours_checked(url: str) -> Iterator[str]:
    """EventStream with every event checked against fal's item schema (``event-schema``)."""
    import httpx

    from arazzo_runner.streaming.event_stream import EventStream

    hook = fal_event_hook()
    with httpx.Client(timeout=30) as client:
        response = client.send(client.build_request("GET", url), stream=True)
        with EventStream(response, idle_timeout=30, inspect=hook) as stream:
            for event in stream:
                yield event.data


def iter_ours_parsed(url: str) -> Iterator[str]:
    """EventStream whose consumer parses each event's JSON (what a fal client does anyway)."""
    for data in iter_ours(url):
        json.loads(data)
        yield data


def iter_httpx_sse(url: str) -> Iterator[str]:
    import httpx
    from httpx_sse import connect_sse

    with httpx.Client(timeout=30) as client:
        with connect_sse(client, "GET", url) as source:
            for event in source.iter_sse():
                if event.data:  # httpx-sse dispatches data-less blocks; the spec does not
                    yield event.data


def iter_socket(url: str) -> Iterator[str]:
    """The floor: a bare socket reader. Bulk: bytes read, nothing parsed (one item per read);
    latency: ``data:`` lines as they arrive."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        if not parts.path.startswith("/latency"):
            buffer = bytearray(256 * 1024)
            while sock.recv_into(buffer):
                yield ""
            return
        for line in sock.makefile("rb"):
            if line.startswith(b"data: "):
                yield line[6:].decode()


def decode_ours(block: bytes, repeats: int) -> int:
    from arazzo_runner.streaming.sse import SSEDecoder

    decoder = SSEDecoder()
    n = 0
    for _ in range(repeats):
        for start in range(0, len(block), CHUNK):
            n += len(decoder.feed(block[start : start + CHUNK]))
    return n + len(decoder.close())


def decode_ours_checked(block: bytes, repeats: int) -> int:
    from arazzo_runner.streaming.sse import SSEDecoder

    hook = fal_event_hook()
    decoder = SSEDecoder()
    n = 0
    for _ in range(repeats):
        for start in range(0, len(block), CHUNK):
            for event in decoder.feed(block[start : start + CHUNK]):
                n += hook(event)
    return n + len(decoder.close())


def decode_httpx_sse(block: bytes, repeats: int) -> int:
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder  # private API, bench only

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines, decoder = SSELineDecoder(), SSEDecoder()
    n = 0
    for _ in range(repeats):
        for start in range(0, len(block), CHUNK):
            for line in lines.decode(text.decode(block[start : start + CHUNK])):
                event = decoder.decode(line)
                n += event is not None and bool(event.data)
    return n


CONSUMERS: dict[str, tuple[Callable[[str], Iterator[str]], Callable[[bytes, int], int] | None]] = {
    "floor: bare socket": (iter_socket, None),
    "arazzo_runner EventStream": (iter_ours, decode_ours),
    "EventStream, every event checked (event-schema)": (iter_ours_checked, decode_ours_checked),
    "EventStream, consumer parses each event's JSON": (iter_ours_parsed, None),
    "httpx-sse": (iter_httpx_sse, decode_httpx_sse),
}
IMPORTS = {
    "floor: bare socket": [],
    "arazzo_runner EventStream": ["httpx", "arazzo_runner.streaming.event_stream"],
    "EventStream, every event checked (event-schema)": ["httpx", "arazzo_runner"],
    "EventStream, consumer parses each event's JSON": ["httpx", "arazzo_runner"],
    "httpx-sse": ["httpx", "httpx_sse"],
}


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _best_of(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    """The shortest of ``repeat`` timed runs (loopback on a shared machine is noisy)."""
    best, result = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def run_consumer(name: str, base: str, mb: float, latency_path: str, repeat: int) -> dict[str, Any]:
    stream, decode = CONSUMERS[name]
    for module in IMPORTS[name]:  # fails early without httpx-sse
        importlib.import_module(module)
    block, _ = make_payload(BLOCK_MB)
    repeats, size, _ = bulk_size(mb)
    if decode is not None:
        decode(block, 1)  # warm up
    sum(1 for _ in stream(base + "/latency/20/0"))
    baseline = _rss_mib()  # ru_maxrss is a lifetime peak: measure it around the stream only
    elapsed, count = _best_of(repeat, lambda: sum(1 for _ in stream(base + "/bulk")))
    peak = _rss_mib()
    latencies = [
        (time.monotonic_ns() - json.loads(data)["t"]) / 1e6 for data in stream(base + latency_path)
    ]
    decoded, decode_mb_s = None, None
    if decode is not None:
        decode_elapsed, decoded = _best_of(repeat, lambda: decode(block, repeats))
        decode_mb_s = size / 1e6 / decode_elapsed
    q = statistics.quantiles(latencies, n=100)
    return {
        "events": None if decode is None else count,
        "decoded": decoded,
        "http_mb_s": size / 1e6 / elapsed,
        "decode_mb_s": decode_mb_s,
        "p50_ms": q[49],
        "p99_ms": q[98],
        "rss_mib": peak,
        "rss_growth_mib": peak - baseline,
    }


# -- driver ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="MB of SSE body (default 200)")
    parser.add_argument("--latency-events", type=int, default=2000)
    parser.add_argument("--gap-ms", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for throughput")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--consumer", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    latency_path = f"/latency/{args.latency_events}/{args.gap_ms}"
    if args.serve:
        serve(args.mb)
    elif args.consumer:
        print(
            json.dumps(run_consumer(args.consumer, args.base, args.mb, latency_path, args.repeat))
        )
    else:
        drive(args)


def consumer_python(name: str) -> str:
    """The interpreter for a consumer: ours, or httpx-sse's own venv when ours lacks it."""
    if name != "httpx-sse" or importlib.util.find_spec("httpx_sse") is not None:
        return sys.executable
    from bench.peers import PEERS, install

    found = install(PEERS["httpx-sse"])
    return str(found) if not isinstance(found, str) else sys.executable


def drive(args: argparse.Namespace) -> None:
    opts = ["--mb", str(args.mb), "--latency-events", str(args.latency_events)]
    opts += ["--gap-ms", str(args.gap_ms), "--repeat", str(args.repeat)]
    me = os.path.abspath(__file__)
    server = subprocess.Popen([sys.executable, me, *opts, "--serve"], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        base = f"http://127.0.0.1:{info['port']}"
        print(
            f"payload: {info['bytes'] / 1e6:.1f} MB, {info['events']} events; "
            f"latency: {args.latency_events} events {args.gap_ms} ms apart; "
            f"python {sys.version.split()[0]}"
        )
        rows = [
            (name, _consume([consumer_python(name), me, *opts], name, base)) for name in CONSUMERS
        ]
    finally:
        server.terminate()
        server.wait(timeout=5)
    print()
    _table(rows, info["events"])
    print(f"\nCommand: `python -m bench.bench_sse {' '.join(opts)}`")


def _consume(argv: list[str], name: str, base: str) -> dict[str, Any] | str:
    done = subprocess.run(
        [*argv, "--consumer", name, "--base", base], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        missing = "No module named 'httpx_sse'" in done.stderr
        return "not installed (pip install httpx-sse)" if missing else done.stderr.strip()[-300:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _cell(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(rows: list[tuple[str, dict[str, Any] | str]], expected_events: int) -> None:
    head = ("consumer", "HTTP MB/s", "decode MB/s", "p50 ms", "p99 ms", "peak RSS", "RSS growth")
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    found: dict[str, dict[str, Any]] = {}
    for name, r in rows:
        if isinstance(r, str):
            print(f"| {name} | {r} |" + " |" * (len(head) - 2))
            continue
        found[name] = r
        counts = {r["events"], r["decoded"]} - {None}
        flag = "" if counts <= {expected_events} else " (event count differs!)"
        print(
            f"| {name}{flag} | {r['http_mb_s']:.0f} | {_cell(r['decode_mb_s'])} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rss_mib']:.0f} MiB | "
            f"{r['rss_growth_mib']:.1f} MiB |"
        )
    ours, theirs = found.get("arazzo_runner EventStream"), found.get("httpx-sse")
    print()
    if ours and theirs:
        http = ours["http_mb_s"] / theirs["http_mb_s"]
        decode = ours["decode_mb_s"] / theirs["decode_mb_s"]
        print(
            f"- EventStream / httpx-sse throughput: HTTP **{http:.2f}x**, decode {decode:.2f}x"
            " (target: HTTP at least 2x)"
        )
    if ours:
        print(
            f"- EventStream p99 delivery latency: **{ours['p99_ms']:.2f} ms** (target under 2 ms)"
        )
        print(
            f"- EventStream peak RSS: **{ours['rss_mib']:.0f} MiB**, growth while streaming "
            f"{ours['rss_growth_mib']:.1f} MiB (target under 60 MB and flat)"
        )
    checked = found.get("EventStream, every event checked (event-schema)")
    parsed = found.get("EventStream, consumer parses each event's JSON")
    if ours and checked:
        kept = checked["http_mb_s"] / ours["http_mb_s"]
        line = (
            f"- every event checked against fal's item schema: HTTP {checked['http_mb_s']:.0f}"
            f" MB/s, **{kept:.2f}x** the unchecked stream (target at least 0.75x)"
        )
        if parsed:
            line += (
                f"; {checked['http_mb_s'] / parsed['http_mb_s']:.2f}x a consumer that only"
                " parses each event's JSON"
            )
        print(line)


if __name__ == "__main__":
    main()
