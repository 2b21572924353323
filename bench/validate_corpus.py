"""Validation throughput: every Arazzo document of the conformance corpus, in one process.

    python -m bench.validate_corpus [--passes 3] [--corpus ../shared/corpus]

Documents are the rows of ``MANIFEST.tsv`` whose validity is not ``n/a`` (valid, invalid and
unknown), read in place. Each is validated with ``validate_path(path, offline=True)`` (remote
sources are not fetched). The first pass pays lazy imports and cold caches and is reported on
its own; the throughput is the median of the following passes.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

from bench._common import REPO, ms, show

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def documents(corpus: Path) -> list[Path]:
    with (corpus / "MANIFEST.tsv").open(newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [corpus / row["local_path"] for row in rows if row["validity"] != "n/a"]


def one_pass(paths: list[Path]) -> tuple[list[float], int, int]:
    """Per-document seconds, documents with error diagnostics, documents that raised."""
    from arazzo_runner.diagnostics import Severity
    from arazzo_runner.validate import validate_path

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
        with_errors += any(d.severity is Severity.ERROR for d in found)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="timed passes after the first")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not (args.corpus / "MANIFEST.tsv").exists():
        print(f"Skipped: no corpus at {args.corpus}.")
        return
    paths = documents(args.corpus)
    passes = [one_pass(paths) for _ in range(1 + args.passes)]
    print("\n".join(report(paths, passes)))
    argv = [sys.executable, "-m", "bench.validate_corpus", "--passes", str(args.passes)]
    print(f"\nCommand: `{show(argv)}`")


if __name__ == "__main__":
    main()
