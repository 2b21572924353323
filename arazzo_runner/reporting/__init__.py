"""Reports of runs, for people and CI: pure functions from outcomes to text (layer 8).

One module per format, each turning a list of :class:`~arazzo_runner.reporting.outcome.Outcome`
(one per workflow that was run, or per file that could not be) into the whole text of a file:

* :mod:`.json_report` the ``--json`` objects (``--report-json PATH``);
* :mod:`.junit`       JUnit XML: a testsuite per file, a testcase per workflow (``--junit-xml``);
* :mod:`.har`         HAR 1.2: every HTTP exchange, streamed bodies as the events received
  (``--har``); its :class:`~.har.HarRecorder` listens on the run's ``httpx.Client``;
* :mod:`.text`        the terminal's step lines and the summary table of a run of many.

Nothing here prints or writes files: the CLI (:mod:`arazzo_runner.cli.run`) is the only
place that writes the files a user named. Every string that leaves a reporter has been through
the run's :class:`~arazzo_runner.redact.Redactor`.
"""

from __future__ import annotations

from arazzo_runner.reporting.outcome import Outcome, suite_exit_code

__all__ = ["Outcome", "suite_exit_code"]
