"""Arazzo 1.1 step ``dependsOn`` at run time: steps run in array order (validate rejects an
order that cannot satisfy a dependency); a step whose dependency has not passed in this run
(skipped by a ``goto``, or failed) is an error before its request, naming the dependency."""

from __future__ import annotations

__all__ = ["unmet_dependency"]

from arazzo_runner.document import Step
from arazzo_runner.results import StepResult


def unmet_dependency(step: Step, workflow_id: str, done: list[StepResult]) -> str | None:
    """1.1 ``dependsOn``: the first entry whose step has not passed in this run, as a reason.

    A plain stepId is a step of the current workflow; ``$workflows.<w>.steps.<s>`` and
    ``$sourceDescriptions.<n>.<w>.steps.<s>`` name a step of workflow ``w`` (validate checks
    that it exists)."""
    if not step.depends_on:
        return None
    passed = {(r.workflow_id, r.step_id) for r in done if r.status == "passed"}
    for entry in step.depends_on:
        parts = entry.split(".")
        if entry.startswith("$") and (len(parts) < 4 or parts[-2] != "steps"):
            return f"dependsOn {entry}: not a step reference"
        wanted = (workflow_id, entry) if not entry.startswith("$") else (parts[-3], parts[-1])
        if wanted not in passed:
            return f"dependsOn {entry}: step {wanted[1]} of {wanted[0]} has not completed"
    return None
