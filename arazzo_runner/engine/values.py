"""What a step does with a value that resolved to nothing: leave it out (and say so) or fail.

Nothing vanishes silently (issue 16). A part of a parameter, payload, replacement or workflow
input that resolves to nothing is a :class:`~arazzo_runner.expressions.Gap`:

* it may be left out only when it is *exactly* ``$inputs.<name>`` (the whole value, or a whole
  payload member, not inside a ``{$...}`` template) for an input the workflow declares and the
  caller did not give: an optional input, not given, means an optional value, not sent;
* a parameter left out this way reaches the wire as :class:`~arazzo_runner.engine.port.Unset`; the
  wire leaves it out only when the operation declares it optional, else the step fails;
* anything else (an unknown input, a missing output, a pointer to nothing, a template with a
  missing part, an array item) fails the step before the request is sent, naming the expression.

Every value left out is noted on the step's result: ``omitted: q ($inputs.filter not set)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.criteria import target_pointers
from arazzo_runner.document import Action, PayloadReplacement, Step
from arazzo_runner.engine.port import OperationCall, Unset
from arazzo_runner.engine.scope import Compiler, Scope, merge_parameters
from arazzo_runner.errors import ExpressionError, InputError
from arazzo_runner.expressions import ExpressionContext, Gap

__all__ = [
    "InputCheck",
    "action_inputs",
    "build_call",
    "gap_problem",
    "parameter_value",
    "value_with_gaps",
    "workflow_inputs",
]

InputCheck = Callable[[str], bool]
"""``unset(name)``: ``name`` is an input the workflow declares and the caller did not give."""


def _omissible(gap: Gap, unset: InputCheck, whole: bool) -> bool:
    expression = gap.expression
    if gap.in_template or expression.root != "inputs":
        return False
    if whole and gap.path:
        return False
    return unset(expression.name or "")


def _reason(gap: Gap) -> str:
    return f"{gap.expression.source} not set"


def gap_problem(what: str, gap: Gap) -> str:
    """The one-line failure for a gap that cannot be left out."""
    where = f" at {gap.where()}" if gap.path else ""
    if gap.in_template:
        return f"{what}{where}: the template's {gap.expression.source} resolved to nothing"
    return f"{what}{where}: {gap.expression.source} resolved to nothing"


def parameter_value(name: str, value: Any, gaps: Sequence[Gap], unset: InputCheck) -> Any:
    """A parameter's value, :class:`Unset` for an optional input not given, else InputError."""
    if not gaps:
        return value
    first = gaps[0]
    if value is MISSING and len(gaps) == 1 and _omissible(first, unset, whole=True):
        return Unset(first.expression.source, _reason(first))
    bad = next((g for g in gaps if not _omissible(g, unset, whole=True)), first)
    raise InputError(gap_problem(f"parameter {name!r}", bad))


def value_with_gaps(
    what: str, value: Any, gaps: Sequence[Gap], unset: InputCheck, notes: list[str]
) -> Any:
    """A payload, replacement value or workflow input: members for optional inputs not given
    are left out (and noted); any other gap raises InputError."""
    for gap in gaps:
        if gap.path and isinstance(gap.path[-1], int):
            raise InputError(gap_problem(what, gap))  # an array item cannot be left out
        if not _omissible(gap, unset, whole=False):
            raise InputError(gap_problem(what, gap))
        where = f" {gap.where()}" if gap.path else ""
        notes.append(f"omitted: {what}{where} ({_reason(gap)})")
    return value


def _parameters(
    scope: Scope, compiler: Compiler, step: Step, ctx: ExpressionContext
) -> list[tuple[str, str | None, Any]]:
    """(name, in, value or Unset) of the step's merged parameters."""
    evaluated: list[tuple[str, str | None, Any]] = []
    for p in merge_parameters(scope, scope.workflow.parameters, step.parameters, compiler):
        value, gaps = scope.resolve_value(compiler, p, "value", p.value, ctx)
        if gaps:
            value = parameter_value(p.name, value, gaps, scope.unset_input)
        evaluated.append((p.name, p.in_, value))
    return evaluated


X_SECURITY = "x-security"


