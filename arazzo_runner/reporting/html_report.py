"""The HTML report (``arazzo run --html PATH``): one self-contained file to open anywhere.

No script, no stylesheet or font from elsewhere, no image file: CSS is inline and every
picture is inline SVG, so the file opens offline (a CI artefact) and reads the same with
JavaScript off; steps fold with ``<details>``. For each workflow run: a summary, the timeline
(a bar per attempt, retry waits hatched, stream events ticked), the workflow's graph with each
step coloured by its last outcome, and per attempt its criteria (each success criterion
passed, failed with its reason, or not evaluated), the request and response excerpt
(:class:`~arazzo_runner.results.Excerpt`, masked when it was made) and, for a stream, its events
over time (time to first byte and to first event, median and largest gap, rate).

Event times come from the run's HTTP recording (:class:`~.har.HarRecorder`, the one ``--har``
uses), matched to the attempts in order by method and path; :func:`stream_traces` does that.
Every text passes through the run's Redactor before it is written into the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any
from urllib.parse import urlsplit

from arazzo_runner import __version__
from arazzo_runner.document import ArazzoDocument
from arazzo_runner.redact import Redactor
from arazzo_runner.reporting.graph import document_graph
from arazzo_runner.reporting.graph_svg import render_graph_svg
from arazzo_runner.reporting.har import HarRecorder, render_har
from arazzo_runner.reporting.html_charts import (
    Bar,
    StreamTrace,
    event_chart,
    gap_figures,
    timeline_svg,
)
from arazzo_runner.reporting.outcome import Outcome
from arazzo_runner.results import RunResult, StepResult, jsonable

__all__ = ["render_html", "stream_traces"]

MAX_DETAILED = 100
"""Attempts shown in full; a longer run (a goto loop) shows the first and last half of them."""
MAX_BARS = 600
"""Attempts drawn on the timeline, cut the same way."""

Traces = Mapping[int, StreamTrace]
"""``id(StepResult)`` → the events its response carried."""

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;margin:24px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:10px 0 4px}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;
vertical-align:middle;border:1px solid}
.passed .badge,.badge.passed{background:#dcfce7;border-color:#16a34a;color:#166534}
.failed .badge,.badge.failed{background:#fee2e2;border-color:#dc2626;color:#991b1b}
.error .badge,.badge.error{background:#ffedd5;border-color:#ea580c;color:#9a3412}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:8px 0}
dl.summary dt{color:#475569}dl.summary dd{margin:0}
details.step{border:1px solid #e2e8f0;border-left:4px solid #94a3b8;border-radius:4px;
margin:6px 0;padding:4px 10px}
details.step.passed{border-left-color:#16a34a}details.step.failed{border-left-color:#dc2626}
details.step.error{border-left-color:#ea580c}summary{cursor:pointer}
pre{background:#f8fafc;border:1px solid #e2e8f0;padding:8px;overflow:auto;font-size:12px;
white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #e2e8f0;
padding:3px 8px;text-align:left;vertical-align:top}
td.passed{color:#166534}td.failed{color:#991b1b}td.skipped{color:#64748b}
.chart{overflow-x:auto}.muted{color:#64748b}
"""


def _page_text(text: str, redactor: Redactor) -> str:
    return escape(redactor.redact_text(text))


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def _path_of(url: str | None) -> str:
    return urlsplit(url or "").path


def stream_traces(
    recorder: HarRecorder, outcomes: Sequence[Outcome], redactor: Redactor
) -> dict[int, StreamTrace]:
    """The event times of every streamed attempt, from the recording.

    Attempts with a request (``StepResult.method``) are paired with the recorded exchanges in
    order by method and URL path; an exchange the steps did not send (an OAuth2 token request)
    is passed over. Only exchanges that carried ``text/event-stream`` give a trace.
    """
    entries = render_har(recorder, redactor)["log"]["entries"]
    found: dict[int, StreamTrace] = {}
    cursor = 0
    for outcome in outcomes:
        for step in outcome.result.steps if outcome.result is not None else ():
            if step.method is None:
                continue
            for index in range(cursor, len(entries)):
                request = entries[index]["request"]
                if request["method"] == step.method and _path_of(request["url"]) == _path_of(
                    step.url
                ):
                    cursor = index + 1
                    trace = _trace(entries[index])
                    if trace is not None:
                        found[id(step)] = trace
                    break
    return found


def _trace(entry: Mapping[str, Any]) -> StreamTrace | None:
    events = entry.get("_events")
    if events is None:
        return None
    wait = entry.get("timings", {}).get("wait")
    times = tuple(float(e["time"]) for e in events)
    return StreamTrace(wait if wait else None, times, bool(entry.get("_eventsComplete")))


