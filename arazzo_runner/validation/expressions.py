"""Semantic rules for runtime expressions and criteria (notes §2, §3, R10, W2).

Every string in parameters, payloads, replacements, outputs and criteria is compiled with
:mod:`arazzo_runner.expressions`; a syntax error is an ``expression-syntax`` error at the value,
with the caret drawing in the message. Each expression found is then checked against the
document: ``$steps.X`` (step X exists in the workflow and declares the output), ``$workflows.X``,
``$components.<kind>.<key>`` and ``$sourceDescriptions.<name>``. Dialects that work in other
tools but are not Arazzo 1.0 are warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from arazzo_runner._missing import MISSING
from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import (
    Action,
    Criterion,
    Parameter,
    Reusable,
    Step,
    Workflow,
    input_names,
    minor_of,
)
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import (
    Condition,
    Literal,
    RuntimeExpression,
    compile_condition,
    compile_value,
    parse_expression,
    walk,
)
from arazzo_runner.pointer import escape_token
from arazzo_runner.validation.context import RuleContext
from arazzo_runner.validation.reach import may_run_before

__all__ = ["EXPRESSION_RULES", "Site", "check_expression", "check_value", "syntax_diagnostic"]

_COMPARISON = re.compile(r"==|!=|<=|>=|<|>")


class Site(NamedTuple):
    """Where an expression is used: which workflow, which step (index), and whether it is read
    after that step's response (outputs, criteria) or before its request. (A named tuple: one
    is made per step, and a frozen dataclass costs several times more to make.)"""

    workflow: Workflow | None
    step: int | None = None
    after_response: bool = False


def strings(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` with its pointer (iterative: no recursion limit)."""
    stack = [(value, pointer)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            yield node, where
        elif type(node) is dict or isinstance(node, Mapping):
            stack.extend((v, f"{where}/{escape_token(k)}") for k, v in reversed(list(node.items())))
        elif isinstance(node, (list, tuple)):
            stack.extend((v, f"{where}/{i}") for i, v in reversed(list(enumerate(node))))


def syntax_diagnostic(ctx: RuleContext, exc: ExpressionError, pointer: str) -> Diagnostic:
    caret = exc.caret()
    message = f"{exc.message}\n{caret}" if caret else exc.message
    return ctx.error("expression-syntax", message, pointer, exc.hint)


def _value(ctx: RuleContext, value: Any, pointer: str, site: Site) -> Iterator[Diagnostic]:
    if isinstance(value, str):
        found: Iterable[tuple[str, str]] = ((value, pointer),)
    elif isinstance(value, (dict, list, tuple, Mapping)):
        found = strings(value, pointer)
    else:
        return  # a number, boolean or null holds no expression
    for text, where in found:
        try:
            compiled = compile_value(text)
        except ExpressionError as exc:
            yield syntax_diagnostic(ctx, exc, where)
            continue
        for expression in compiled.expressions:
            yield from check_expression(ctx, expression, where, site)


def check_value(ctx: RuleContext, value: Any, pointer: str, site: Site) -> Iterator[Diagnostic]:
    """Every expression and template inside a document value, checked (for extensions)."""
    return _value(ctx, value, pointer, site)


def _criterion(ctx: RuleContext, criterion: Criterion, site: Site) -> Iterator[Diagnostic]:
    pointer = criterion.pointer + "/condition"
    if criterion.context is not None:
        try:
            context = parse_expression(criterion.context)
        except ExpressionError as exc:
            yield syntax_diagnostic(ctx, exc, criterion.pointer + "/context")
        else:
            yield from check_expression(ctx, context, criterion.pointer + "/context", site)
    if criterion.type != "simple" and "{$" in criterion.condition:
        yield from _embedded(ctx, criterion, pointer, site)
        return
    checker = _CRITERIA.get(criterion.type)
    if checker is not None:
        yield from checker(ctx, criterion, pointer, site)


def _embedded(
    ctx: RuleContext, criterion: Criterion, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    """A regex/JSONPath/XPath with ``{$...}`` parts: the parts are checked like any
    expression; the pattern itself can only be checked once they are rendered, at run time."""
    try:
        template = compile_value(criterion.condition)
    except ExpressionError as exc:
        yield syntax_diagnostic(ctx, exc, pointer)
        return
    for expression in template.expressions:
        yield from check_expression(ctx, expression, pointer, site)


def _simple(
    ctx: RuleContext, criterion: Criterion, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    try:
        condition = compile_condition(criterion.condition, criterion.rules)
    except ExpressionError as exc:
        yield syntax_diagnostic(ctx, exc, pointer)
        return
    for source, value in _double_quoted(condition):
        message = f"{source} is double-quoted; condition strings use single quotes"
        yield ctx.warning("double-quoted-literal", message, pointer, f"write '{value}'")
    if condition.dialect == "braced":
        message = "the whole condition is wrapped in {...}; Arazzo conditions are written bare"
        hint = f"write {condition.source.strip()[1:-1].strip()}"
        yield ctx.warning("braced-condition", message, pointer, hint)
    for expression in condition.expressions:
        yield from check_expression(ctx, expression, pointer, site)


def _regex(
    ctx: RuleContext, criterion: Criterion, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    text = criterion.condition
    try:
        re.compile(text)
    except re.error as exc:
        position = exc.pos or 0
        message = f"invalid regular expression: {exc.msg}\n{text}\n{' ' * position}^"
        yield ctx.error("regex-syntax", message, pointer, "fix the pattern (Python re syntax)")


def _jsonpath(
    ctx: RuleContext, criterion: Criterion, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    from arazzo_runner.criteria import (
        compile_jsonpath,  # only documents with JSONPath pay for the library
    )

    text = criterion.condition
    try:
        compile_jsonpath(text, criterion.version)
    except ExpressionError as exc:
        yield syntax_diagnostic(ctx, exc, pointer)
        return
    if "?" not in text and _COMPARISON.search(text):
        message = f"jsonpath condition {text!r} is a comparison, not a JSONPath query"
        hint = "use a filter such as $[?@.status == 'done'] or a simple condition"
        yield ctx.warning("jsonpath-comparison", message, pointer, hint)


def _xpath(
    ctx: RuleContext, criterion: Criterion, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    from arazzo_runner.criteria import (
        compile_xpath,  # only documents with XPath pay for elementpath
    )

    try:
        compile_xpath(criterion.condition, criterion.version)
    except ExpressionError as exc:
        yield syntax_diagnostic(ctx, exc, pointer)


@lru_cache(maxsize=4096)
def _double_quoted(condition: Condition) -> tuple[tuple[str, Any], ...]:
    """(source, value) of each double-quoted literal, in order; once per compiled condition
    (compile_condition returns one object per text)."""
    return tuple(
        (node.source, node.value)
        for node in walk(condition.ast)
        if isinstance(node, Literal) and node.dialect == "double-quoted"
    )


_CRITERIA = {"simple": _simple, "regex": _regex, "jsonpath": _jsonpath, "xpath": _xpath}


def check_expression(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    if expression.dialect == "dot-path":
        message = f"{expression.source!r} uses a dot path; Arazzo 1.0 uses a JSON pointer"
        hint = f"write ${expression.root}.body#{expression.pointer}"
        yield ctx.warning("body-dot-path", message, pointer, hint)
    elif expression.dialect == "bracket-index":
        message = f"{expression.source!r} indexes with [n]; Arazzo 1.0 uses a JSON pointer"
        head = expression.source[: expression.source.index("[")]
        yield ctx.warning("bracket-index", message, pointer, f"write {head}#{expression.pointer}")
    checker = _REFERENCES.get(expression.root)
    if checker is not None:
        yield from checker(ctx, expression, pointer, site)


def _steps(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    workflow, target, name = site.workflow, expression.target or "", expression.name or ""
    if workflow is None:
        return
    ids = [s.step_id for s in workflow.steps]
    if target not in ids:
        message = f"{expression.source!r}: workflow {workflow.workflow_id!r} has no step {target!r}"
        hint = "use the stepId (not the operationId) of a step in this workflow"
        yield ctx.error("unknown-step", message, pointer, hint)
        return
    index = ids.index(target)
    step = workflow.steps[index]
    if not _has_output(step.outputs, name):
        declared = ", ".join(step.outputs) or "none"
        message = f"{expression.source!r}: step {target!r} has no output {name!r}"
        yield ctx.error("unknown-output", message, pointer, f"declared outputs: {declared}")
    elif site.step is not None and (
        index > site.step or (index == site.step and not site.after_response)
    ):
        if index > site.step and minor_of(ctx.doc.arazzo) == "1.1":
            message = (
                f"{expression.source!r} reads step {target!r}, which comes later in the steps"
                f" than {workflow.steps[site.step].step_id!r}: a forward reference"
            )
            hint = "Arazzo 1.1: a $steps reference is a dependency; move the step earlier"
            yield ctx.error("forward-reference", message, pointer, hint)
            return
        if not may_run_before(ctx.doc, workflow, index, site.step):
            message = (
                f"{expression.source!r} reads step {target!r}, which can never have run"
                f" before step {workflow.steps[site.step].step_id!r}"
            )
            hint = "move the step, or read the value from a step that runs earlier"
            yield ctx.error("step-not-run", message, pointer, hint)
            return
        message = f"{expression.source!r} reads step {target!r}, which runs later in step order"
        hint = "it resolves only after a goto or retry has run that step"
        yield ctx.warning("forward-reference", message, pointer, hint)


def _inputs(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    workflow, name = site.workflow, expression.name or ""
    if workflow is None:
        return
    declared = input_names(ctx.doc, workflow)
    if declared.can_be(name):
        return
    listed = ", ".join(sorted(declared.names)) or "none"
    message = (
        f"{expression.source!r}: workflow {workflow.workflow_id!r} has no input {name!r}"
        " and its inputs schema allows no other"
    )
    yield ctx.error("unknown-input", message, pointer, f"declared inputs: {listed}")


def _has_output(outputs: Mapping[str, Any], name: str) -> bool:
    return name in outputs or name.split(".", 1)[0] in outputs


def _workflows(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    target, name = expression.target or "", expression.name or ""
    workflow = ctx.doc.workflow(target)
    if workflow is None:
        message = f"{expression.source!r}: there is no workflow {target!r} in this document"
        yield ctx.error("unknown-workflow", message, pointer, "check the workflowId")
    elif expression.section == "outputs" and not _has_output(workflow.outputs, name):
        declared = ", ".join(workflow.outputs) or "none"
        message = f"{expression.source!r}: workflow {target!r} has no output {name!r}"
        yield ctx.error("unknown-output", message, pointer, f"declared outputs: {declared}")


def _components(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    if expression.section == "inputs" and minor_of(ctx.doc.arazzo) == "1.1":
        message = (
            f"{expression.source!r} is not an Arazzo 1.1 expression: $components names "
            "parameters, successActions or failureActions"
        )
        hint = f"reference an input schema with $ref: '#/components/inputs/{expression.name}'"
        yield ctx.error("expression-syntax", message, pointer, hint)
        return
    components = ctx.doc.components
    table: Mapping[str, Any] = {}
    if components is not None:
        table = {
            "inputs": components.inputs,
            "parameters": components.parameters,
            "successActions": components.success_actions,
            "failureActions": components.failure_actions,
        }.get(expression.section or "", {})
    if expression.name not in table:
        known = ", ".join(sorted(table)) or "none"
        message = (
            f"{expression.source!r}: components.{expression.section} has no key {expression.name!r}"
        )
        yield ctx.error("unknown-component", message, pointer, f"known keys: {known}")


def _sources(
    ctx: RuleContext, expression: RuntimeExpression, pointer: str, site: Site
) -> Iterator[Diagnostic]:
    if ctx.doc.source(expression.target or "") is None:
        known = ", ".join(s.name for s in ctx.doc.source_descriptions) or "none"
        message = f"{expression.source!r}: there is no source description {expression.target!r}"
        yield ctx.error("unknown-source", message, pointer, f"sources: {known}")


_REFERENCES = {
    "inputs": _inputs,
    "steps": _steps,
    "workflows": _workflows,
    "components": _components,
    "sourceDescriptions": _sources,
}


def _actions(ctx: RuleContext, items: Any, site: Site) -> Iterator[Diagnostic]:
    for item in items:
        if isinstance(item, Action):
            for criterion in item.criteria:
                yield from _criterion(ctx, criterion, site)


def _parameter_value(
    ctx: RuleContext, item: Parameter | Reusable, site: Site
) -> Iterator[Diagnostic]:
    """An inline parameter's value, or a Reusable's ``value`` override (checked alike)."""
    value = item.value
    if isinstance(item, Reusable) and value is MISSING:
        return
    yield from _value(ctx, value, item.pointer + "/value", site)


def _step(ctx: RuleContext, workflow: Workflow, index: int, step: Step) -> Iterator[Diagnostic]:
    before, after = Site(workflow, index), Site(workflow, index, after_response=True)
    for item in step.parameters:
        yield from _parameter_value(ctx, item, before)
    body = step.request_body
    if body is not None:
        yield from _value(ctx, body.payload, body.pointer + "/payload", before)
        for replacement in body.replacements or ():
            yield from _value(ctx, replacement.value, replacement.pointer + "/value", before)
    for criterion in step.success_criteria:
        yield from _criterion(ctx, criterion, after)
    if step.on_success or step.on_failure:
        yield from _actions(ctx, (*step.on_success, *step.on_failure), after)
    if step.outputs:
        yield from _value(ctx, dict(step.outputs), step.pointer + "/outputs", after)


def expressions(ctx: RuleContext) -> Iterator[Diagnostic]:
    """expression-syntax (expressions, conditions, JSONPath, XPath), regex-syntax, unknown-step,
    unknown-output, unknown-input, step-not-run, unknown-workflow, unknown-component,
    unknown-source, forward-reference, and the dialect warnings body-dot-path, bracket-index,
    braced-condition, double-quoted-literal, jsonpath-comparison."""
    for workflow in ctx.doc.workflows:
        anywhere = Site(workflow)
        for item in workflow.parameters:
            yield from _parameter_value(ctx, item, anywhere)
        for index, step in enumerate(workflow.steps):
            yield from _step(ctx, workflow, index, step)
        actions = (*workflow.success_actions, *workflow.failure_actions)
        yield from _actions(ctx, actions, anywhere)
        yield from _value(ctx, dict(workflow.outputs), workflow.pointer + "/outputs", anywhere)
    components = ctx.doc.components
    if components is not None:
        for parameter in components.parameters.values():
            yield from _value(ctx, parameter.value, parameter.pointer + "/value", Site(None))
        actions = (*components.success_actions.values(), *components.failure_actions.values())
        yield from _actions(ctx, actions, Site(None))


EXPRESSION_RULES = {"expressions": expressions}
