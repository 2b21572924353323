"""Semantic rules about ids, parameters, actions and Reusable objects (notes §D6, T3).

The JSON Schema cannot see any of these: uniqueness by id or by (name, in), the one-of
operationId / operationPath / workflowId, ``in`` on operation-step parameters, Reusable objects
pointing into the right components map.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from arazzo_runner._missing import MISSING
from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import Action, Parameter, Reusable
from arazzo_runner.validation.context import RuleContext

__all__ = ["STRUCTURE_RULES"]

_TARGET_FIELDS = (
    ("operationId", "operation_id"),
    ("operationPath", "operation_path"),
    ("workflowId", "workflow_id"),
)


def _duplicates(
    ctx: RuleContext, items: Iterable[tuple[str, str]], code: str, what: str, scope: str
) -> Iterator[Diagnostic]:
    seen: dict[str, str] = {}
    for key, pointer in items:
        if key in seen:
            first = ctx.ws.locate(ctx.doc, seen[key])
            message = f"{what} {key!r} is used twice{scope}; the first is at line {first.line}"
            yield ctx.error(code, message, pointer, f"rename one of them; {what}s must be unique")
        else:
            seen[key] = pointer


def duplicate_workflow_id(ctx: RuleContext) -> Iterator[Diagnostic]:
    items = ((w.workflow_id, w.pointer + "/workflowId") for w in ctx.doc.workflows)
    return _duplicates(ctx, items, "duplicate-workflow-id", "workflowId", "")


def duplicate_step_id(ctx: RuleContext) -> Iterator[Diagnostic]:
    for workflow in ctx.doc.workflows:
        items = ((s.step_id, s.pointer + "/stepId") for s in workflow.steps)
        scope = f" in workflow {workflow.workflow_id!r}"
        yield from _duplicates(ctx, items, "duplicate-step-id", "stepId", scope)


def duplicate_source_name(ctx: RuleContext) -> Iterator[Diagnostic]:
    items = ((s.name, s.pointer + "/name") for s in ctx.doc.source_descriptions)
    return _duplicates(ctx, items, "duplicate-source-name", "source description name", "")


def _parameter_keys(
    ctx: RuleContext, items: Sequence[Parameter | Reusable]
) -> Iterator[tuple[str, str]]:
    for item in items:
        parameter = ctx.parameter(item)
        if parameter is not None:
            yield f"{parameter.name} (in: {parameter.in_ or '-'})", item.pointer


def duplicate_parameter(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes P3: no duplicate (name, in) in one list, after resolving Reusables."""
    lists = [(w.parameters, "workflow", w.workflow_id) for w in ctx.doc.workflows]
    lists += [(s.parameters, "step", s.step_id) for _, _, s in ctx.steps()]
    for items, owner, name in lists:
        if len(items) > 1:  # one parameter or none cannot repeat
            keys = _parameter_keys(ctx, items)
            scope = f" in {owner} {name!r}"
            yield from _duplicates(ctx, keys, "duplicate-parameter", "parameter", scope)


ActionList = tuple[Sequence[Action | Reusable], str, str, str, str]


def _action_lists(ctx: RuleContext) -> Iterator[ActionList]:
    """(items, kind, owner, owner id, suffix) of every action list; kind is successActions or
    failureActions; a message names the list as :func:`_scope` says."""
    for workflow in ctx.doc.workflows:
        name = workflow.workflow_id
        yield workflow.success_actions, "successActions", "workflow", name, ""
        yield workflow.failure_actions, "failureActions", "workflow", name, ""
    for _, _, step in ctx.steps():
        yield step.on_success, "successActions", "step", step.step_id, " onSuccess"
        yield step.on_failure, "failureActions", "step", step.step_id, " onFailure"


def _scope(owner: str, name: str, suffix: str) -> str:
    return f" in {owner} {name!r}{suffix}"


