"""Validation throughput: every Arazzo document of the conformance corpus, in one process.

    python -m bench.validate_corpus [--passes 3] [--corpus ../shared/corpus]

Documents are the rows of ``MANIFEST.tsv`` whose validity is not ``n/a`` (valid, invalid and
unknown), read in place. Each is validated with ``validate_path(path, offline=True)`` (remote
sources are not fetched). The first pass pays lazy imports and cold caches and is reported on
its own; the throughput is the median of the following passes.

The floor is parsing alone: every document through PyYAML's C loader, in the same process.
``--peers``: Redocly CLI's ``lint`` given every document at once (one process; its number
includes its start-up, timed on its own with ``--help``). Jentic's runner has no validator, and
arazzo-exec's ``validate`` takes one file per process and runs Redocly's lint underneath, so
neither has a documents-per-second figure to compare.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._common import REPO, ms, show

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def labelled(corpus: Path) -> list[tuple[Path, str]]:
    """(document, its MANIFEST validity) for every Arazzo document (validity not ``n/a``)."""
    with (corpus / "MANIFEST.tsv").open(newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(corpus / r["local_path"], r["validity"]) for r in rows if r["validity"] != "n/a"]


def documents(corpus: Path) -> list[Path]:
    return [path for path, _ in labelled(corpus)]


def agreement(labels: list[str], flagged: list[bool]) -> str:
    """Agreement with the labels as given (the corrected figures: tests/test_corpus_conformance.py
    and docs/validation.md)."""
    valid = [bad for label, bad in zip(labels, flagged, strict=True) if label == "valid"]
    invalid = [bad for label, bad in zip(labels, flagged, strict=True) if label == "invalid"]
    return (
        f"- as labelled: {valid.count(False)} of {len(valid)} valid accepted, "
        f"{invalid.count(True)} of {len(invalid)} invalid rejected "
        "(corrected figures: docs/validation.md)"
    )


def one_pass(paths: list[Path], flagged: list[bool] | None = None) -> tuple[list[float], int, int]:
    """Per-document seconds, documents with error diagnostics, documents that raised;
    ``flagged`` (when given) receives, per document, whether it had an error."""
    from arazzo_runner.diagnostics import Severity
    from arazzo_runner.validation.rules import validate_path

    seconds: list[float] = []
    with_errors = raised = 0
    for path in paths:
        started = time.perf_counter()
        try:
            found = validate_path(str(path), offline=True)
        except Exception:  # a crash is a finding here, not a reason to stop measuring
            raised += 1
            found = []
        seconds.append(time.perf_counter() - started)
        bad = any(d.severity is Severity.ERROR for d in found)
        with_errors += bad
        if flagged is not None:
            flagged.append(bad)
    return seconds, with_errors, raised


def report(paths: list[Path], passes: list[tuple[list[float], int, int]]) -> list[str]:
    size = sum(path.stat().st_size for path in paths) / 1e6
    first, *warm = passes
    totals = [sum(seconds) for seconds, _, _ in warm] or [sum(first[0])]
    total = statistics.median(totals)
    per_doc = sorted(warm[0][0] if warm else first[0])
    slowest = sorted(zip(per_doc, paths, strict=True), key=lambda pair: -pair[0])[:3]
    lines = [
        f"- documents: {len(paths)} ({size:.2f} MB of YAML/JSON); "
        f"{first[1]} with error diagnostics, {first[2]} raised",
        f"- first pass (imports, cold caches): {ms(sum(first[0]))} total, "
        f"{len(paths) / sum(first[0]):.0f} documents/s",
        f"- following passes (median of {len(totals)}): {ms(total)} total, "
        f"**{len(paths) / total:.0f} documents/s**; per document median "
        f"{statistics.median(per_doc) * 1000:.2f} ms, p95 "
        f"{statistics.quantiles(per_doc, n=20)[18] * 1000:.2f} ms",
        "- slowest: "
        + ", ".join(f"{path.name} {seconds * 1000:.1f} ms" for seconds, path in slowest),
    ]
    return lines


def parse_floor(paths: list[Path]) -> float:
    """Seconds to parse every document with PyYAML's C loader (the median of 3 passes)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def one() -> float:
        started = time.perf_counter()
        for path in paths:
            try:
                yaml.load(path.read_bytes(), Loader=loader)  # noqa: S506 (a safe loader)
            except yaml.YAMLError:
                pass
        return time.perf_counter() - started

    one()
    return statistics.median(one() for _ in range(3))


def redocly_lint(paths: list[Path]) -> str:
    """Redocly's ``lint`` over every document in one process, or why it was not timed."""
    from bench.peers import PEERS, install, peer_env, version

    exe = install(PEERS["redocly"])
    if isinstance(exe, str):
        return f"- Redocly CLI: skipped, {exe}"
    # Redocly gives up on the first document of a version it does not support (2, 1.1.0)
    declared = re.compile(r"^arazzo:\s*['\"]?1\.0\.", re.M)
    paths = [p for p in paths if declared.search(p.read_text(errors="replace"))]
    times, output = {}, ""
    lint = [str(exe), "lint", *map(str, paths)]
    for what, argv in (("help", [str(exe), "--help"]), ("lint", lint)):
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, env=peer_env(), capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return "- Redocly CLI lint: did not finish in 600 s"
        times[what] = time.perf_counter() - started
        output = done.stdout + done.stderr
    checked = output.count(": validated in ")
    stopped = ""
    if checked < len(paths):
        reason = re.search(r"Something went wrong[^\n]*\n+\s*-?\s*([^\n]+)", output)
        why = reason.group(1).strip() if reason else "no reason printed"
        stopped = f"; **it stopped after {checked} of {len(paths)} documents** ({why})"
    work = max(times["lint"] - times["help"], 1e-9)
    return (
        f"- peer: Redocly CLI {version(PEERS['redocly'])}, `redocly lint` of the {len(paths)} "
        f"documents that declare `arazzo: 1.0.x`, in one process: {ms(times['lint'])}, "
        f"{checked} validated "
        f"({checked / times['lint']:.0f} documents/s; {checked / work:.0f} without its "
        f"{ms(times['help'])} start-up){stopped}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="timed passes after the first")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--peers", action="store_true", help="also time Redocly CLI's lint")
    args = parser.parse_args()
    if not (args.corpus / "MANIFEST.tsv").exists():
        print(f"Skipped: no corpus at {args.corpus}.")
        return
    rows = labelled(args.corpus)
    paths = [path for path, _ in rows]
    flagged: list[bool] = []
    passes = [one_pass(paths, flagged)]
    passes += [one_pass(paths) for _ in range(args.passes)]
    lines = report(paths, passes)
    lines.insert(1, agreement([label for _, label in rows], flagged))
    floor = parse_floor(paths)
    lines.append(
        f"- floor, parsing alone (PyYAML C loader, same documents): {ms(floor)}, "
        f"{len(paths) / floor:.0f} documents/s"
    )
    if args.peers:
        lines.append(redocly_lint(paths))
    print("\n".join(lines))
    argv = [sys.executable, "-m", "bench.validate_corpus", "--passes", str(args.passes)]
    argv += ["--peers"] * args.peers
    print(f"\nCommand: `{show(argv)}`")


if __name__ == "__main__":
    main()
