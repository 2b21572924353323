"""Reports of runs, for people and CI: pure functions from outcomes to text (layer 8).

One module per format, each turning a list of :class:`~arazzo_runner.reporting.outcome.Outcome`
(one per workflow that was run, or per file that could not be) into the whole text of a file:

* :mod:`.json_report` the ``--json`` objects (``--report-json PATH``);
* :mod:`.junit`       JUnit XML: a testsuite per file, a testcase per workflow (``--junit-xml``);
* :mod:`.har`         HAR 1.2: every HTTP exchange, streamed bodies as the events received
  (``--har``); its :class:`~.har.HarRecorder` listens on the run's ``httpx.Client``;
* :mod:`.html_report` one self-contained HTML page: summary, timeline, graph, excerpts, event
  charts (``--html``); the graph itself comes from :mod:`.graph` (drawn as Mermaid/dot text by
  :mod:`.graph_text` for ``arazzo graph``, as SVG by :mod:`.graph_svg`);
* :mod:`.text`        the terminal's step lines and the summary table of a run of many.

Nothing here prints or writes files: the CLI (:mod:`arazzo_runner.cli.run`) is the only
place that writes the files a user named. Every string that leaves a reporter has been through
the run's :class:`~arazzo_runner.redact.Redactor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.reporting.diagnostics import FORMATS, render
    from arazzo_runner.reporting.graph import Graph, document_graph
    from arazzo_runner.reporting.graph_svg import render_graph_svg
    from arazzo_runner.reporting.graph_text import GRAPH_FORMATS, render_graph
    from arazzo_runner.reporting.har import HarRecorder, render_har
    from arazzo_runner.reporting.html_report import render_html, stream_traces
    from arazzo_runner.reporting.json_report import render_json, report_data
    from arazzo_runner.reporting.junit import render_junit
    from arazzo_runner.reporting.outcome import Outcome, suite_exit_code
    from arazzo_runner.reporting.text import result_lines, step_lines, summary_table

__all__ = [
    "FORMATS",
    "GRAPH_FORMATS",
    "Graph",
    "HarRecorder",
    "Outcome",
    "document_graph",
    "render",
    "render_graph",
    "render_graph_svg",
    "render_har",
    "render_html",
    "render_json",
    "render_junit",
    "report_data",
    "result_lines",
    "step_lines",
    "stream_traces",
    "suite_exit_code",
    "summary_table",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "FORMATS": "diagnostics",
            "GRAPH_FORMATS": "graph_text",
            "Graph": "graph",
            "document_graph": "graph",
            "render_graph_svg": "graph_svg",
            "render_graph": "graph_text",
            "HarRecorder": "har",
            "Outcome": "outcome",
            "render": "diagnostics",
            "render_har": "har",
            "render_html": "html_report",
            "render_json": "json_report",
            "render_junit": "junit",
            "report_data": "json_report",
            "result_lines": "text",
            "step_lines": "text",
            "stream_traces": "html_report",
            "suite_exit_code": "outcome",
            "summary_table": "text",
        },
    )
