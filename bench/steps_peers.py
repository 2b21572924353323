"""Per-step cost, whole processes, side by side: ``arazzo run`` and the peers' runners.

    python -m bench.steps_peers [--sizes 50,500] [--runs 5]

Every tool runs the same generated N-step workflow (``bench/steps.py``: one ``GET /items/{id}``
per step, a success criterion and an output each) against the same keep-alive server on
127.0.0.1, as a whole process from a temporary directory, like a user would:

* ours: ``arazzo run steps-N.arazzo.yaml --json``;
* Jentic: ``arazzo-runner --log-level ERROR execute-workflow --workflow-id steps ...``;
* arazzo-exec: ``arazzo-exec run ... --workflow steps``;
* Redocly CLI: ``redocly respect ...``;
* floors: ``bench/floor.py`` as a process, with httpx and with a bare socket.

A tool counts only when it exits 0 and the server saw exactly N requests on its untimed warm-up
run; otherwise the row says what happened. The per-step cost is the slope between the smallest
and the largest N (start-up cancels out); the overhead is that minus the httpx floor's slope.
Peak RSS is the process's own ``ru_maxrss`` (``os.wait4``) at the largest N.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench._common import REPO, ms, show, use_bytecode_cache
from bench.peers import PEERS, install, peer_env, version_lines
from bench.steps import served, serving, write_documents

FLOOR = str(REPO / "bench" / "floor.py")
SLOW = 10.0  # seconds: a tool whose warm-up run took longer is timed 3 times, not --runs
ARAZZO = str(Path(sys.executable).parent / "arazzo")

Command = Callable[[str, str, int], list[str]]  # (executable, document, n) -> argv


@dataclass(frozen=True)
class Tool:
    name: str
    peer: str | None  # key in bench.peers.PEERS, None for ours and the floors
    command: Command


TOOLS = [
    Tool("floor: bare socket", None, lambda exe, doc, n: [exe, FLOOR, "socket", "{base}", str(n)]),
    Tool("floor: httpx loop", None, lambda exe, doc, n: [exe, FLOOR, "httpx", "{base}", str(n)]),
    Tool("arazzo (ours)", None, lambda exe, doc, n: [ARAZZO, "run", doc, "--json"]),
    Tool(
        "Jentic arazzo-runner",
        "jentic",
        lambda exe, doc, n: (
            [exe, "--log-level", "ERROR", "execute-workflow"] + ["--workflow-id", "steps", doc]
        ),
    ),
    Tool(
        "arazzo-exec", "arazzo-exec", lambda exe, doc, n: [exe, "run", doc, "--workflow", "steps"]
    ),
    Tool("Redocly respect", "redocly", lambda exe, doc, n: [exe, "respect", doc]),
]


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Seconds, peak RSS in MiB, exit status and the end of stderr of one process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv,
        cwd=cwd,
        env=peer_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    err = child.stderr.read()[-400:]
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    return seconds, usage.ru_maxrss / 1024, child.returncode, err.decode(errors="replace")


def measure(tool: Tool, base: str, docs: dict[int, Path], runs: int) -> dict[int, object]:
    """{n: (median seconds, peak RSS)} or a string saying why the tool was not timed."""
    exe = sys.executable
    if tool.peer is not None:
        found = install(PEERS[tool.peer])
        if isinstance(found, str):
            return {0: f"skipped: {found}"}
        exe = str(found)
    out: dict[int, object] = {}
    for n, doc in docs.items():
        argv = [word.replace("{base}", base) for word in tool.command(exe, str(doc), n)]
        before = served(base)
        took, _, code, err = run_once(argv, doc.parent)  # warm-up, checked
        made = served(base) - before
        if code != 0 or made != n:
            out[n] = f"N={n}: exit {code}, {made} requests for {n} steps; {err.strip()[-160:]}"
            continue
        count = runs if took < SLOW else min(runs, 3)  # a 40-second run: three are enough
        samples = [run_once(argv, doc.parent) for _ in range(count)]
        out[n] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
    return out


def table(results: dict[str, dict[int, object]], sizes: list[int]) -> list[str]:
    low, high = sizes[0], sizes[-1]
    head = " | ".join(f"{n} steps" for n in sizes)
    lines = [
        f"| tool | {head} | per step (slope {low} to {high}) | overhead per step over httpx |"
        f" peak RSS at {high} |",
        "|---|" + "---:|" * (len(sizes) + 3),
    ]
    slopes: dict[str, float] = {}
    for name, row in results.items():
        times = {n: v for n, v in row.items() if isinstance(v, tuple)}
        if low in times and high in times and high > low:
            slopes[name] = (times[high][0] - times[low][0]) / (high - low)
    floor = slopes.get("floor: httpx loop")
    for name, row in results.items():
        cells = [ms(row[n][0]) if isinstance(row.get(n), tuple) else "-" for n in sizes]  # type: ignore[index]
        slope = slopes.get(name)
        over = f"{(slope - floor) * 1e6:.0f} us" if slope is not None and floor else "-"
        peak = row.get(high)
        rss = f"{peak[1]:.0f} MiB" if isinstance(peak, tuple) else "-"
        per = f"{slope * 1e6:.0f} us" if slope is not None else "-"
        lines.append(f"| {name} | {' | '.join(cells)} | {per} | {over} | {rss} |")
    return lines + [""] + summary(slopes)


def summary(slopes: dict[str, float]) -> list[str]:
    floor, ours = slopes.get("floor: httpx loop"), slopes.get("arazzo (ours)")
    if floor is None or ours is None:
        return []
    lines = [
        f"- whole process, ours per step / httpx loop per step: **{ours / floor:.2f}x**"
        " (target at most 1.5x; this slope includes loading and validating each step)"
    ]
    peers = {k: v for k, v in slopes.items() if not k.startswith(("floor", "arazzo ("))}
    if peers:
        fastest = min(peers, key=peers.__getitem__)
        ours_over, peer_over = max(ours - floor, 1e-9), peers[fastest] - floor
        lines.append(
            f"- whole process, fastest peer per step: {fastest}, {peers[fastest] * 1e6:.0f} us;"
            f" its overhead over httpx / ours: **{peer_over / ours_over:.1f}x**"
            " (target at least 3x)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and N")
    args = parser.parse_args()
    use_bytecode_cache()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    results: dict[str, dict[int, object]] = {}
    notes: list[str] = []
    with serving() as base, tempfile.TemporaryDirectory() as tmp:
        docs = {n: write_documents(Path(tmp), n, server=base) for n in sizes}
        for tool in TOOLS:
            print(f"timing {tool.name}", file=sys.stderr, flush=True)
            row = measure(tool, base, docs, args.runs)
            notes += [f"- {tool.name}: {v}" for v in row.values() if isinstance(v, str)]
            results[tool.name] = row
    print(
        f"Median of {args.runs} runs per tool and N (3 when one run takes over {SLOW:g} s), "
        "after one checked warm-up run."
    )
    print()
    print("\n".join(table(results, sizes)))
    print("\n".join(["", "Peers:", "", *version_lines(["jentic", "arazzo-exec", "redocly"])]))
    if notes:
        print("\n".join(["", "Not timed:", "", *notes]))
    argv = [sys.executable, "-m", "bench.steps_peers", "--sizes", args.sizes]
    print(f"\nCommand: `{show([*argv, '--runs', str(args.runs)])}`")


if __name__ == "__main__":
    main()
