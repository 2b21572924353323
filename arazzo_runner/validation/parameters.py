"""Parameters checked against the operation they are sent to (notes P1, P6, O4).

For every operation step whose operation was found in a loaded OpenAPI source, each parameter
the step sends (the workflow's, overridden by the step's on (name, in), Reusable objects
resolved, value overrides applied) must be one the operation declares with that name and
``in`` (header names ignore case), and every path parameter of the operation must be given:
an unset ``{petId}`` can only produce a request to the wrong URL.

Not declared and still allowed: the ``Accept``, ``Content-Type`` and ``Authorization``
headers (the OpenAPI 3.x Parameter Object: such header parameters are ignored, they are never
described as parameters), and the header, query or cookie name of an ``apiKey`` security scheme
the request carries: one named by the operation's ``security`` (else the OpenAPI document's
default ``security``) or by the step's or workflow's Redocly ``x-security``. An undeclared
path, query or cookie parameter is an error (``undeclared-parameter``, issue 16 item 3). An
undeclared *header* is a warning (``undeclared-header``): HTTP servers ignore headers they do
not know, descriptions often leave out tracing or gateway headers, and Redocly Respect's own
end-to-end workflows send such headers (issue 16 item 11: they run unchanged).
A step whose source could not be loaded is not checked here (``checks-skipped`` says so).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import OperationLookup, Parameter, Reusable, Step, Workflow
from arazzo_runner.document.openapi import Operation, SecurityScheme
from arazzo_runner.validation.context import RuleContext

__all__ = ["PARAMETER_RULES"]

_NEVER_DECLARED = frozenset({"accept", "content-type", "authorization"})


def _sent(
    ctx: RuleContext, workflow: Workflow, step: Step
) -> list[tuple[Parameter, Parameter | Reusable]]:
    """(parameter, the list entry that names it) as the engine merges them."""
    merged: dict[tuple[str, str | None], tuple[Parameter, Parameter | Reusable]] = {}
    for item in (*workflow.parameters, *step.parameters):
        parameter = ctx.parameter(item)
        if parameter is not None:
            merged[(parameter.name, parameter.in_)] = (parameter, item)
    return list(merged.values())


def _x_security_schemes(workflow: Workflow, step: Step) -> Iterator[Any]:
    """The scheme names (str) and inline schemes (mappings) of the x-security entries."""
    for owner in (workflow, step):
        entries = owner.extensions.get("x-security")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping):
                yield entry.get("schemeName", entry.get("scheme"))


def _key_names(
    ctx: RuleContext, workflow: Workflow, step: Step, operation: Operation
) -> set[tuple[str, str]]:
    """(in, name) of the apiKey schemes the request carries (header names lower-cased)."""
    found = ctx.ws.resolve_operation(ctx.doc, step)
    index = found.source.openapi if found.source is not None else None
    schemes: Mapping[str, SecurityScheme] = getattr(index, "security_schemes", {})
    carried: list[tuple[str | None, str | None]] = []
    named = {name for alternative in operation.security or () for name in alternative}
    for item in _x_security_schemes(workflow, step):
        if isinstance(item, str):
            named.add(item)
        elif isinstance(item, Mapping) and item.get("type") == "apiKey":
            carried.append((item.get("in"), item.get("name")))
    for name in named:
        scheme = schemes.get(name)
        if scheme is not None and scheme.type == "apiKey":
            carried.append((scheme.location, scheme.param_name))
    names: set[tuple[str, str]] = set()
    for location, key in carried:
        if isinstance(location, str) and isinstance(key, str):
            names.add((location, key.lower() if location == "header" else key))
    return names


def _declared(operation: Operation, name: str, location: str) -> bool:
    for spec in operation.parameters:
        if spec.in_ != location:
            continue
        if spec.name == name or (location == "header" and spec.name.lower() == name.lower()):
            return True
    return False


def _allowed(name: str, location: str, keys: set[tuple[str, str]]) -> bool:
    folded = name.lower() if location == "header" else name
    if location == "header" and folded in _NEVER_DECLARED:
        return True
    return (location, folded) in keys


def _undeclared(
    ctx: RuleContext,
    workflow: Workflow,
    step: Step,
    operation: Operation,
    sent: Sequence[tuple[Parameter, Parameter | Reusable]],
) -> Iterator[Diagnostic]:
    keys: set[tuple[str, str]] | None = None
    for parameter, item in sent:
        location = parameter.in_
        if location in (None, "querystring") or _declared(operation, parameter.name, location):
            continue  # 1.1 querystring: the whole query string, its name is never sent
        keys = _key_names(ctx, workflow, step, operation) if keys is None else keys
        if _allowed(parameter.name, location, keys):
            continue
        same_in = [p.name for p in operation.parameters if p.in_ == location]
        declared = ", ".join(same_in) or "none"
        where = f"{operation.method.upper()} {operation.path}"
        message = (
            f"step {step.step_id!r} sends {location} parameter {parameter.name!r}, which {where}"
            " does not declare"
        )
        hint = f"declared {location} parameters: {declared}"
        if location == "header":  # servers ignore headers they do not know: sent, but warned
            yield ctx.warning("undeclared-header", message, item.pointer + "/name", hint)
        else:
            yield ctx.error("undeclared-parameter", message, item.pointer + "/name", hint)


def _missing_path(
    ctx: RuleContext,
    step: Step,
    operation: Operation,
    sent: Sequence[tuple[Parameter, Parameter | Reusable]],
) -> Iterator[Diagnostic]:
    given = {p.name for p, _ in sent if p.in_ == "path"}
    for spec in operation.parameters:
        if spec.in_ == "path" and spec.name not in given:
            message = (
                f"step {step.step_id!r} gives no value for path parameter {spec.name!r} of"
                f" {operation.method.upper()} {operation.path}"
            )
            hint = f"add {{name: {spec.name}, in: path, value: ...}}"
            pointer = step.pointer + ("/parameters" if step.parameters else "")
            yield ctx.error("missing-path-parameter", message, pointer, hint)


def _twice(found: OperationLookup) -> bool:
    """The operationId names several operations of its source (the OpenAPI description breaks
    its own uniqueness rule, a ``duplicate-operation-id`` warning): which one is meant is not
    known, so its parameters are not judged against the first."""
    operation, index = found.operation, found.source.openapi if found.source else None
    if operation is None or operation.operation_id is None or index is None:
        return False
    same = [op for op in index.operations if op.operation_id == operation.operation_id]
    return len(same) > 1


def operation_parameters(ctx: RuleContext) -> Iterator[Diagnostic]:
    """undeclared-parameter, undeclared-header and missing-path-parameter (notes P1, P6)."""
    for workflow, _, step in ctx.steps():
        if step.target_kind != "operation":
            continue
        found = ctx.ws.resolve_operation(ctx.doc, step)
        if found.status != "found" or found.operation is None or _twice(found):
            continue
        sent = _sent(ctx, workflow, step)
        yield from _undeclared(ctx, workflow, step, found.operation, sent)
        yield from _missing_path(ctx, step, found.operation, sent)


PARAMETER_RULES = {"operation-parameters": operation_parameters}