def duplicate_action(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes A10: action names are unique per list, after resolving Reusables."""
    for items, _, owner, name, suffix in _action_lists(ctx):
        if len(items) < 2:
            continue  # one action or none cannot repeat
        names = ((a.name, item.pointer) for item in items if (a := ctx.action(item)) is not None)
        scope = _scope(owner, name, suffix)
        yield from _duplicates(ctx, names, "duplicate-action", "action name", scope)


def step_target(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes D19: exactly one of operationId, operationPath, workflowId."""
    for _, _, step in ctx.steps():
        if step.target_kind == "async":
            continue  # 1.1 AsyncAPI steps: validation/asyncapi.py
        present = [name for name, attr in _TARGET_FIELDS if getattr(step, attr) is not None]
        if not present:
            message = f"step {step.step_id!r} names no operationId, operationPath or workflowId"
            hint = "add exactly one of them to say what the step calls"
            yield ctx.error("missing-step-target", message, step.pointer, hint)
        elif len(present) > 1:
            listed = " and ".join(present)
            message = f"step {step.step_id!r} has both {listed}"
            hint = "keep exactly one of operationId, operationPath, workflowId"
            yield ctx.error("conflicting-step-target", message, step.pointer, hint)


def parameter_in(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes D21/P2: ``in`` is required on operation steps, ignored (warned) on workflow steps.

    Inline parameters are checked by the loader (``missing-field`` / ``ignored-field``); this
    rule covers Reusable parameters, whose ``in`` is only known once the reference resolves.
    """
    for _, _, step in ctx.steps():
        for item in step.parameters:
            parameter = ctx.parameter(item)
            if parameter is None or isinstance(item, Parameter):
                continue
            kind = step.target_kind
            if kind == "operation" and parameter.in_ is None:
                message = (
                    f"parameter {parameter.name!r} of operation step {step.step_id!r} has no 'in'"
                )
                hint = "add in: path, query, header or cookie"
                yield ctx.error("missing-parameter-in", message, item.pointer, hint)
            elif kind == "workflow" and parameter.in_ is not None:
                message = (
                    f"'in: {parameter.in_}' on parameter {parameter.name!r} is ignored: step "
                    f"{step.step_id!r} calls a workflow, so its parameters are workflow inputs"
                )
                hint = "remove 'in'"
                yield ctx.warning("ignored-parameter-in", message, item.pointer, hint)


def empty_success_criteria(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes D23: ``successCriteria``, when present, has at least one criterion."""
    for _, _, step in ctx.steps():
        if step.success_criteria:
            continue  # built from a non-empty list
        pointer = step.pointer + "/successCriteria"
        if ctx.raw(pointer) == []:
            message = f"step {step.step_id!r} has an empty successCriteria list"
            hint = "remove successCriteria (the step then succeeds on 2xx) or add a criterion"
            yield ctx.error("empty-success-criteria", message, pointer, hint)


def _reusables(ctx: RuleContext) -> Iterator[tuple[Reusable, str]]:
    """Every Reusable with the components map it must point into."""
    lists = [w.parameters for w in ctx.doc.workflows]
    lists += [s.parameters for _, _, s in ctx.steps()]
    for items in lists:
        for item in items:
            if isinstance(item, Reusable):
                yield item, "parameters"
    for actions, kind, *_ in _action_lists(ctx):
        for action in actions:
            if isinstance(action, Reusable):
                yield action, kind


def reusable_reference(ctx: RuleContext) -> Iterator[Diagnostic]:
    """notes D15/D17/A10: a Reusable names an existing key of the right components map."""
    components = ctx.doc.components
    for item, kind in _reusables(ctx):
        pointer = item.pointer + "/reference"
        split = ctx.component(item.reference)
        if split is None or split[0] != kind:
            message = f"reference {item.reference!r} must point into components.{kind} here"
            hint = f"write reference: $components.{kind}.<key>"
            yield ctx.error("wrong-reusable-kind", message, pointer, hint)
            continue
        table = {
            "parameters": components.parameters if components else {},
            "successActions": components.success_actions if components else {},
            "failureActions": components.failure_actions if components else {},
        }[kind]
        if split[1] not in table:
            known = ", ".join(sorted(table)) or "none"
            message = f"reference {item.reference!r}: components.{kind} has no key {split[1]!r}"
            yield ctx.error("unknown-component", message, pointer, f"known keys: {known}")


def schema_key(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A root ``$schema`` key is not an Arazzo 1.0 field (seen in JaredCE documents)."""
    raw = ctx.doc.raw
    if isinstance(raw, dict) and raw.get("$schema", MISSING) is not MISSING:
        message = "'$schema' is not an Arazzo 1.0 field; tools may reject the document"
        yield ctx.warning("schema-key", message, "/$schema", "remove the $schema key")


STRUCTURE_RULES = {
    "duplicate-workflow-id": duplicate_workflow_id,
    "duplicate-step-id": duplicate_step_id,
    "duplicate-source-name": duplicate_source_name,
    "duplicate-parameter": duplicate_parameter,
    "duplicate-action": duplicate_action,
    "step-target": step_target,
    "parameter-in": parameter_in,
    "empty-success-criteria": empty_success_criteria,
    "reusable-reference": reusable_reference,
    "schema-key": schema_key,
}
