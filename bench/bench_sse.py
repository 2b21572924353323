"""SSE consumption benchmark: arazzo_runner EventStream vs httpx-sse over loopback.

    python bench/bench_sse.py [--mb 50] [--latency-events 2000] [--gap-ms 1] [--repeat 3]

A server process serves (a) ``--mb`` MB of fal-any-llm-shaped events as fast as it can and
(b) ``--latency-events`` small events ``--gap-ms`` apart, each carrying the server's
``time.monotonic_ns()`` (CLOCK_MONOTONIC is shared by processes on one machine). Every consumer
runs in its own fresh process so ``ru_maxrss`` (peak RSS) is its own. Reported:

* throughput in MB/s (best of ``--repeat``) of SSE body over HTTP, and decoding alone from
  memory (httpx-sse's private decoder classes, bench only);
* delivery latency p50/p99 from the server's write to the consumer's hand-off;
* peak RSS of the consumer process, and its growth over the baseline after imports.

httpx-sse is optional: without it those rows say "not installed".
"""

from __future__ import annotations

import argparse
import codecs
import importlib
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

CHUNK = 64 * 1024
HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Cache-Control: no-store\r\nConnection: close\r\n\r\n"
)


# -- server (runs in its own process) --------------------------------------------------------


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


def serve(mb: float) -> None:
    payload, count = make_payload(mb)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(json.dumps({"port": listener.getsockname()[1], "events": count, "bytes": len(payload)}))
    sys.stdout.flush()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_handle, args=(conn, payload), daemon=True).start()


def _handle(conn: socket.socket, payload: bytes) -> None:
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
            if path.startswith("/bulk"):
                view = memoryview(payload)
                for start in range(0, len(payload), CHUNK):
                    conn.sendall(view[start : start + CHUNK])
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

    from arazzo_runner.event_stream import EventStream

    with httpx.Client(timeout=30) as client:
        response = client.send(client.build_request("GET", url), stream=True)
        with EventStream(response, idle_timeout=30) as stream:
            for event in stream:
                yield event.data


def iter_httpx_sse(url: str) -> Iterator[str]:
    import httpx
    from httpx_sse import connect_sse

    with httpx.Client(timeout=30) as client:
        with connect_sse(client, "GET", url) as source:
            for event in source.iter_sse():
                if event.data:  # httpx-sse dispatches data-less blocks; the spec does not
                    yield event.data


def decode_ours(payload: bytes) -> int:
    from arazzo_runner.sse import SSEDecoder

    decoder = SSEDecoder()
    n = 0
    for start in range(0, len(payload), CHUNK):
        n += len(decoder.feed(payload[start : start + CHUNK]))
    return n + len(decoder.close())


def decode_httpx_sse(payload: bytes) -> int:
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder  # private API, bench only

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines, decoder = SSELineDecoder(), SSEDecoder()
    n = 0
    for start in range(0, len(payload), CHUNK):
        for line in lines.decode(text.decode(payload[start : start + CHUNK])):
            event = decoder.decode(line)
            n += event is not None and bool(event.data)
    return n


CONSUMERS: dict[str, tuple[Callable[[str], Iterator[str]], Callable[[bytes], int]]] = {
    "arazzo_runner": (iter_ours, decode_ours),
    "httpx-sse": (iter_httpx_sse, decode_httpx_sse),
}
IMPORTS = {"arazzo_runner": ["httpx", "arazzo_runner.event_stream"], "httpx-sse": ["httpx_sse"]}


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
    decode(make_payload(0.01)[0])  # warm up with a small payload: ru_maxrss never goes down
    baseline = _rss_mib()  # ru_maxrss is a lifetime peak: measure streaming before the big payload
    elapsed, count = _best_of(repeat, lambda: sum(1 for _ in stream(base + "/bulk")))
    peak = _rss_mib()
    latencies = [
        (time.monotonic_ns() - json.loads(data)["t"]) / 1e6 for data in stream(base + latency_path)
    ]
    payload, _ = make_payload(mb)
    decode_elapsed, decoded = _best_of(repeat, lambda: decode(payload))
    q = statistics.quantiles(latencies, n=100)
    return {
        "events": count,
        "decoded": decoded,
        "http_mb_s": len(payload) / 1e6 / elapsed,
        "decode_mb_s": len(payload) / 1e6 / decode_elapsed,
        "p50_ms": q[49],
        "p99_ms": q[98],
        "rss_mib": peak,
        "rss_growth_mib": peak - baseline,
    }


# -- driver ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="MB of SSE body (default 50)")
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


def drive(args: argparse.Namespace) -> None:
    me = [sys.executable, os.path.abspath(__file__), "--mb", str(args.mb)]
    me += ["--latency-events", str(args.latency_events), "--gap-ms", str(args.gap_ms)]
    me += ["--repeat", str(args.repeat)]
    server = subprocess.Popen([*me, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        base = f"http://127.0.0.1:{info['port']}"
        print(
            f"payload: {info['bytes'] / 1e6:.1f} MB, {info['events']} events; "
            f"latency: {args.latency_events} events {args.gap_ms} ms apart; "
            f"python {sys.version.split()[0]}"
        )
        rows = [(name, _consume(me, name, base)) for name in CONSUMERS]
    finally:
        server.terminate()
        server.wait(timeout=5)
    _table(rows, info["events"])


def _consume(me: list[str], name: str, base: str) -> dict[str, Any] | str:
    done = subprocess.run(
        [*me, "--consumer", name, "--base", base], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        missing = "No module named 'httpx_sse'" in done.stderr
        return "not installed (pip install httpx-sse)" if missing else done.stderr.strip()[-300:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _table(rows: list[tuple[str, dict[str, Any] | str]], expected_events: int) -> None:
    head = ("consumer", "HTTP MB/s", "decode MB/s", "p50 ms", "p99 ms", "peak RSS", "RSS growth")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, r in rows:
        if isinstance(r, str):
            print(f"| {name} | {r} |")
            continue
        flag = "" if r["events"] == r["decoded"] == expected_events else " (event count differs!)"
        print(
            f"| {name}{flag} | {r['http_mb_s']:.0f} | {r['decode_mb_s']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rss_mib']:.0f} MiB | "
            f"{r['rss_growth_mib']:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
