"""JUnit XML for a run: a ``testsuite`` per file, a ``testcase`` per workflow.

* passed: an empty testcase;
* failed (exit 1): a ``failure`` whose ``message`` names the failed step and whose text lists
  every step that did not pass with each failed criterion and its reason;
* could not run or invalid (exit 2/3): an ``error`` with the message (``type`` is the error
  class, or the cause such as ``transport``/``timeout``).

Every testcase that ran has the step list (the terminal's lines) in ``system-out``. ``time`` is
in seconds. A file that could not be loaded is a testsuite with one testcase named after the
file. Text is redacted, and characters XML 1.0 cannot hold are replaced by U+FFFD.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from arazzo_runner.redact import Redactor
from arazzo_runner.reporting.diagnostics import xml_safe
from arazzo_runner.reporting.outcome import Outcome
from arazzo_runner.reporting.text import step_lines
from arazzo_runner.results import RunResult

__all__ = ["render_junit"]


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def _failure_text(result: RunResult) -> str:
    """Every step that did not pass with its failures (the run's error when none is listed)."""
    lines: list[str] = []
    for step in result.steps:
        if step.status == "passed":
            continue
        code = f"HTTP {step.status_code}" if step.status_code is not None else "no response"
        lines.append(f"step {step.step_id}: {step.status} ({code}, attempts: {step.attempts})")
        for failure in step.failures:
            where = f"{failure.condition}: " if failure.condition else ""
            lines.append(f"  - {where}{failure.reason}")
    if not lines or (result.error and not result.error.startswith("step ")):
        lines.insert(0, result.error or "failed")
    return "\n".join(lines)


def _problem(case: ET.Element, outcome: Outcome, clean: Redactor) -> None:
    result, message = outcome.result, clean.redact_text(outcome.message or "")
    if outcome.status == "failed" and result is not None:
        failed = result.failed_step
        kind = "criterion" if failed is not None and failed.failures else "failed"
        node = ET.SubElement(case, "failure", message=xml_safe(message), type=kind)
        node.text = xml_safe(clean.redact_text(_failure_text(result)))
        return
    kind = type(outcome.error).__name__ if outcome.error is not None else "RunError"
    if result is not None and result.cause:
        kind = result.cause
    node = ET.SubElement(case, "error", message=xml_safe(message), type=kind)
    node.text = xml_safe(clean.redact_text(_failure_text(result) if result else message))


def _testcase(suite: ET.Element, outcome: Outcome, clean: Redactor) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_safe(outcome.file),
        name=xml_safe(outcome.name),
        time=_seconds(outcome.duration_ms),
    )
    _stream_properties(case, outcome)
    if outcome.status != "passed":
        _problem(case, outcome, clean)
    if outcome.result is not None:
        lines = [line for step in outcome.result.steps for line in step_lines(step)]
        out = ET.SubElement(case, "system-out")
        out.text = xml_safe(clean.redact_text("\n".join(lines) + "\n"))


_FIGURES = (
    ("firstByteMs", "first_byte_ms"),
    ("firstEventMs", "first_event_ms"),
    ("events", "events"),
    ("gapP50Ms", "gap_p50_ms"),
    ("gapP99Ms", "gap_p99_ms"),
    ("gapMaxMs", "gap_max_ms"),
)


def _stream_properties(case: ET.Element, outcome: Outcome) -> None:
    """``<properties>`` with ``stream.<stepId>.<figure>`` for each streaming step (a figure
    that is unknown, such as the first event of a stream that sent none, is left out)."""
    steps = [s for s in outcome.result.steps if s.stream is not None] if outcome.result else []
    if not steps:
        return
    node = ET.SubElement(case, "properties")
    for step in steps:
        for name, attribute in _FIGURES:
            value = getattr(step.stream, attribute)
            if value is not None:
                prefix = xml_safe(f"stream.{step.step_id}.{name}")
                ET.SubElement(node, "property", name=prefix, value=str(value))


def _counts(outcomes: Sequence[Outcome]) -> dict[str, str]:
    return {
        "tests": str(len(outcomes)),
        "failures": str(sum(o.status == "failed" for o in outcomes)),
        "errors": str(sum(o.status == "error" for o in outcomes)),
        "skipped": "0",
        "time": _seconds(sum(o.duration_ms for o in outcomes)),
    }


def render_junit(outcomes: Sequence[Outcome], redactor: Redactor, *, name: str = "arazzo") -> str:
    """The whole JUnit XML document (``testsuites`` root) for ``outcomes``."""
    files: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        files.setdefault(outcome.file, []).append(outcome)
    root = ET.Element("testsuites", {"name": name, **_counts(outcomes)})
    for file, group in files.items():
        suite = ET.SubElement(root, "testsuite", {"name": xml_safe(file), **_counts(group)})
        for outcome in group:
            _testcase(suite, outcome, redactor)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
