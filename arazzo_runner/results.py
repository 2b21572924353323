"""What a run produced, as values: a StepResult per executed step and one RunResult.

A failed criterion is data here (``StepResult.failures``), not an exception. ``to_dict()`` gives
the documented ``--json`` shape::

    {"workflowId", "status": "passed"|"failed", "outputs",
     "steps": [{"stepId", "status", "statusCode", "attempts", "durationMs", "failures": [...]}]}

``StepResult.excerpt`` is a short, already redacted :class:`Excerpt` of the step's last HTTP
exchange (headers and the first kilobyte of each body), for failure messages; it is not part of
``to_dict()`` (``Excerpt.to_dict()`` gives it as JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from arazzo_runner._missing import MISSING

__all__ = [
    "Excerpt",
    "Failure",
    "RunResult",
    "StepResult",
    "StreamFigures",
    "jsonable",
    "partial_result",
]

PARTIAL_ATTRIBUTE = "partial_result"
JSON_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
"""The exact types of JSON scalars (``type(x) in`` this: a quick test, subclasses excluded)."""
_INTERRUPT_CODES = {"interrupted": 130, "terminated": 143}

StepStatus = Literal["passed", "failed", "error"]
RunStatus = Literal["passed", "failed"]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a step failed: a criterion with its reason, or an error message. ``source`` is
    ``"response"`` for the server's own description of an error answer (fal's ``detail``,
    error type and request id, or a proxy's HTML page)."""

    reason: str
    condition: str | None = None
    source: str | None = None
    check: str | None = None  # a description check (docs/checks.md): schema, status-code, ...
    severity: str | None = None  # a check's level: "error" or "warn"
    pointer: str | None = None  # JSON Pointer into the checked value
    keyword: str | None = None  # the schema keyword that failed
    schema: str | None = None  # file:line of that keyword in the description

    def to_dict(self) -> dict[str, Any]:
        data = {"condition": self.condition, "reason": self.reason}
        if self.source is not None:
            data["source"] = self.source
        if self.check is not None:
            for key in ("check", "severity", "pointer", "keyword", "schema"):
                value = getattr(self, key)
                if value is not None:
                    data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A short view of one HTTP exchange, safe to show: secrets are masked when it is made.

    Bodies are text cut to a bounded length (``None``: no body); a stream that was handed over
    unread has ``response_body`` ``None`` and ``streamed`` true.
    """

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: str | None = None
    status_code: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str | None = None
    streamed: bool = False

    def lines(self) -> list[str]:
        """``> `` request lines, then ``< `` response lines, like ``curl -v``."""
        out = [f"> {self.method} {self.url}"]
        out += [f"> {name}: {value}" for name, value in self.request_headers]
        if self.request_body is not None:
            out += [">"] + [f"> {line}" for line in self.request_body.splitlines()]
        if self.status_code is None:
            return out + ["< (no response)"]
        out.append(f"< {self.status_code}")
        out += [f"< {name}: {value}" for name, value in self.response_headers]
        if self.streamed:
            out.append("< (event stream: body not read)")
        elif self.response_body is not None:
            out += ["<"] + [f"< {line}" for line in self.response_body.splitlines()]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": dict(self.request_headers),
                "body": self.request_body,
            },
            "response": {
                "statusCode": self.status_code,
                "headers": dict(self.response_headers),
                "body": self.response_body,
                "streamed": self.streamed,
            },
        }


@dataclass(frozen=True, slots=True)
class StreamFigures:
    """How a step's event stream arrived, in milliseconds from sending the request.

    ``first_byte_ms``: the answer's status line and headers; ``first_event_ms``: the first
    complete event (``None`` when none came); ``events``: how many the step read; the gaps
    between consecutive events: median, 99th percentile (nearest rank) and largest (``None``
    with fewer than two events). See :mod:`arazzo_runner.streaming.figures`.
    """

    first_byte_ms: float | None
    first_event_ms: float | None
    events: int
    gap_p50_ms: float | None = None
    gap_p99_ms: float | None = None
    gap_max_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "firstByteMs": self.first_byte_ms,
            "firstEventMs": self.first_event_ms,
            "events": self.events,
            "gapMs": {"p50": self.gap_p50_ms, "p99": self.gap_p99_ms, "max": self.gap_max_ms},
        }


@dataclass(slots=True)
class StepResult:
    step_id: str
    workflow_id: str
    status: StepStatus
    status_code: int | None = None
    attempts: int = 1
    duration_ms: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    method: str | None = None
    url: str | None = None
    events: int | None = None
    action: str | None = None
    excerpt: Excerpt | None = None
    stream: StreamFigures | None = None
    started_ms: float | None = None  # since the run started (not in to_dict: its shape is fixed)
    waited_ms: float = 0.0  # the retry delay slept before this attempt
    notes: list[str] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)  # description checks at "warn"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stepId": self.step_id,
            "workflowId": self.workflow_id,
            "status": self.status,
            "statusCode": self.status_code,
            "attempts": self.attempts,
            "durationMs": round(self.duration_ms, 3),
            "failures": [f.to_dict() for f in self.failures],
            "outputs": jsonable(self.outputs),
        }
        if self.method is not None:
            data["request"] = {"method": self.method, "url": self.url}
        if self.events is not None:
            data["events"] = self.events
        if self.action is not None:
            data["action"] = self.action
        if self.stream is not None:
            data["stream"] = self.stream.to_dict()
        if self.notes:
            data["notes"] = list(self.notes)
        if self.warnings:
            data["warnings"] = [w.to_dict() for w in self.warnings]
        return data


@dataclass(slots=True)
class RunResult:
    workflow_id: str
    status: RunStatus
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    duration_ms: float = 0.0
    ended_by: str | None = None
    cause: str | None = None  # why a failed run stopped: transport, timeout, budget, interrupted

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exit_code(self) -> int:
        """0 passed; 3 could not run (network, timeout); 130 interrupted (143 by SIGTERM);
        1 the workflow failed."""
        if self.passed:
            return 0
        if self.cause in _INTERRUPT_CODES:
            return _INTERRUPT_CODES[self.cause]
        return 3 if self.cause in ("transport", "timeout") else 1

    @property
    def failed_step(self) -> StepResult | None:
        for step in reversed(self.steps):
            if step.status != "passed":
                return step
        return None

    def explain(self, locate: Callable[[StepResult], str | None] | None = None) -> str:
        """Why the run failed, for a person: every step that did not pass, with each failed
        criterion and its reason and an excerpt of the step's last exchange (already redacted).

        ``locate`` may name where a step is written (``file:line``). A passed run: one line.
        """
        head = f"workflow {self.workflow_id} {self.status}"
        if self.passed:
            return head
        lines = [f"{head}: {self.error}" if self.error else head]
        for step in self.steps:
            if step.status != "passed":
                lines += _explain_step(step, locate(step) if locate else None)
        ran = ", ".join(f"{s.step_id} {s.status}" for s in self.steps)
        lines.append(f"steps run: {ran or 'none'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "workflowId": self.workflow_id,
            "status": self.status,
            "outputs": jsonable(self.outputs),
            "steps": [s.to_dict() for s in self.steps],
            "durationMs": round(self.duration_ms, 3),
        }
        if self.error is not None:
            data["error"] = self.error
        if self.ended_by is not None:
            data["endedBy"] = self.ended_by
        return data


def _explain_step(step: StepResult, where: str | None) -> list[str]:
    status = f"HTTP {step.status_code}" if step.status_code is not None else "no response"
    tries = f"{step.attempts} attempt" + ("s" if step.attempts != 1 else "")
    at = f" ({where})" if where else ""
    lines = [f"step {step.step_id}{at}: {step.status} ({status}, {tries})"]
    for failure in step.failures:
        if failure.condition is not None:
            lines.append(f"  criterion: {failure.condition}")
            lines.append("     reason: " + failure.reason.replace("\n", "\n" + " " * 13))
        else:
            lines.append("  error: " + failure.reason.replace("\n", "\n" + " " * 9))
    if step.excerpt is not None:
        lines.append("  exchange:")
        lines += [f"    {line}" for line in step.excerpt.lines()]
    return lines


def jsonable(value: Any) -> Any:
    """``value`` with MISSING as None and bytes as text, ready for ``json.dumps``."""
    if type(value) in JSON_SCALAR_TYPES:
        return value  # the common leaf, answered before the isinstance checks
    if value is MISSING:
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def partial_result(interrupt: BaseException) -> RunResult | None:
    """What a run had done when Ctrl-C (or SIGTERM) stopped it: the engine attaches it to the
    ``KeyboardInterrupt`` it lets through (steps so far, the one in progress as ``error``)."""
    found = getattr(interrupt, PARTIAL_ATTRIBUTE, None)
    return found if isinstance(found, RunResult) else None
