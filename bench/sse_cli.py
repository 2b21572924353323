"""SSE through whole command lines: ``arazzo run --stream --json > /dev/null``, and the peers.

    python -m bench.sse_cli [--mb 200] [--runs 3] [--open-seconds 5] [--peers]

The server is ``bench/bench_sse.py``'s (``/bulk``: ``--mb`` MB of fal-shaped events, ``/endless``:
the same block until the client leaves). A one-step workflow per endpoint is generated into a
temporary directory; every tool runs it as a whole process with its output discarded.

* Finite stream: wall time, MB/s and peak RSS (``os.wait4``) of ``arazzo run --stream --json``
  (median of ``--runs``, after a warm-up whose output lines are counted: one per event plus the
  result), against two floors: ``curl -sN`` and a bare Python socket reader. Peers run it once,
  bounded by a timeout; none of them streams events to its output, so what is timed is reading
  the whole body.
* Open stream: each tool runs the endless workflow for ``--open-seconds``; RSS is sampled from
  ``/proc`` and the process is then killed. A streaming consumer stays flat; one that buffers the
  body grows until it is killed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._common import REPO, show, use_bytecode_cache
from bench.peers import PEERS, install, peer_env, version_lines

SSE_SCRIPT = str(REPO / "bench" / "bench_sse.py")
ARAZZO = str(Path(sys.executable).parent / "arazzo")
DRAIN = (
    "import socket,sys,urllib.parse as u;p=u.urlsplit(sys.argv[1]);"
    "s=socket.create_connection((p.hostname,p.port));"
    "s.sendall(f'GET {p.path} HTTP/1.1\\r\\nHost: {p.netloc}\\r\\n\\r\\n'.encode());"
    "b=bytearray(262144)\nwhile s.recv_into(b):pass"
)

OPENAPI = """\
openapi: 3.1.0
info: {title: bench sse, version: 1.0.0}
servers:
  - url: @SERVER@
paths:
"""
PATH = """\
  /@OP@:
    get:
      operationId: @OP@
      responses:
        "200":
          description: an event stream
          content:
            text/event-stream:
              schema: {type: string}
"""
WORKFLOW = """\
arazzo: 1.0.1
info: {title: bench sse @OP@, version: 1.0.0}
sourceDescriptions:
  - {name: sse, url: sse.openapi.yaml, type: openapi}
workflows:
  - workflowId: @OP@
    steps:
      - stepId: read
        operationId: @OP@
        successCriteria:
          - condition: $statusCode == 200
"""

OPERATIONS = ("bulk", "small", "endless")  # the server's paths (see bench/bench_sse.py)

# peer: argv after the executable, given the document and its workflow id
PEER_ARGS = {
    "jentic": lambda doc, wf: [
        "--log-level",
        "ERROR",
        "execute-workflow",
        "--workflow-id",
        wf,
        doc,
    ],
    "arazzo-exec": lambda doc, wf: ["run", doc, "--workflow", wf],
    "redocly": lambda doc, wf: ["respect", doc],
}


def write_documents(directory: Path, base: str) -> dict[str, Path]:
    paths = "".join(PATH.replace("@OP@", op) for op in OPERATIONS)
    (directory / "sse.openapi.yaml").write_text(OPENAPI.replace("@SERVER@", base) + paths)
    docs = {}
    for op in OPERATIONS:
        docs[op] = directory / f"{op}.arazzo.yaml"
        docs[op].write_text(WORKFLOW.replace("@OP@", op))
    return docs


@contextmanager
def sse_server(mb: float) -> Iterator[tuple[str, dict[str, int]]]:
    child = subprocess.Popen(
        [sys.executable, SSE_SCRIPT, "--mb", str(mb), "--serve"], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())
        yield f"http://127.0.0.1:{info['port']}", info
    finally:
        child.terminate()
        child.wait(timeout=5)


def run_once(argv: list[str], cwd: Path, timeout: float, count_lines: bool = False) -> dict:
    """Seconds, peak RSS (MiB), exit code and (optionally) stdout lines of one process."""
    errors = tempfile.TemporaryFile()  # stdout too, unless counted: where tools say why
    started = time.perf_counter()
    child = subprocess.Popen(
        argv,
        cwd=cwd,
        env=peer_env(),
        stdout=subprocess.PIPE if count_lines else errors,
        stderr=errors,
        start_new_session=True,
    )
    lines = 0
    if count_lines:
        assert child.stdout is not None
        while piece := child.stdout.read(1 << 20):
            lines += piece.count(b"\n")
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
            _, status, usage = os.wait4(child.pid, 0)
            return {"timeout": True, "rss": usage.ru_maxrss / 1024}
        time.sleep(0.005)
    seconds = time.perf_counter() - started
    errors.seek(0, os.SEEK_END)
    errors.seek(max(0, errors.tell() - 20000))
    tail = why_failed(errors.read().decode(errors="replace"))
    errors.close()
    return {
        "seconds": seconds,
        "rss": usage.ru_maxrss / 1024,
        "code": os.waitstatus_to_exitcode(status),
        "lines": lines,
        "timeout": False,
        "stderr": tail,
    }


def why_failed(output: str) -> str:
    """The end of a tool's output without banners and tables (boxes, rules, blank lines)."""
    kept = [line.strip() for line in output.splitlines()]
    kept = [line for line in kept if line and not any(c in line for c in "║╔╚═─│┌└├┐┘")]
    text = " ".join(kept)
    return text.split("Summary for")[0].strip()[-160:]


