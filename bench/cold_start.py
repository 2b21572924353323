"""Cold start: wall-clock time of whole CLI processes, against the interpreter's floor.

    python -m bench.cold_start [--runs 15] [--peers]

Each command is run once untimed (to warm the OS file cache), then ``--runs`` times; the table
gives the median and the best run. ``--peers`` also times other Arazzo tools, each installed
into its own environment under ``bench/.venvs/`` (:mod:`bench.peers`); a tool that cannot be
installed is listed with the reason. The closest each peer has to ``arazzo validate``: Jentic's
``list-workflows`` (it has no validate command; this loads and parses the file), arazzo-exec's
``validate``, Redocly's ``lint``. Node's own floor (``node -e 0``) is timed next to Redocly.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from bench._common import Timing, ms, show, time_command, use_bytecode_cache
from bench.peers import PEERS, install, peer_env, version_lines

WORKFLOW = "workflows/fal-ai-stream-inference-workflow.yml"
ARAZZO = str(Path(sys.executable).parent / "arazzo")

# peer name: (help argv, validate-like argv)
PEER_COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "jentic": (["--help"], ["list-workflows", WORKFLOW]),
    "arazzo-exec": (["--help"], ["validate", WORKFLOW]),
    "redocly": (["--help"], ["lint", WORKFLOW]),
}

# (argv, target stated next to the figure; checked by reading, never asserted)
COMMANDS: list[tuple[list[str], str]] = [
    ([sys.executable, "-c", "pass"], "floor"),
    ([sys.executable, "-c", "import arazzo_runner"], ""),
    ([ARAZZO, "--help"], "at most 1/3 of the fastest peer's --help"),
    ([ARAZZO, "validate", WORKFLOW], "under 200 ms"),
]


def table(rows: list[tuple[Timing, str]], floor: float) -> list[str]:
    lines = [
        "| command | median | best | median minus python floor | note |",
        "|---|---:|---:|---:|---|",
    ]
    for timing, note in rows:
        extra = ms(timing.median - floor) if note != "floor" else "-"
        lines.append(
            f"| `{timing.label}` | {ms(timing.median)} | {ms(timing.best)} | {extra} | {note} |"
        )
    return lines


def peer_rows(runs: int) -> tuple[list[tuple[Timing, str]], list[str], dict[str, float]]:
    """Timings of the peers, notes on what could not be timed, and each peer's --help median."""
    rows: list[tuple[Timing, str]] = []
    notes: list[str] = []
    helps: dict[str, float] = {}
    env = peer_env()
    if shutil.which("node"):
        rows.append((time_command(["node", "-e", "0"], runs, env=env), "node floor"))
    for name, arguments in PEER_COMMANDS.items():
        exe = install(PEERS[name])
        if isinstance(exe, str):
            notes.append(f"- {name}: skipped, {exe}")
            continue
        for argv in arguments:
            try:
                timing = time_command([str(exe), *argv], runs, env=env)
            except (RuntimeError, subprocess.SubprocessError) as exc:
                notes.append(f"- {name} {' '.join(argv)}: failed, {str(exc)[-200:]}")
                continue
            rows.append((timing, f"peer {name}"))
            if argv == ["--help"]:
                helps[name] = timing.median
    return rows, notes, helps


def ratios(ours: list[tuple[Timing, str]], helps: dict[str, float]) -> list[str]:
    lines = [
        f"- `arazzo validate` of one file: **{ms(ours[3][0].median)}** (target under 200 ms)",
    ]
    if helps:
        fastest = min(helps, key=helps.__getitem__)
        help_ms = ours[2][0].median
        lines.append(
            f"- `arazzo --help` / fastest peer's `--help` ({fastest}, {ms(helps[fastest])}): "
            f"**{help_ms / helps[fastest]:.2f}** (target at most 0.33)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (>= 10)")
    parser.add_argument("--peers", action="store_true", help="also time other Arazzo tools")
    args = parser.parse_args()
    use_bytecode_cache()
    rows = [(time_command(argv, args.runs), target) for argv, target in COMMANDS]
    floor = rows[0][0].median
    notes: list[str] = []
    helps: dict[str, float] = {}
    if args.peers:
        more, notes, helps = peer_rows(args.runs)
        rows += more
    print(f"Median of {args.runs} runs each (after one untimed warm-up run), from the repo root.")
    print()
    print("\n".join(table(rows, floor)))
    if args.peers:
        print()
        print("\n".join(["Peers:", "", *version_lines(list(PEER_COMMANDS)), *notes]))
    print()
    print("\n".join(ratios(rows, helps)))
    argv = [sys.executable, "-m", "bench.cold_start", "--runs", str(args.runs)]
    print(f"\nCommand: `{show([*argv, *['--peers'] * args.peers])}`")


if __name__ == "__main__":
    main()
