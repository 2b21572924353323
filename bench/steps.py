"""Per-step overhead: a workflow of N sequential GETs run by ``Runner``, against the floors.

    python -m bench.steps [--sizes 10,50,200,500,1000] [--rss-steps 1000] [--peers]

The workflow and its OpenAPI description are generated into a temporary directory: one
operation ``GET /items/{id}``, N steps each with a path parameter, a success criterion and an
output. The server is a small keep-alive HTTP/1.1 server on 127.0.0.1 written on raw asyncio,
in its own process so it does not share the GIL with the client being measured. The floors
(``bench/floor.py``) make the same N requests: a hand-written ``httpx.Client`` loop (status
check, JSON parse) and a bare socket reader. Every client opens one connection per run; the
document is loaded and validated once, outside the timing (its cost has its own column).
``--peers`` adds Jentic's ``execute_workflow`` on the same workflow, timed inside its own venv's
interpreter (``bench/jentic_driver.py``).

per-step overhead = slope of (runner time - httpx loop time) over N

``Runner.run`` checks every request and response against the description (``docs/checks.md``,
the default); the same runner with ``severity={"all": "off"}`` runs alongside, so the cost of
the checks is the difference of the two overheads (target: at most 15 % more).

Peak RSS is measured in fresh processes after a warm-up run (``VmHWM``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._common import Timing, ms, peak_rss_mib, show, time_calls
from bench.floor import httpx_loop, socket_loop

SIZES = (10, 50, 200, 500, 1000)
SOURCE = "api"

OPENAPI = """\
openapi: 3.1.0
info: {title: bench items, version: 1.0.0}
servers:
  - url: @SERVER@
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema: {type: object}
"""

STEP = """\
      - stepId: s{i}
        operationId: getItem
        parameters:
          - {{name: id, in: path, value: {i}}}
        successCriteria:
          - condition: $statusCode == 200
        outputs:
          id: $response.body#/id
"""


def write_documents(directory: Path, n: int, server: str = "http://127.0.0.1:9/unused") -> Path:
    """Write ``items.openapi.yaml`` and an N-step ``steps-N.arazzo.yaml``; return the latter.

    ``server`` is the OpenAPI description's server URL: the peers are given the real one,
    ``Runner`` gets it through ``servers=`` (so the loaded document is the same either way).
    """
    (directory / "items.openapi.yaml").write_text(OPENAPI.replace("@SERVER@", server))
    head = (
        "arazzo: 1.0.1\ninfo: {title: bench steps, version: 1.0.0}\nsourceDescriptions:\n"
        f"  - {{name: {SOURCE}, url: items.openapi.yaml, type: openapi}}\n"
        f"workflows:\n  - workflowId: steps\n    outputs:\n      last: $steps.s{n - 1}.outputs.id\n"
        "    steps:\n"
    )
    path = directory / f"steps-{n}.arazzo.yaml"
    path.write_text(head + "".join(STEP.format(i=i) for i in range(n)))
    return path


# -- server (its own process) --------------------------------------------------------------


_SERVED = [0]  # item requests answered so far (``GET /count`` reads it, uncounted)


def _answer(target: bytes) -> bytes:
    if target == b"/count":
        body = json.dumps({"count": _SERVED[0]}).encode()
    else:
        _SERVED[0] += 1
        item = target.rsplit(b"/", 1)[-1].decode()
        body = json.dumps({"id": int(item) if item.isdigit() else item, "ok": True}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(_answer(head.split(b" ", 2)[1]))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def served(base: str) -> int:
    """How many item requests the server has answered."""
    import httpx

    count: int = httpx.get(f"{base}/count", timeout=10).json()["count"]
    return count


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def serving() -> Iterator[str]:
    """Start the item server in a child process; yield its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.steps", "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=5)


# -- the two clients -----------------------------------------------------------------------


def make_runner(base: str, n: int, *, checks: bool = True) -> Any:
    from arazzo_runner.runner import Runner

    severity = None if checks else {"all": "off"}
    return Runner(servers={SOURCE: base}, max_steps=n + 10, severity=severity)


def runner_once(runner: Any, workspace: Any) -> Any:
    result = runner.run(workspace)
    if not result.passed:
        raise RuntimeError(f"workflow failed at {result.failed_step}")
    return result


# -- measurement ---------------------------------------------------------------------------


def runs_for(n: int) -> int:
    return 9 if n <= 50 else 5 if n <= 500 else 3


