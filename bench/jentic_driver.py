"""Time Jentic's ``ArazzoRunner.execute_workflow`` in its own process and venv; print JSON.

    bench/.venvs/jentic/bin/python bench/jentic_driver.py DOCUMENT RUNS

Run by ``bench/steps.py`` with the interpreter of ``bench/.venvs/jentic`` (Jentic's package is
also called ``arazzo_runner``, so it can only be imported there). The document is loaded once,
the workflow run once untimed, then ``RUNS`` times; each run must end ``workflow_complete``.
No import of ``bench`` or of this project.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from arazzo_runner import ArazzoRunner  # Jentic's package, in Jentic's venv


def main() -> None:
    document, runs = sys.argv[1], int(sys.argv[2])
    logging.disable(logging.INFO)  # its quietest setting, as --log-level ERROR on its CLI
    runner = ArazzoRunner.from_arazzo_path(document)
    seconds = []
    for i in range(runs + 1):
        started = time.perf_counter()
        result = runner.execute_workflow("steps", {})
        if i:
            seconds.append(time.perf_counter() - started)
        if str(result.status) != "workflow_complete":
            raise SystemExit(f"run ended {result.status}: {result.error}")
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
