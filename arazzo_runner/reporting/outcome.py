"""What one workflow of a command produced: a RunResult, or the error that kept it from running.

A run of many (``arazzo run DIR``, ``--all``) yields one :class:`Outcome` per workflow, plus one
per file that could not be loaded (``workflow_id`` ``None``). Reporters read only outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from arazzo_runner.errors import ArazzoError
from arazzo_runner.results import RunResult

__all__ = ["Outcome", "Status", "suite_exit_code"]

Status = Literal["passed", "failed", "error"]

# Which exit code a run of many ends with when its outcomes differ: the suite itself being
# broken (2: a document or inputs, 3: could not run) comes before a workflow that failed (1).
_PRECEDENCE = (2, 3, 1, 130)


@dataclass(frozen=True)
class Outcome:
    """One workflow of one file: its ``result``, or the ``error`` raised before it could run."""

    file: str
    workflow_id: str | None
    result: RunResult | None = None
    error: ArazzoError | None = None

    @property
    def exit_code(self) -> int:
        if self.result is not None:
            return self.result.exit_code
        return self.error.exit_code if self.error is not None else 3

    @property
    def status(self) -> Status:
        """``passed``; ``failed`` (exit 1); ``error`` (invalid, or could not run: exit 2/3)."""
        code = self.exit_code
        return "passed" if code == 0 else "failed" if code == 1 else "error"

    @property
    def name(self) -> str:
        """The workflow id, or the file for an outcome that is about the whole file."""
        return self.workflow_id or self.file

    @property
    def duration_ms(self) -> float:
        return self.result.duration_ms if self.result is not None else 0.0

    @property
    def message(self) -> str | None:
        """Why it did not pass, in one line (``None`` when it passed)."""
        if self.error is not None:
            return str(self.error)
        if self.result is None or self.result.passed:
            return None
        if self.result.error:
            return self.result.error
        failed = self.result.failed_step
        return f"step {failed.step_id} {failed.status}" if failed is not None else "failed"


def suite_exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 when every outcome passed, else the most serious code among them (2, 3, then 1)."""
    codes = {o.exit_code for o in outcomes}
    return next((code for code in _PRECEDENCE if code in codes), max(codes, default=0))
