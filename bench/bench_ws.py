"""One stream over WebSocket vs HTTP: time to first event, throughput, peak RSS.

    python -m bench.bench_ws [--mb 50] [--runs 15]

A server process (uvicorn, as ``arazzo mock`` runs it) answers ``POST /bulk``, ``/chunked``
and ``/first`` both as HTTP (``text/event-stream``) and as fal's HTTP over WebSockets (start,
binary messages, end), with fal-any-llm-shaped events: ``/bulk`` sends about ``--mb`` MB, one
event per message (HTTP: per chunk), as fast as it can; ``/chunked`` the same bytes in 64 KiB
messages (events span them: the client's share of the work, less the server's per-message
cost); ``/first`` three small events. Each consumer runs in its own process (so its peak RSS
is its own) with the runner's own code: ``httpx`` plus ``EventStream`` for HTTP, the
WebSocket transport's ``open_socket`` + ``send_request`` plus the same ``EventStream`` for
WebSocket. Reported: time to first event (request start to the first event handed out;
median and best of ``--runs``, on a new connection and on a kept one), throughput in MB/s of
event data (best of 3), and the consumer's peak RSS for ``/bulk``. Both sides negotiate
permessage-deflate over WebSocket, as fal's client does by default.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from bench._common import show

EVENT_TEMPLATE = "event: event\ndata: {}\n\n"
CHUNK = 64 * 1024  # ``/chunked``: the same events in 64 KiB messages (events span them)


def make_events(mb: float) -> list[bytes]:
    events, size, n = [], 0, 0
    while size < mb * 1_000_000:
        text = f"token{n} " * (5 + n % 40)
        data = json.dumps({"output": text, "partial": True, "error": None})
        event = EVENT_TEMPLATE.format(data).encode()
        events.append(event)
        size += len(event)
        n += 1
    return events


# -- server (its own process) --------------------------------------------------------------------


def serve(mb: float) -> None:
    import uuid

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    bulk = make_events(mb)
    joined = b"".join(bulk)
    chunked = [joined[i : i + CHUNK] for i in range(0, len(joined), CHUNK)]
    bodies = {"/bulk": bulk, "/chunked": chunked, "/first": make_events(0.0003)[:3]}

    async def http(request: Request) -> StreamingResponse:
        await request.body()
        events = bodies[request.url.path]

        async def chunks() -> Any:
            for event in events:
                yield event

        return StreamingResponse(chunks(), media_type="text/event-stream")

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        events = bodies[websocket.url.path]
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            rid = str(uuid.uuid4())
            headers = {"content-type": "text/event-stream"}
            start = {"type": "start", "request_id": rid, "status": 200, "headers": headers}
            await websocket.send_text(json.dumps(start))
            for event in events:
                await websocket.send_bytes(event)
            await websocket.send_text(json.dumps({"type": "end", "request_id": rid}))

    routes = []
    for path in bodies:
        routes += [Route(path, http, methods=["POST"]), WebSocketRoute(path, socket)]
    import socket as sockets

    listener = sockets.socket()
    listener.setsockopt(sockets.IPPROTO_TCP, sockets.TCP_NODELAY, 1)  # as arazzo mock's
    listener.bind(("127.0.0.1", 0))
    size = sum(len(e) for e in bodies["/bulk"])
    print(json.dumps({"port": listener.getsockname()[1], "bytes": size}), flush=True)
    config = uvicorn.Config(
        Starlette(routes=routes), log_level="error", ws="websockets-sansio", lifespan="off"
    )
    uvicorn.Server(config).run(sockets=[listener])


# -- consumers (each in a fresh process) ---------------------------------------------------------


def _http_stream(client: Any, url: str) -> Any:
    from arazzo_runner.streaming import EventStream

    request = client.build_request("POST", url, content=b'{"prompt": "hi"}')
    return EventStream(client.send(request, stream=True), idle_timeout=30)


def _ws_stream(pool: Any, url: str) -> Any:
    import httpx

    from arazzo_runner.streaming import EventStream
    from arazzo_runner.wire.fal_websocket import send_request
    from arazzo_runner.wire.websocket import open_socket

    request = httpx.Request("POST", url, content=b'{"prompt": "hi"}')
    sock = pool.lease(url, {}, lambda u, h: open_socket(u, h, open_timeout=10))
    return EventStream(send_request(sock, pool, request, 30.0), idle_timeout=30)


def consume(transport: str, base: str, what: str, runs: int) -> dict[str, Any]:
    import httpx

    from arazzo_runner.wire import SocketPool

    scheme = base.replace("http://", "ws://") if transport == "websocket" else base
    client, pool = httpx.Client(timeout=30), SocketPool()
    opener = _ws_stream if transport == "websocket" else _http_stream
    owner = pool if transport == "websocket" else client
    figures: dict[str, Any] = {"first": [], "kept": [], "mbps": []}
    for _ in range(runs):
        if what == "first":  # a new connection, then one kept from it
            for key in ("first", "kept"):
                started = time.perf_counter()
                with opener(owner, scheme + "/first") as stream:
                    next(iter(stream))
                    figures[key].append(time.perf_counter() - started)
                    for _ in stream:
                        pass
            pool.close()
            client.close()
            client = httpx.Client(timeout=30)
            owner = pool if transport == "websocket" else client
        else:
            started, size = time.perf_counter(), 0
            with opener(owner, scheme + what) as stream:
                for event in stream:
                    size += len(event.data)
            figures["mbps"].append(size / (time.perf_counter() - started) / 1e6)
    pool.close()
    client.close()
    figures["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _child(transport: str, base: str, what: str, runs: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.bench_ws", "--consume", transport, base, what, str(runs)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--serve", type=float)
    parser.add_argument("--consume", nargs=4, metavar=("TRANSPORT", "BASE", "WHAT", "RUNS"))
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    if args.consume:
        transport, base, what, runs = args.consume
        print(json.dumps(consume(transport, base, what, int(runs))))
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_ws", "--serve", str(args.mb)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        base = f"http://127.0.0.1:{info['port']}"
        time.sleep(0.3)
        report(base, info["bytes"], args)
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(base: str, size: int, args: argparse.Namespace) -> None:
    print(f"Command: `{show([sys.executable, '-m', 'bench.bench_ws', *sys.argv[1:]])}`\n")
    print(
        f"Bulk stream: {size / 1e6:.1f} MB of fal-any-llm events, one per message (HTTP: per"
        " chunk), and the same bytes in 64 KiB messages/chunks."
    )
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; server and client share them.\n"
    )
    print(
        "| transport | first event, new connection (median / best) | first event, kept"
        " connection (median / best) | throughput, one event per message | throughput, 64 KiB"
        " messages | peak RSS (bulk) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for transport in ("http", "websocket"):
        first = _child(transport, base, "first", args.runs)
        bulk = _child(transport, base, "/bulk", 3)
        chunked = _child(transport, base, "/chunked", 3)
        cells = [
            f"{statistics.median(first[k]) * 1000:.2f} ms / {min(first[k]) * 1000:.2f} ms"
            for k in ("first", "kept")
        ]
        print(
            f"| {transport} | {cells[0]} | {cells[1]} | {max(bulk['mbps']):.1f} MB/s"
            f" | {max(chunked['mbps']):.1f} MB/s | {bulk['rss_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