def vm_rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def open_stream(argv: list[str], cwd: Path, seconds: float) -> tuple[float, float, str]:
    """RSS (MiB) after 1 s and after ``seconds`` of an endless stream, and how it ended."""
    child = subprocess.Popen(
        argv,
        cwd=cwd,
        env=peer_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = time.perf_counter()
    at_one = 0.0
    while (elapsed := time.perf_counter() - started) < seconds and child.poll() is None:
        if elapsed >= 1.0 and not at_one:
            at_one = vm_rss(child.pid)
        time.sleep(0.1)
    last = vm_rss(child.pid)
    ended = "still running, killed" if child.poll() is None else f"exited {child.returncode}"
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    return at_one, last, ended


def tools(
    base: str, docs: dict[str, Path], op: str, peers: bool
) -> list[tuple[str, list[str] | str]]:
    """(label, argv or the reason it cannot run) for the ``op`` stream."""
    url = f"{base}/{op}"
    found: list[tuple[str, list[str] | str]] = []
    if op == "bulk":
        if shutil.which("curl"):
            found.append(("floor: curl -sN", ["curl", "-sN", "-o", "/dev/null", url]))
        found.append(("floor: bare socket reader", [sys.executable, "-c", DRAIN, url]))
    ours = [ARAZZO, "run", str(docs[op]), "--stream", "--json"]
    found.append(("arazzo run --stream --json (ours)", ours))
    peer_op = "small" if op == "bulk" else op  # the peers hold the body: 20 MB, not --mb
    for name, args in PEER_ARGS.items() if peers else ():
        exe = install(PEERS[name])
        label = f"{name} ({PEERS[name].package})"
        argv = [str(exe), *args(str(docs[peer_op]), peer_op)] if not isinstance(exe, str) else exe
        found.append((label, argv))
    return found


def finite(
    base: str, docs: dict[str, Path], info: dict[str, int], runs: int, peers: bool
) -> list[str]:
    big, small = info["bytes"] / 1e6, info["small_bytes"] / 1e6
    lines = [
        f"Finite stream: {big:.0f} MB ({info['events']} events) for ours and the floors; the "
        f"peers, which hold the whole body in memory, get {small:.0f} MB "
        f"({info['small_events']} events). Output discarded.",
        "",
        "| tool | MB | runs | median | MB/s | peak RSS | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    cwd = docs["bulk"].parent
    for label, argv in tools(base, docs, "bulk", peers):
        if isinstance(argv, str):
            lines.append(f"| {label} | - | - | - | - | - | not run: {argv} |")
            continue
        ours = label.endswith("(ours)")
        peer = not ours and not label.startswith("floor")
        mb = small if peer else big
        first = run_once(argv, cwd, timeout=300, count_lines=ours)
        note = ""
        if ours and first.get("lines") != info["events"] + 1:
            note = f"printed {first.get('lines')} lines for {info['events']} events (!)"
        if first["timeout"] or first["code"] != 0:
            why = "timed out after 300 s" if first["timeout"] else f"exit {first['code']}"
            why += f": {first.get('stderr', '')}" if first.get("stderr") else ""
            lines.append(f"| {label} | {mb:.0f} | 1 | - | - | {first['rss']:.0f} MiB | {why} |")
            continue
        samples = [run_once(argv, cwd, timeout=300) for _ in range(runs)] if ours else [first]
        seconds = statistics.median(s["seconds"] for s in samples)
        rss = max(s["rss"] for s in samples)
        if peer:
            note = note or "reads the whole body; prints no events"
        lines.append(
            f"| {label} | {mb:.0f} | {len(samples)} | {seconds:.2f} s | {mb / seconds:.0f} |"
            f" {rss:.0f} MiB | {note} |"
        )
    return lines


def endless(base: str, docs: dict[str, Path], seconds: float, peers: bool) -> list[str]:
    lines = [
        f"Open stream (never ends; each tool killed after {seconds:g} s):",
        "",
        "| tool | RSS after 1 s | RSS at the end | growth per second | how it ended |",
        "|---|---:|---:|---:|---|",
    ]
    cwd = docs["endless"].parent
    for label, argv in tools(base, docs, "endless", peers):
        if isinstance(argv, str):
            lines.append(f"| {label} | - | - | - | not run: {argv} |")
            continue
        one, last, ended = open_stream(argv, cwd, seconds)
        growth = (last - one) / max(seconds - 1.0, 1e-9)
        lines.append(f"| {label} | {one:.0f} MiB | {last:.0f} MiB | {growth:.1f} MiB/s | {ended} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours (peers: one)")
    parser.add_argument("--open-seconds", type=float, default=5.0)
    parser.add_argument("--peers", action="store_true", help="also run the peers' runners")
    args = parser.parse_args()
    use_bytecode_cache()
    with sse_server(args.mb) as (base, info), tempfile.TemporaryDirectory() as tmp:
        docs = write_documents(Path(tmp), base)
        report = finite(base, docs, info, args.runs, args.peers)
        report += ["", *endless(base, docs, args.open_seconds, args.peers)]
    print("\n".join(report))
    if args.peers:
        print("\n".join(["", "Peers:", "", *version_lines(list(PEER_ARGS))]))
    argv = [sys.executable, "-m", "bench.sse_cli", "--mb", str(args.mb), "--runs", str(args.runs)]
    argv += ["--open-seconds", str(args.open_seconds), *["--peers"] * args.peers]
    print(f"\nCommand: `{show(argv)}`")


if __name__ == "__main__":
    main()
