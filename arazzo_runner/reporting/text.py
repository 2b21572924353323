"""Runs as lines for a terminal (and for JUnit's ``system-out``): steps, verdicts, a table.

These functions return text with secrets still in it only if the caller's data had them; the
callers pass everything through the run's Redactor before it is shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from arazzo_runner.reporting.outcome import Outcome
from arazzo_runner.results import RunResult, StepResult

__all__ = ["result_lines", "step_lines", "summary_table"]

_COLUMNS = ("workflow", "status", "steps", "duration", "file")
_STREAM_COLUMNS = ("workflow", "status", "steps", "duration", "first event", "file")


def step_lines(step: StepResult) -> list[str]:
    """``  ok   wf/step 200 x2 1.5 ms (3 events)``, one ``- reason`` line per failure and one
    ``. omitted: q ($inputs.filter not set)`` line per value the request left out., and one
    ``! warning:`` line per description check at the ``warn`` level."""
    mark = "ok  " if step.status == "passed" else "FAIL"
    code = "" if step.status_code is None else f" {step.status_code}"
    extra = _stream_note(step)
    tries = f" x{step.attempts}" if step.attempts > 1 else ""
    head = f"  {mark} {step.workflow_id}/{step.step_id}{code}{tries}"
    lines = [f"{head} {step.duration_ms:.1f} ms{extra}"]
    lines.extend(
        f"       - {f.condition + ': ' if f.condition else ''}{f.reason}" for f in step.failures
    )
    lines.extend(f"       . {note}" for note in step.notes)  # what the request left out
    lines.extend(f"       ! warning: {w.reason}" for w in step.warnings)
    return lines


def _stream_note(step: StepResult) -> str:
    """`` (3 events, first event 41.2 ms)``, or `` (3 events)``, or nothing. A stream handed
    to a consumer (``--stream``) has its count in its figures only."""
    figures = step.stream
    events = step.events
    if events is None and figures is not None and figures.events:
        events = figures.events
    if events is None:
        return ""
    if figures is None or figures.first_event_ms is None:
        return f" ({events} events)"
    return f" ({events} events, first event {figures.first_event_ms:.1f} ms)"


def first_event_ms(outcome: Outcome) -> float | None:
    """The time to first event of the outcome's first streaming step that got an event."""
    result = outcome.result
    for step in result.steps if result is not None else ():
        if step.stream is not None and step.stream.first_event_ms is not None:
            return step.stream.first_event_ms
    return None


def result_lines(result: RunResult) -> list[str]:
    """Every step, the verdict line, and the outputs as JSON (when there are any)."""
    lines = [line for step in result.steps for line in step_lines(step)]
    verdict = "passed" if result.passed else "FAILED"
    lines.append(f"{result.workflow_id}: {verdict} in {result.duration_ms:.0f} ms")
    if result.outputs:
        lines.append("outputs: " + json.dumps(result.to_dict()["outputs"], ensure_ascii=False))
    return lines


def _row(outcome: Outcome, streams: bool) -> tuple[str, ...]:
    steps = "-" if outcome.result is None else str(len(outcome.result.steps))
    duration = "-" if outcome.result is None else f"{outcome.duration_ms:.0f} ms"
    name = outcome.workflow_id or "(file)"
    if not streams:
        return (name, outcome.status, steps, duration, outcome.file)
    first = first_event_ms(outcome)
    shown = "-" if first is None else f"{first:.0f} ms"
    return (name, outcome.status, steps, duration, shown, outcome.file)


def summary_table(outcomes: Sequence[Outcome]) -> list[str]:
    """An aligned table (workflow, status, steps, duration, file) and a count line; when a
    workflow streamed, a ``first event`` column (its first stream's time to first event)."""
    streams = any(first_event_ms(o) is not None for o in outcomes)
    columns = _STREAM_COLUMNS if streams else _COLUMNS
    rows = [columns, *(_row(o, streams) for o in outcomes)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    right = {2, 3, 4} if streams else {2, 3}  # numbers are right-aligned
    lines = [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    counts = {s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "error")}
    total = sum(o.duration_ms for o in outcomes)
    noun = "workflow" if len(outcomes) == 1 else "workflows"
    lines.append(
        f"{len(outcomes)} {noun}: {counts['passed']} passed, {counts['failed']} failed,"
        f" {counts['error']} error(s) in {total:.0f} ms"
    )
    return lines
