"""Arazzo 1.1 step-level ``dependsOn`` (spec: "Step Dependencies and Execution Order").

Entries are a ``stepId`` of the same workflow, ``$workflows.<workflowId>.steps.<stepId>`` (this
document) or ``$sourceDescriptions.<name>.<workflowId>.steps.<stepId>`` (another Arazzo
document). This runner runs a workflow's steps in array order and does not reorder them (the
spec lets a sequential tool pick any order that satisfies the dependencies; we make the author
write that order), so:

* ``unknown-dependency`` (error): the entry names no step (or no workflow/source), or is in
  none of the three forms.
* ``self-dependency`` (error): a step that depends on itself.
* ``forward-dependency`` (error): a same-workflow dependency on a step later in the array;
  array order cannot satisfy it. (``$steps.X.outputs`` references to later steps are the
  implicit form of the same problem: ``forward-reference``, an error in 1.1 documents.)
"""

from __future__ import annotations

__all__ = ["DEPENDENCY_RULES", "parse_dependency"]

import re
from collections.abc import Iterator

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import Step, Workflow
from arazzo_runner.validation.context import RuleContext

_OTHER_WORKFLOW = re.compile(r"\$workflows\.([^.]+)\.steps\.([^.]+)\Z")
_OTHER_DOCUMENT = re.compile(r"\$sourceDescriptions\.([^.]+)\.([^.]+)\.steps\.([^.]+)\Z")


def parse_dependency(entry: str) -> tuple[str | None, str | None, str] | None:
    """``(source name, workflowId, stepId)``; None for the current workflow's parts; None
    altogether when the entry is in none of the three forms."""
    if not entry.startswith("$"):
        return None, None, entry
    if match := _OTHER_WORKFLOW.match(entry):
        return None, match.group(1), match.group(2)
    if match := _OTHER_DOCUMENT.match(entry):
        return match.group(1), match.group(2), match.group(3)
    return None


def _target_problem(ctx: RuleContext, parsed: tuple[str | None, str | None, str]) -> str | None:
    source, workflow_id, step_id = parsed
    if source is not None:
        found = ctx.ws.sources(ctx.doc).get(source)
        if found is None:
            return f"there is no source description {source!r}"
        if found.kind != "arazzo":
            return f"source {source!r} is not an Arazzo document"
        if found.arazzo is None:
            return None  # not loaded: the loader said so
        target = found.arazzo.workflow(workflow_id or "")
    else:
        target = ctx.doc.workflow(workflow_id or "")
    if target is None:
        return f"there is no workflow {workflow_id!r}"
    if target.step(step_id) is None:
        return f"workflow {workflow_id!r} has no step {step_id!r}"
    return None


def _step(ctx: RuleContext, wf: Workflow, index: int, step: Step) -> Iterator[Diagnostic]:
    ids = [s.step_id for s in wf.steps]
    for number, entry in enumerate(step.depends_on):
        pointer = f"{step.pointer}/dependsOn/{number}"
        parsed = parse_dependency(entry)
        if parsed is None:
            message = f"dependsOn entry {entry!r} of step {step.step_id!r} is not a step reference"
            hint = "use a stepId, $workflows.<id>.steps.<stepId> or $sourceDescriptions.<name>..."
            yield ctx.error("unknown-dependency", message, pointer, hint)
        elif parsed[:2] != (None, None):
            problem = _target_problem(ctx, parsed)
            if problem is not None:
                message = f"dependsOn {entry!r} of step {step.step_id!r}: {problem}"
                yield ctx.error("unknown-dependency", message, pointer)
        elif entry not in ids:
            message = f"step {step.step_id!r} depends on {entry!r}, which is not in workflow"
            yield ctx.error("unknown-dependency", f"{message} {wf.workflow_id!r}", pointer)
        elif entry == step.step_id:
            message = f"step {step.step_id!r} depends on itself"
            yield ctx.error("self-dependency", message, pointer, "remove the entry")
        elif ids.index(entry) > index:
            message = f"step {step.step_id!r} depends on {entry!r}, which comes later in the steps"
            hint = f"move {entry!r} before {step.step_id!r} (steps run in array order)"
            yield ctx.error("forward-dependency", message, pointer, hint)


def step_dependencies(ctx: RuleContext) -> Iterator[Diagnostic]:
    for wf, index, step in ctx.steps():
        if step.depends_on:
            yield from _step(ctx, wf, index, step)


DEPENDENCY_RULES = {"step-dependencies": step_dependencies}