def render_html(
    outcomes: Sequence[Outcome],
    redactor: Redactor,
    *,
    documents: Mapping[str, ArazzoDocument | None] | None = None,
    traces: Traces | None = None,
    title: str = "arazzo run",
) -> str:
    """The whole page. ``documents`` (file → its Arazzo document) gives the graphs and the
    criteria; ``traces`` (see :func:`stream_traces`) the event charts."""
    documents, traces = documents or {}, traces or {}
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "error")}
    head = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing ran"
    sections = [
        _outcome(index, outcome, documents.get(outcome.file), traces, redactor)
        for index, outcome in enumerate(outcomes)
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_page_text(title, redactor)}: {escape(head)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{_page_text(title, redactor)}</h1>"
        f'<p class="muted">{escape(head)} &middot; written {made} by arazzo-runner'
        f" {escape(__version__)}</p></header>" + "".join(sections) + "</body></html>\n"
    )


def _outcome(
    index: int,
    outcome: Outcome,
    document: ArazzoDocument | None,
    traces: Traces,
    redactor: Redactor,
) -> str:
    uid = f"r{index}"
    name = _page_text(outcome.name, redactor)
    badge = f'<span class="badge {outcome.status}">{outcome.status}</span>'
    out = [f'<section class="run {outcome.status}" id="{uid}"><h2>{name} {badge}</h2>']
    result = outcome.result
    if result is None:
        out.append(_summary(outcome, None, redactor))
        return "".join(out) + "</section>"
    out.append(_summary(outcome, result, redactor))
    bars = _bars(result, traces, uid)
    if bars:
        chart = timeline_svg(bars, result.duration_ms, uid=uid)
        out.append(f'<h3>Timeline</h3><div class="chart">{chart}</div>')
    if document is not None and document.workflow(result.workflow_id) is not None:
        graph = document_graph(document, result.workflow_id)
        drawn = render_graph_svg(graph, _last_status(result), uid=f"{uid}g")
        out.append(f'<h3>Graph</h3><div class="chart">{drawn}</div>')
    out.append("<h3>Steps</h3>")
    for n in _shown(len(result.steps), MAX_DETAILED):
        if n is None:
            left = len(result.steps) - MAX_DETAILED
            out.append(f'<p class="muted">... {left} more attempts (in the JSON report) ...</p>')
            continue
        step = result.steps[n]
        out.append(_step(f"{uid}-s{n}", step, document, traces.get(id(step)), redactor))
    if not result.steps:
        out.append('<p class="muted">No step ran.</p>')
    return "".join(out) + "</section>"


def _shown(count: int, limit: int) -> list[int | None]:
    """The indexes to draw: all, or the first and last ``limit // 2`` with ``None`` between."""
    if count <= limit:
        return list(range(count))
    half = limit // 2
    return [*range(half), None, *range(count - half, count)]


def _summary(outcome: Outcome, result: RunResult | None, redactor: Redactor) -> str:
    rows: list[tuple[str, str]] = [("file", outcome.file), ("exit code", str(outcome.exit_code))]
    if result is not None:
        waited = sum(s.waited_ms for s in result.steps)
        events = sum(s.events or 0 for s in result.steps)
        rows += [
            ("duration", _ms(result.duration_ms)),
            ("attempts", f"{len(result.steps)} ({len({s.step_id for s in result.steps})} steps)"),
        ]
        if waited:
            rows.append(("retries waited", _ms(waited)))
        if events:
            rows.append(("events", str(events)))
        if result.ended_by:
            rows.append(("ended by", result.ended_by))
    if outcome.message:
        rows.append(("error" if outcome.status == "error" else "why", outcome.message))
    cells = "".join(f"<dt>{k}</dt><dd>{_page_text(v, redactor)}</dd>" for k, v in rows)
    return f'<dl class="summary">{cells}</dl>'


def _last_status(result: RunResult) -> dict[tuple[str, str], str]:
    return {(s.workflow_id, s.step_id): s.status for s in result.steps}


def _bars(result: RunResult, traces: Traces, uid: str) -> list[Bar]:
    counts: dict[tuple[str, str], int] = {}
    bars = []
    drawn = set(_shown(len(result.steps), MAX_BARS))
    for n, step in enumerate(result.steps):
        key = (step.workflow_id, step.step_id)
        counts[key] = counts.get(key, 0) + 1
        if step.started_ms is None or n not in drawn:
            continue
        trace = traces.get(id(step))
        bars.append(
            Bar(
                row=f"{step.workflow_id}/{step.step_id}",
                start_ms=step.started_ms,
                duration_ms=step.duration_ms,
                status=step.status,
                waited_ms=step.waited_ms,
                attempt=counts[key],
                anchor=f"{uid}-s{n}",
                events_ms=trace.events_ms if trace else (),
            )
        )
    return bars