def measure(base: str, directory: Path, n: int) -> dict[str, Any]:
    """Median times for one N; the three clients alternate so drift hits them all alike."""
    runs = runs_for(n)
    runner = make_runner(base, n)
    unchecked = make_runner(base, n, checks=False)
    path = str(write_documents(directory, n))
    load = time_calls("load", lambda: runner.load(path), 3)
    workspace = runner.load(path)
    clients = {
        "socket": lambda: socket_loop(base, n),
        "loop": lambda: httpx_loop(base, n),
        "runner": lambda: runner_once(runner, workspace),
        "unchecked": lambda: runner_once(unchecked, workspace),
    }
    times: dict[str, list[float]] = {name: [] for name in clients}
    for work in clients.values():
        work()  # warm-up
    for _ in range(runs):
        for name, work in clients.items():
            times[name] += time_calls(name, work, 1).seconds
    row: dict[str, Any] = {"n": n, "runs": runs, "load": load}
    row.update({name: Timing(name, tuple(seconds)) for name, seconds in times.items()})
    return row


def jentic(base: str, directory: Path, n: int, python: Path) -> Timing | str:
    """Jentic's ``execute_workflow`` on the same workflow, timed in its own venv's process."""
    home = directory / "jentic"
    home.mkdir(exist_ok=True)
    doc = write_documents(home, n, server=base)  # it has no server override: the real URL
    argv = [str(python), str(Path(__file__).with_name("jentic_driver.py")), str(doc)]
    done = subprocess.run(
        [*argv, str(runs_for(n))], cwd=home, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        return f"N={n}: {done.stderr.strip()[-200:]}"
    return Timing("jentic", tuple(json.loads(done.stdout)))


def rss_child(kind: str, n: int, base: str) -> dict[str, float]:
    """In a fresh process: warm up with 10 steps, then run ``n`` and report RSS in MiB."""
    if kind == "loop":
        httpx_loop(base, 10)
        baseline = peak_rss_mib()
        httpx_loop(base, n)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            small = write_documents(Path(tmp), 10)
            runner_once(make_runner(base, 10), make_runner(base, 10).load(str(small)))
            baseline = peak_rss_mib()
            runner = make_runner(base, n)
            workspace = runner.load(str(write_documents(Path(tmp), n)))
            loaded = peak_rss_mib()
            runner_once(runner, workspace)
            return {"baseline": baseline, "loaded": loaded, "peak": peak_rss_mib()}
    return {"baseline": baseline, "peak": peak_rss_mib()}


def rss(kind: str, n: int, base: str) -> dict[str, float] | str:
    argv = [sys.executable, "-m", "bench.steps", "--rss-of", kind, "--rss-steps", str(n)]
    done = subprocess.run([*argv, "--base", base], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    result: dict[str, float] = json.loads(done.stdout)
    return result


def marginal(rows: list[dict[str, Any]], i: int, name: str) -> str:
    """Cost of one more step: the slope between this N and the previous one (per-run costs
    such as creating the HTTP client cancel out)."""
    if i == 0:
        return "-"
    (low, high) = rows[i - 1], rows[i]
    return f"{(high[name].median - low[name].median) / (high['n'] - low['n']) * 1e6:.0f} us"


def check_cost(directory: Path) -> float:
    """Seconds the description checks take for one step of this workflow, measured on their own
    (the request check of ``GET /items/{id}``, then its 200 JSON response), best of 5: a figure
    the loopback's noise does not blur, unlike a difference of two whole-run slopes."""
    import timeit

    from arazzo_runner.validation.contract import Contract, RequestValues

    workspace = make_runner("http://127.0.0.1:9", 1).load(str(write_documents(directory, 1)))
    assert workspace.root is not None
    [source] = workspace.sources(workspace.root).values()
    operation = source.openapi.by_id("getItem")
    contract = Contract()
    sent = RequestValues(path={"id": 7}, header={"accept": "application/json"})
    headers = {"content-type": "application/json", "content-length": "20"}
    body = {"id": 7, "ok": True}

    def one_step() -> None:
        checks = contract.operation(source.openapi, operation)
        assert checks is not None
        findings: list[Any] = []
        checks.request(sent, findings)
        checks.response(200, headers, "application/json", body, findings)
        assert not findings

    one_step()
    return min(timeit.repeat(one_step, number=20_000, repeat=5)) / 20_000


def overheads(rows: list[dict[str, Any]], peer: bool) -> list[str]:
    """Per-step overhead over the httpx loop, from the smallest to the largest N."""
    if len(rows) < 2:
        return []
    low, high = rows[0], rows[-1]
    steps = high["n"] - low["n"]

    def slope(name: str) -> float:
        return float(high[name].median - low[name].median) / steps

    ours = slope("runner") - slope("loop")
    bare = slope("unchecked") - slope("loop")
    lines = [
        f"- per-step overhead over the httpx loop, slope {low['n']} to {high['n']} steps: Runner "
        f"{ours * 1e6:.0f} us; Runner per step / loop per step **"
        f"{slope('runner') / slope('loop'):.2f}x** (target at most 1.5x)",
        f"- with the description checks off (`severity={{'all': 'off'}}`): {bare * 1e6:.0f} us"
        " over the loop per step",
    ]
    cost = rows[0].get("check_cost")
    if cost is not None:
        lines.append(
            f"- the description checks of one step (request, status, media type, body schema),"
            f" timed on their own: **{cost * 1e6:.1f} us**, {cost / max(bare, 1e-9) * 100:.0f} %"
            f" of the overhead with them off (target at most 15 %)"
        )
    if peer:
        theirs = slope("jentic") - slope("loop")
        lines.append(
            f"- Jentic in process: {theirs * 1e6:.0f} us over the loop per step; "
            f"**{theirs / max(ours, 1e-9):.1f}x** ours (target at least 3x)"
        )
    return [*lines, ""]


def report(rows: list[dict[str, Any]], rss_rows: dict[str, Any], rss_steps: int) -> list[str]:
    peer = all("jentic" in row for row in rows)
    names = ["socket", "loop", "runner", "unchecked", *(["jentic"] if peer else [])]
    lines = [
        "| N | runs | socket floor | httpx loop | Runner.run | checks off |"
        + (" Jentic in process |" if peer else "")
        + " Runner / httpx | per extra step: socket | httpx | Runner | checks off |"
        + (" Jentic |" if peer else "")
        + " load + validate |",
        "|" + "---:|" * (6 + 2 * len(names) - 2),
    ]
    for i, row in enumerate(rows):
        loop, runner = row["loop"].median, row["runner"].median
        times = " | ".join(ms(row[name].median) for name in names)
        slopes = " | ".join(marginal(rows, i, name) for name in names)
        lines.append(
            f"| {row['n']} | {row['runs']} | {times} | {runner / loop:.2f}x | {slopes} |"
            f" {ms(row['load'].median)} |"
        )
    lines += [
        "",
        "Medians of whole runs (each opens its own HTTP client); `per extra step` is the slope"
        " from the previous N. Target: Runner.run within 1.5x of the httpx loop.",
        "",
        *overheads(rows, peer),
    ]
    return lines + rss_lines(rss_rows, rss_steps)


def rss_lines(rss_rows: dict[str, Any], rss_steps: int) -> list[str]:
    lines = [f"Peak RSS running {rss_steps} steps, each in a fresh process after a warm-up run:"]
    lines += [""]
    for kind, value in rss_rows.items():
        if isinstance(value, str):
            lines.append(f"- {kind}: {value}")
            continue
        growth = value["peak"] - value["baseline"]
        loaded = ""
        if "loaded" in value:
            loaded = f", after loading the document {value['loaded']:.1f} MiB"
        lines.append(
            f"- {kind}: peak {value['peak']:.1f} MiB (baseline after warm-up "
            f"{value['baseline']:.1f} MiB{loaded}; growth {growth:.1f} MiB)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--rss-steps", type=int, default=1000)
    parser.add_argument("--peers", action="store_true", help="also time Jentic in process")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rss-of", choices=["loop", "runner"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
    elif args.rss_of:
        print(json.dumps(rss_child(args.rss_of, args.rss_steps, args.base)))
    else:
        drive([int(size) for size in args.sizes.split(",")], args.rss_steps, args.peers)


def drive(sizes: list[int], rss_steps: int, peers: bool) -> None:
    python: Path | str | None = None
    if peers:
        from bench.peers import PEERS, install

        found = install(PEERS["jentic"])
        python = PEERS["jentic"].python if isinstance(found, Path) else found
    notes: list[str] = (
        [f"- Jentic in process: not run, {python}"] if isinstance(python, str) else []
    )
    with serving() as base, tempfile.TemporaryDirectory() as tmp:
        rows = [measure(base, Path(tmp), n) for n in sizes]
        (Path(tmp) / "check-cost").mkdir()
        rows[0]["check_cost"] = check_cost(Path(tmp) / "check-cost")
        for row in rows if isinstance(python, Path) else []:
            timing = jentic(base, Path(tmp), row["n"], python)
            if isinstance(timing, str):
                notes.append(f"- Jentic in process: {timing}")
            else:
                row["jentic"] = timing
        rss_rows = {kind: rss(kind, rss_steps, base) for kind in ("loop", "runner")}
    print("\n".join(report(rows, rss_rows, rss_steps)))
    if notes:
        print("\n".join(["", *notes]))
    sizes_arg = ",".join(map(str, sizes))
    argv = [sys.executable, "-m", "bench.steps", "--sizes", sizes_arg]
    argv += ["--rss-steps", str(rss_steps), *["--peers"] * peers]
    print(f"\nCommand: `{show(argv)}`")


if __name__ == "__main__":
    main()
