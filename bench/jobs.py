"""``arazzo run --jobs``: 8 workflows whose step waits 0.5 s, with --jobs 1 and --jobs 4.

    python -m bench.jobs [--workflows 8] [--wait-ms 500] [--jobs 4] [--runs 3]

The workflows (one step each, ``GET /wait/{ms}``) are generated into a temporary directory,
four per file in two files; the server is a small asyncio HTTP/1.1 server in its own process
that answers after the wait (many requests at once). Each mode runs ``arazzo run DIR --json``
as a whole process; the table gives the median wall time of ``--runs`` runs, and the results
(the JSON output without timings) must be identical.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ARAZZO = str(Path(sys.executable).parent / "arazzo")

OPENAPI = """\
openapi: 3.1.0
info: {title: wait, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9/unused"}]
paths:
  /wait/{ms}:
    get:
      operationId: wait
      parameters: [{name: ms, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: done}}
"""


def write(directory: Path, workflows: int, wait_ms: int) -> None:
    (directory / "wait.openapi.yaml").write_text(OPENAPI)
    per_file = max(workflows // 2, 1)
    for start in range(0, workflows, per_file):
        body = "".join(
            f"  - workflowId: w{i}\n    steps:\n      - stepId: wait\n        operationId: wait\n"
            f"        parameters: [{{name: ms, in: path, value: {wait_ms}}}]\n"
            for i in range(start, min(start + per_file, workflows))
        )
        (directory / f"part{start}.arazzo.yaml").write_text(
            "arazzo: 1.0.1\ninfo: {title: jobs, version: 1.0.0}\n"
            "sourceDescriptions: [{name: api, url: wait.openapi.yaml, type: openapi}]\n"
            "workflows:\n" + body
        )


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            wait = head.split(b" ", 2)[1].rsplit(b"/", 1)[-1]
            await asyncio.sleep(int(wait) / 1000)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            writer.write(b"Content-Length: 2\r\n\r\n{}")
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def serving() -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.jobs", "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield f"http://127.0.0.1:{int(child.stdout.readline())}"
    finally:
        child.terminate()
        child.wait(timeout=5)


def _untimed(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if k != "durationMs"}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def run(directory: Path, base: str, jobs: int) -> tuple[float, Any]:
    argv = [ARAZZO, "run", str(directory), "-S", f"api={base}", "--json", "--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-300:]}")
    return took, _untimed(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--workflows", type=int, default=8)
    parser.add_argument("--wait-ms", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    with tempfile.TemporaryDirectory() as tmp, serving() as base:
        directory = Path(tmp)
        write(directory, args.workflows, args.wait_ms)
        run(directory, base, 1)  # warm-up (bytecode, page cache)
        rows = {}
        for jobs in (1, args.jobs):
            times, results = [], []
            for _ in range(args.runs):
                took, result = run(directory, base, jobs)
                times.append(took)
                results.append(result)
            rows[jobs] = (statistics.median(times), results)
    same = all(r == rows[1][1][0] for _, results in rows.values() for r in results)
    print(f"{args.workflows} workflows, one step each waiting {args.wait_ms} ms; median of")
    print(f"{args.runs} whole-process runs of `arazzo run DIR --json --jobs N`\n")
    print("| --jobs | wall time | vs --jobs 1 |")
    print("|---:|---:|---:|")
    for jobs, (median, _) in rows.items():
        print(f"| {jobs} | {median * 1000:.0f} ms | {median / rows[1][0]:.2f}x |")
    ratio = rows[args.jobs][0] / rows[1][0]
    print(f"\n- `--jobs {args.jobs}` / `--jobs 1` wall time: **{ratio:.2f}** (target at most 0.35)")
    print(f"- results identical apart from timings: **{'yes' if same else 'NO'}**")


if __name__ == "__main__":
    main()