def _step(
    anchor: str,
    step: StepResult,
    document: ArazzoDocument | None,
    trace: StreamTrace | None,
    redactor: Redactor,
) -> str:
    code = f" HTTP {step.status_code}" if step.status_code is not None else ""
    extra = f" &middot; {step.events} events" if step.events is not None else ""
    opened = " open" if step.status != "passed" or trace is not None else ""
    head = (
        f"<summary><strong>{_page_text(step.workflow_id + '/' + step.step_id, redactor)}"
        f'</strong> <span class="badge {step.status}">{step.status}</span>{code}'
        f" &middot; {_ms(step.duration_ms)} &middot; attempt {step.attempts}{extra}</summary>"
    )
    out = [f'<details class="step {step.status}" id="{anchor}"{opened}>{head}']
    facts = []
    if step.started_ms is not None:
        facts.append(f"started at {_ms(step.started_ms)}")
    if step.waited_ms:
        facts.append(f"after waiting {_ms(step.waited_ms)} to retry")
    if step.action:
        facts.append(f"then {step.action}")
    if facts:
        out.append(f'<p class="muted">{_page_text(", ".join(facts), redactor)}</p>')
    out.append(_criteria(step, document, redactor))
    other = [f for f in step.failures if f.condition is None]
    if other:
        items = "".join(f"<li>{_page_text(f.reason, redactor)}</li>" for f in other)
        out.append(f"<h4>Failures</h4><ul>{items}</ul>")
    if step.excerpt is not None:
        text = _page_text("\n".join(step.excerpt.lines()), redactor)
        out.append(f"<h4>Request and response</h4><pre>{text}</pre>")
    if trace is not None:
        out.append(_events(trace))
    if step.outputs:
        data = redactor.redact_data(jsonable(step.outputs))
        out.append(f"<h4>Outputs</h4><pre>{escape(_json(data))}</pre>")
    return "".join(out) + "</details>"


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _criteria(step: StepResult, document: ArazzoDocument | None, redactor: Redactor) -> str:
    conditions = _conditions(step, document)
    failed = {f.condition: f.reason for f in step.failures if f.condition is not None}
    evaluated = (
        step.status == "passed" or bool(failed) or any(f.source == "stream" for f in step.failures)
    )
    rows = []
    for condition in conditions:
        if condition in failed:
            verdict, css = "failed: " + failed.pop(condition), "failed"
        elif evaluated:
            verdict, css = "passed", "passed"
        else:
            verdict, css = "not evaluated", "skipped"
        rows.append((condition, verdict, css))
    rows += [(c, "failed: " + r, "failed") for c, r in failed.items()]
    if not rows:
        return ""
    body = "".join(
        f'<tr><td><code>{_page_text(c, redactor)}</code></td><td class="{css}">'
        f"{_page_text(v, redactor)}</td></tr>"
        for c, v, css in rows
    )
    return f"<h4>Criteria</h4><table><tr><th>criterion</th><th>result</th></tr>{body}</table>"


def _conditions(step: StepResult, document: ArazzoDocument | None) -> list[str]:
    """The step's success criteria as written (none: the default 2xx rule)."""
    workflow = document.workflow(step.workflow_id) if document is not None else None
    written = workflow.step(step.step_id) if workflow is not None else None
    if written is None:
        return []
    if written.workflow_id is not None and not written.success_criteria:
        return []
    return [c.condition for c in written.success_criteria] or ["2xx (default)"]


def _events(trace: StreamTrace) -> str:
    figures = gap_figures(trace.events_ms)
    facts = [f"{len(trace.events_ms)} events"]
    if trace.first_byte_ms is not None:
        facts.append(f"first byte after {_ms(trace.first_byte_ms)}")
    if trace.events_ms:
        facts.append(f"first event after {_ms(trace.events_ms[0])}")
    if figures:
        facts.append(f"median gap {_ms(figures['median_gap'])}")
        facts.append(f"largest gap {_ms(figures['max_gap'])}")
    if "rate" in figures:
        facts.append(f"{figures['rate']:.1f} events/s")
    if not trace.complete:
        facts.append("the stream was not read to its end")
    chart = event_chart(trace) if trace.events_ms else ""
    return f'<h4>Events</h4><p>{escape(", ".join(facts))}</p><div class="chart">{chart}</div>'
