"""The pytest plugin over ``workflows/``, with and without pytest-xdist (``-n 2``).

    python -m bench.xdist

Copies ``workflows/`` and ``openapi/`` into a temporary project whose ``pytest.ini`` collects
every workflow file, then runs ``pytest --arazzo-mock`` (each process serves the sources from
their examples) once alone and once with ``-n 2``, each writing ``--junitxml``. The outcome of
every item id must be the same; the table gives the counts and wall times.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from bench._common import REPO


def _outcomes(report: Path) -> dict[str, str]:
    found = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                outcome = kind
        found[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for folder in ("workflows", "openapi"):
            shutil.copytree(REPO / folder, project / folder)
        (project / "pytest.ini").write_text("[pytest]\narazzo_files = workflows/*.y*ml\n")
        runs = {}
        for label, extra in (("alone", []), ("-n 2", ["-n", "2"])):
            report = project / f"{len(runs)}.xml"
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            argv += ["--arazzo-mock", f"--junitxml={report}", *extra]
            started = time.perf_counter()
            subprocess.run(argv, cwd=project, capture_output=True, timeout=600, check=False)
            runs[label] = (time.perf_counter() - started, _outcomes(report))
    print("`pytest --arazzo-mock` over a copy of `workflows/` (every workflow file collected)\n")
    print("| run | items | passed | failed | error | wall time |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (took, outcomes) in runs.items():
        counts = Counter(outcomes.values())
        print(
            f"| {label} | {len(outcomes)} | {counts['passed']} | {counts['failure']} | "
            f"{counts['error']} | {took:.1f} s |"
        )
    same = runs["alone"][1] == runs["-n 2"][1]
    print(
        f"\n- same outcome for every item id with and without xdist: **{'yes' if same else 'NO'}**"
    )


if __name__ == "__main__":
    main()
