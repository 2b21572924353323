"""Run every benchmark and rewrite ``bench/RESULTS.md``: ``python -m bench [--peers]``.

Each section runs as its own process (the command is printed with its output, so any figure
can be reproduced alone). Targets are written next to the figures to be checked by reading;
nothing here asserts them. Everything in RESULTS.md below the notes marker is kept across runs.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench._common import machine_lines, run_section, show, use_bytecode_cache

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NOTES_MARKER = "<!-- notes below this line are kept when `python -m bench` rewrites the file -->"
PY = sys.executable

# (title, argv, targets, extra argv with --peers; None: the section needs --peers)
SECTIONS: list[tuple[str, list[str], str, list[str] | None]] = [
    ("1. Cold start", [PY, "-m", "bench.cold_start", "--runs", "15"], "", ["--peers"]),
    (
        "2. Per-step overhead and scaling, in process (figures 2 and 5)",
        [PY, "-m", "bench.steps", "--sizes", "10,50,200,500,1000", "--rss-steps", "1000"],
        "",
        ["--peers"],
    ),
    (
        "2b. Per-step cost against the peers, whole processes",
        [PY, "-m", "bench.steps_peers", "--sizes", "50,500", "--runs", "5"],
        "",
        None,
    ),
    (
        "3. SSE consumption, in process",
        [PY, "-m", "bench.bench_sse", "--mb", "200"],
        "Targets: HTTP throughput at least 2x httpx-sse's; p99 under 2 ms; peak RSS under 60 MB "
        "and flat (RSS growth small and independent of the payload size).",
        [],
    ),
    (
        "3b. SSE through the command line, and the peers on an open stream",
        [PY, "-m", "bench.sse_cli", "--mb", "200", "--runs", "3"],
        "",
        ["--peers"],
    ),
    (
        "3c. One stream over WebSocket vs HTTP (fal's HTTP over WebSockets)",
        [PY, "-m", "bench.bench_ws", "--mb", "50", "--runs", "15"],
        "No target set: the WebSocket transport should match HTTP where the server is the limit.",
        [],
    ),
    (
        "4. Validation throughput (conformance corpus)",
        [PY, "-m", "bench.validate_corpus"],
        "No target set; the first pass includes lazy imports.",
        ["--peers"],
    ),
    ("5. Expressions", [PY, "bench/bench_expressions.py"], "", []),
    ("6. Parallel runs: `arazzo run --jobs`", [PY, "-m", "bench.jobs"], "", []),
    ("7. The pytest plugin under pytest-xdist", [PY, "-m", "bench.xdist"], "", []),
    ("8. Load on Locust: `arazzo load`", [PY, "-m", "bench.load"], "", []),
]


# --quick: the same sections with small sizes, to check the harness (the last option wins)
QUICK: dict[str, list[str]] = {
    "bench.cold_start": ["--runs", "3"],
    "bench.steps": ["--sizes", "10,50", "--rss-steps", "100"],
    "bench.steps_peers": ["--sizes", "10,50", "--runs", "2"],
    "bench.bench_sse": ["--mb", "20", "--latency-events", "300", "--repeat", "1"],
    "bench.sse_cli": ["--mb", "20", "--runs", "1", "--open-seconds", "2"],
    "bench.validate_corpus": ["--passes", "1"],
    "bench.jobs": ["--runs", "1"],
    "bench.load": ["--seconds", "3"],
    "bench.bench_ws": ["--mb", "5", "--runs", "3"],
}


def section(title: str, argv: list[str], targets: str) -> list[str]:
    print(f"running {title}: {show(argv)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    output = run_section(argv, timeout=3600).rstrip()
    output = re.sub(r"\n+Command: `[^`]*`$", "", output)  # printed above instead
    took = time.perf_counter() - started
    lines = [f"## {title}", "", f"Command: `{show(argv)}` ({took:.0f} s)", ""]
    lines += ["```", output, "```"] if "bench_expressions" in argv[1] else [as_markdown(output)]
    lines += ["", *([targets, ""] if targets else [])]
    return lines


def targets_seen(body: list[str]) -> list[str]:
    """Every figure line that states its target (bold value, then ``target``), in order."""
    lines = "\n".join(body).splitlines()
    found = [line for line in lines if "**" in line and "target" in line]
    return [line if line.startswith("- ") else f"- {line}" for line in found] or ["(none)"]


def as_markdown(output: str) -> str:
    """Give a table that follows a line of text the blank line markdown needs."""
    return re.sub(r"^([^\n|][^\n]*)\n\|", r"\1\n\n|", output, flags=re.M)


def kept_notes() -> list[str]:
    if not RESULTS.exists():
        return [NOTES_MARKER, "", "## Notes", "", "(none yet)"]
    text = RESULTS.read_text()
    index = text.find(NOTES_MARKER)
    if index < 0:
        return [NOTES_MARKER, "", "## Notes", "", "(none yet)"]
    return text[index:].rstrip().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also install (into bench/.venvs/) and time Jentic arazzo-runner, arazzo-exec, "
        "Redocly CLI (npm)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="small sizes: check the harness")
    args = parser.parse_args()
    use_bytecode_cache()
    started = time.perf_counter()
    body: list[str] = []
    for title, argv, targets, with_peers in SECTIONS:
        if with_peers is None and not args.peers:
            continue
        argv = [*argv, *(with_peers or [])] if args.peers else argv
        argv = argv + (QUICK.get(argv[2] if len(argv) > 2 else "", []) if args.quick else [])
        body += section(title, argv, targets)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    me = [PY, "-m", "bench", *["--peers"] * args.peers, *["--quick"] * args.quick]
    head = [
        "# Benchmark results",
        "",
        f"Generated by `{show(me)}` "
        f"from the repo root on {now} in {time.perf_counter() - started:.0f} s. "
        "Targets are stated next to the figures and checked by reading, not asserted. "
        "Child processes run with bytecode caching on (as an installed package would).",
        "",
        *machine_lines(),
        "",
    ]
    notes = kept_notes()
    glance = ["## Targets at a glance", "", *targets_seen(body), ""]
    args.output.write_text("\n".join([*head, *glance, *body, *notes]) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