def _security(
    scope: Scope, compiler: Compiler, step: Step, ctx: ExpressionContext, notes: list[str]
) -> tuple[Mapping[str, Any], ...]:
    """Redocly's ``x-security`` entries, the workflow's then the step's, values evaluated."""
    entries: list[Mapping[str, Any]] = []
    for owner in (scope.workflow, step):
        raw = owner.extensions.get(X_SECURITY)
        for index, entry in enumerate(raw if isinstance(raw, list) else ()):
            if not isinstance(entry, Mapping):
                continue
            name = f"{X_SECURITY}/{index}/values"
            values, gaps = scope.resolve_value(compiler, owner, name, entry.get("values"), ctx)
            if gaps:
                values = value_with_gaps(X_SECURITY, values, gaps, scope.unset_input, notes)
            entries.append({**entry, "values": values})
    return tuple(entries)


def build_call(
    scope: Scope, compiler: Compiler, step: Step, ctx: ExpressionContext, notes: list[str]
) -> OperationCall:
    """An operation step's call with every value evaluated; a value that resolved to nothing
    is left out (noted in ``notes``) or raises InputError before anything is sent."""
    params = tuple(_parameters(scope, compiler, step, ctx))
    workflow_id, body = scope.workflow.workflow_id, step.request_body
    security = _security(scope, compiler, step, ctx, notes)
    if body is None:
        return OperationCall(scope.document, workflow_id, step, params, security=security)
    payload, gaps = scope.resolve_value(compiler, body, "payload", body.payload, ctx)
    if gaps:
        payload = value_with_gaps("payload", payload, gaps, scope.unset_input, notes)
    replacements: list[tuple[str, Any]] = []
    for r in body.replacements:
        value, gaps = scope.resolve_value(compiler, r, "value", r.value, ctx)
        if gaps:  # an object value keeps its other members; anything else has raised
            value = value_with_gaps(
                f"replacement {r.target}", value, gaps, scope.unset_input, notes
            )
        if value is not MISSING:
            replacements.extend((t, value) for t in _targets(r, payload))
    return OperationCall(
        scope.document,
        workflow_id,
        step,
        params,
        payload,
        body.content_type,
        tuple(replacements),
        security,
    )


def action_inputs(
    scope: Scope, compiler: Compiler, action: Action, ctx: ExpressionContext, notes: list[str]
) -> dict[str, Any]:
    """1.1: a success/failure action's ``parameters``, evaluated after the step's response, as
    the inputs of the workflow it goes to (a Reusable entry resolves in components)."""
    inputs: dict[str, Any] = {}
    for item in action.parameters:
        p = scope.resolve(item, "parameters")
        value, gaps = scope.resolve_value(compiler, p, "value", p.value, ctx)
        if gaps:
            value = parameter_value(p.name, value, gaps, scope.unset_input)
        if isinstance(value, Unset):
            notes.append(f"omitted: input {p.name} ({value.reason})")
        else:
            inputs[p.name] = value
    return inputs


def _targets(replacement: PayloadReplacement, payload: Any) -> list[str]:
    """The JSON Pointers a replacement writes: its ``target``, or for a 1.1 JSONPath target
    (``targetSelectorType: jsonpath``) the pointers of every node it selects in the payload
    (none is an error: the value would vanish)."""
    if replacement.target_type != "jsonpath":
        return [replacement.target]
    try:
        found = target_pointers(replacement.target, replacement.target_version, payload)
    except ExpressionError as exc:
        raise InputError(exc.message) from None
    if not found:
        raise InputError(
            f"replacement target {replacement.target!r} selects nothing in the payload"
        )
    return found


def workflow_inputs(
    scope: Scope, compiler: Compiler, step: Step, ctx: ExpressionContext, notes: list[str]
) -> dict[str, Any]:
    """A workflow step's parameters as the called workflow's inputs; an optional input of this
    workflow that was not given is left out (noted), any other gap raises InputError."""
    inputs: dict[str, Any] = {}
    for name, _, value in _parameters(scope, compiler, step, ctx):
        if isinstance(value, Unset):
            notes.append(f"omitted: input {name} ({value.reason})")
        else:
            inputs[name] = value
    return inputs
