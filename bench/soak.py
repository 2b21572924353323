"""Soak: many workflow runs and a lot of streamed events in one process, with flat resources.

    python -m bench.soak [--runs 10000] [--megabytes 1024]

One process runs ``--runs`` times a two-step workflow (each run has its own HTTP client, so
each run opens and closes its connections), then streams ``--megabytes`` MB of SSE events
(1 KiB each) through handed-over streams, 64 MB per run. The server is a separate process (a
small asyncio HTTP/1.1 server in this file, ``--serve``), so everything measured belongs to
the runner: RSS, open file descriptors, sockets and threads, at the start, after a warm-up
(the first tenth of the runs and one 1 MB stream) and at the end. The exit status is 1 when
RSS grew by more than ``max(10 MB, 10 %)`` after the warm-up or when any fd, socket or thread
was left behind. Not part of CI (half a minute at full size; Linux only: it reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENT = b"data: " + b"x" * 1016 + b"\n\n"  # 1 KiB on the wire
STREAM_MB_PER_RUN = 64
JSON_BODY = b'{"ok": true, "items": [1, 2, 3]}'

OPENAPI = """\
openapi: 3.1.0
info: {title: soak, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /json:
    get:
      operationId: getJson
      responses: {'200': {description: ok, content: {application/json: {}}}}
  /events:
    get:
      operationId: getEvents
      parameters: [{name: mb, in: query, schema: {type: integer}}]
      responses: {'200': {description: events, content: {text/event-stream: {}}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: soak, version: '1'}
sourceDescriptions:
  - {name: api, url: ./soak.openapi.yaml, type: openapi}
workflows:
  - workflowId: twice
    steps:
      - stepId: first
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}, {condition: $response.body#/ok}]
        outputs: {items: $response.body#/items}
      - stepId: second
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}]
    outputs: {items: $steps.first.outputs.items}
  - workflowId: stream
    inputs: {type: object, properties: {mb: {type: integer}}}
    steps:
      - stepId: listen
        operationId: getEvents
        parameters: [{name: mb, in: query, value: $inputs.mb}]
        successCriteria: [{condition: $statusCode == 200}]
"""


# -- the server (its own process) ----------------------------------------------------------


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b"\r\n", 1)[0].split(b" ")[1]
            path, _, query = target.partition(b"?")
            if path == b"/events":
                await _events(writer, int(query.partition(b"=")[2] or b"1"))
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(JSON_BODY), JSON_BODY)
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _events(writer: asyncio.StreamWriter, megabytes: int) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    chunk = EVENT * 64  # 64 KiB
    for _ in range(megabytes * 16):
        writer.write(chunk)
        await writer.drain()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    rss_mb: float
    fds: int
    sockets: int
    threads: int


def sample() -> Sample:
    gc.collect()
    rss = 0.0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    fds = os.listdir("/proc/self/fd")
    sockets = 0
    for fd in fds:
        try:
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return Sample(rss, len(fds) - 1, sockets, threading.active_count())  # -1: listdir's own fd


# -- the soak ------------------------------------------------------------------------------


class Counter:
    """The stream consumer: counts events and bytes, keeps nothing."""

    def __init__(self) -> None:
        self.events = 0
        self.bytes = 0

    def __call__(self, step_id: str, stream: Any) -> None:
        for event in stream:
            self.events += 1
            self.bytes += len(event.data)


def soak(url: str, folder: Path, runs: int, megabytes: int) -> tuple[list[Sample], list[str]]:
    from arazzo_runner import Runner

    runner = Runner(servers={"api": url})
    workspace = runner.load(str(folder / "soak.arazzo.yaml"))
    counter = Counter()
    streamer = Runner(servers={"api": url}, stream_consumer=counter)
    samples, lines = [sample()], []
    warm = max(1, runs // 10)
    started = time.perf_counter()
    for n in range(runs):
        result = runner.run(workspace, "twice", {})
        if not result.passed:
            raise SystemExit(f"run {n} failed: {result.error}")
        if n + 1 == warm:  # one small stream too, so the warm sample has both paths loaded
            streamer.run(workspace, "stream", {"mb": 1})
            samples.append(sample())
    elapsed = time.perf_counter() - started
    lines.append(f"{runs} runs ({2 * runs} requests) in {elapsed:.1f} s")
    counter.events = counter.bytes = 0
    started, left = time.perf_counter(), megabytes
    while left > 0:
        size = min(STREAM_MB_PER_RUN, left)
        result = streamer.run(workspace, "stream", {"mb": size})
        if not result.passed:
            raise SystemExit(f"stream run failed: {result.error}")
        left -= size
    elapsed = time.perf_counter() - started
    lines.append(
        f"{megabytes} MB of events ({counter.events} events, {counter.bytes / 2**20:.0f} MB of"
        f" data) in {elapsed:.1f} s ({megabytes / max(elapsed, 1e-9):.0f} MB/s)"
    )
    samples.append(sample())
    return samples, lines


def verdict(start: Sample, warm: Sample, end: Sample) -> tuple[bool, str]:
    growth = end.rss_mb - warm.rss_mb
    flat = growth <= max(10.0, warm.rss_mb * 0.10)
    leaks = [
        f"{name} {a} -> {b}"
        for name, a, b in (
            ("fds", start.fds, end.fds),
            ("sockets", start.sockets, end.sockets),
            ("threads", start.threads, end.threads),
        )
        if b > a
    ]
    memory = f"RSS {growth:+.1f} MB after warm-up ({'flat' if flat else 'GROWING'})"
    return flat and not leaks, memory + ("; leaked: " + ", ".join(leaks) if leaks else "; no leaks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve())
        return 0
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.soak", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            (folder / "soak.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
            (folder / "soak.arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
            samples, lines = soak(url, folder, args.runs, args.megabytes)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    start, warm, end = samples
    print(f"soak: python -m bench.soak --runs {args.runs} --megabytes {args.megabytes}")
    for line in lines:
        print(f"  {line}")
    print(f"  {'':10} {'start':>8} {'warm':>8} {'end':>8}")
    for label, field in (("RSS MB", "rss_mb"), ("open fds", "fds"), ("sockets", "sockets")):
        values = [getattr(s, field) for s in samples]
        print(
            f"  {label:10} "
            + " ".join(f"{v:8.1f}" if label == "RSS MB" else f"{v:8d}" for v in values)
        )
    print(f"  {'threads':10} " + " ".join(f"{s.threads:8d}" for s in samples))
    ok, text = verdict(start, warm, end)
    print(f"  verdict: {text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
