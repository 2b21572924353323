"""What a run produced, as values: a StepResult per executed step and one RunResult.

A failed criterion is data here (``StepResult.failures``), not an exception. ``to_dict()`` gives
the documented ``--json`` shape::

    {"workflowId", "status": "passed"|"failed", "outputs",
     "steps": [{"stepId", "status", "statusCode", "attempts", "durationMs", "failures": [...]}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ._missing import MISSING

__all__ = ["Failure", "RunResult", "StepResult", "jsonable"]

StepStatus = Literal["passed", "failed", "error"]
RunStatus = Literal["passed", "failed"]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a step failed: a criterion with its reason, or an error message."""

    reason: str
    condition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "reason": self.reason}


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
    cause: str | None = None  # why a failed run stopped: transport, timeout, budget, ...

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exit_code(self) -> int:
        """0 passed; 3 could not run (network, timeout); 1 the workflow failed."""
        if self.passed:
            return 0
        return 3 if self.cause in ("transport", "timeout") else 1

    @property
    def failed_step(self) -> StepResult | None:
        for step in reversed(self.steps):
            if step.status != "passed":
                return step
        return None

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


def jsonable(value: Any) -> Any:
    """``value`` with MISSING as None and bytes as text, ready for ``json.dumps``."""
    if value is MISSING:
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
