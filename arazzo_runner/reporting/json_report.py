"""The JSON report: exactly what ``arazzo run --json`` prints (``--report-json PATH``).

One workflow: ``RunResult.to_dict()``. A run of many: a list with one object per outcome, each
``to_dict()`` plus ``file`` and ``exitCode``; a file or workflow that could not run is
``{"file", "workflowId", "status": "error", "exitCode", "error"}``. Secrets are masked by value
in every string (keys included) by the run's Redactor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from arazzo_runner.redact import Redactor
from arazzo_runner.reporting.outcome import Outcome

__all__ = ["outcome_data", "report_data", "render_json"]


def outcome_data(outcome: Outcome, *, many: bool) -> dict[str, Any]:
    """The object for one outcome (``many``: with ``file`` and ``exitCode``)."""
    if outcome.result is not None:
        data = outcome.result.to_dict()
        return {**data, "file": outcome.file, "exitCode": outcome.exit_code} if many else data
    return {
        "file": outcome.file,
        "workflowId": outcome.workflow_id,
        "status": "error",
        "exitCode": outcome.exit_code,
        "error": outcome.message,
    }


def report_data(outcomes: Sequence[Outcome], redactor: Redactor, *, many: bool) -> Any:
    """One object, or a list of them when ``many``; redacted."""
    items = [outcome_data(o, many=many) for o in outcomes]
    data: Any = items if many else items[0]
    return redactor.redact_data(data)


def render_json(outcomes: Sequence[Outcome], redactor: Redactor, *, many: bool) -> str:
    """The report file's text (indented, one trailing newline)."""
    data = report_data(outcomes, redactor, many=many)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
