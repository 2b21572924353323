"""Cold start: wall-clock time of whole CLI processes, against the interpreter's floor.

    python -m bench.cold_start [--runs 15] [--peers]

Each command is run once untimed (to warm the OS file cache), then ``--runs`` times; the table
gives the median and the best run. ``--peers`` also times other Arazzo tools, each installed
into its own environment under ``bench/.venvs/`` (see :mod:`bench.peers`); a tool that cannot
be installed is listed with the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench._common import Timing, ms, show, time_command

WORKFLOW = "workflows/fal-ai-stream-inference-workflow.yml"
ARAZZO = str(Path(sys.executable).parent / "arazzo")

# (argv, target stated next to the figure; checked by reading, never asserted)
COMMANDS: list[tuple[list[str], str]] = [
    ([sys.executable, "-c", "pass"], "floor"),
    ([sys.executable, "-c", "import arazzo_runner"], ""),
    ([ARAZZO, "--help"], "well under 120 ms"),
    ([ARAZZO, "validate", WORKFLOW], "under 200 ms"),
]


def table(rows: list[tuple[Timing, str]], floor: float) -> list[str]:
    lines = [
        "| command | median | best | median minus floor | target |",
        "|---|---:|---:|---:|---|",
    ]
    for timing, target in rows:
        extra = ms(timing.median - floor) if target != "floor" else "-"
        lines.append(
            f"| `{timing.label}` | {ms(timing.median)} | {ms(timing.best)} | {extra} | {target} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (>= 10)")
    args = parser.parse_args()
    rows = [(time_command(argv, args.runs), target) for argv, target in COMMANDS]
    floor = rows[0][0].median
    print(f"Median of {args.runs} runs each (after one untimed warm-up run), from the repo root.")
    print()
    print("\n".join(table(rows, floor)))
    print()
    print(
        f"Command: `{show([sys.executable, '-m', 'bench.cold_start', '--runs', str(args.runs)])}`"
    )


if __name__ == "__main__":
    main()
