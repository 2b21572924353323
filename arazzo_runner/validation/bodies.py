"""Semantic rules for request bodies and criteria lists (notes B4, D23, D49).

* ``bad-replacement-target`` (error): a Payload Replacement's ``target`` is a JSON Pointer
  (RFC 6901) for a JSON payload and an XPath for an XML one (1.1 makes this explicit). The
  payload is taken to be XML exactly when the run would take it so: an XML content type (the
  step's ``contentType``, else the one the operation's request body offers), or no JSON one and
  a payload text starting with ``<``. A target that is neither (``$.name``, ``name``) fails
  every run, so it fails validation.
* ``duplicate-criterion`` (warning): the same criterion twice in one list (the 1.0 schema
  says ``uniqueItems``; the second adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import Action, Criterion, RequestBody, Step
from arazzo_runner.errors import ExpressionError
from arazzo_runner.media import media_type as _essence
from arazzo_runner.pointer import parse_pointer
from arazzo_runner.validation.context import RuleContext

__all__ = ["BODY_RULES"]


def _declared_type(ctx: RuleContext, step: Step) -> str | None:
    """The content type the run would send when the step names none."""
    found = ctx.ws.resolve_operation(ctx.doc, step)
    body = found.operation.request_body if found.operation is not None else None
    declared = list(body.content) if body is not None else []
    json_first = [t for t in declared if _essence(t) == "application/json"]
    choices = json_first or declared
    return choices[0] if choices else None


def _is_xml(content_type: str | None, payload: Any) -> bool:
    essence = _essence(content_type)
    if essence in ("application/xml", "text/xml") or essence.endswith("+xml"):
        return True
    is_json = essence == "application/json" or essence.endswith("+json")
    return not is_json and isinstance(payload, str) and payload.lstrip().startswith("<")


def _pointer_hint(target: str) -> str:
    if target.startswith("$."):
        return f"write a JSON Pointer such as /{target[2:].replace('.', '/')}"
    return "write a JSON Pointer such as /name or /items/0/id"


def _target(ctx: RuleContext, target: str, xml: bool, pointer: str) -> Iterator[Diagnostic]:
    if xml:
        from arazzo_runner.criteria import compile_xpath  # only XML replacements pay for it

        try:
            compile_xpath(target)
        except ExpressionError as exc:
            message = f"replacement target {target!r} is not an XPath: {exc.message}"
            hint = "an XML payload's targets are XPath expressions such as /order/id"
            yield ctx.error("bad-replacement-target", message, pointer, hint)
        return
    try:
        parse_pointer(target)
    except ExpressionError as exc:
        message = f"replacement target {target!r} is not a JSON Pointer ({exc.message})"
        yield ctx.error("bad-replacement-target", message, pointer, _pointer_hint(target))


def _jsonpath_target(ctx: RuleContext, target: str, pointer: str) -> Iterator[Diagnostic]:
    from arazzo_runner.criteria import compile_jsonpath

    try:
        compile_jsonpath(target)
    except ExpressionError as exc:
        message = f"replacement target {target!r} is not a JSONPath: {exc.message}"
        yield ctx.error("bad-replacement-target", message, pointer, "e.g. $.items[0].id")


def _body(ctx: RuleContext, step: Step, body: RequestBody) -> Iterator[Diagnostic]:
    content_type = body.content_type or _declared_type(ctx, step)
    xml = _is_xml(content_type, body.payload)
    for replacement in body.replacements:
        where = replacement.pointer + "/target"
        if replacement.target_type == "jsonpath":  # 1.1 targetSelectorType
            yield from _jsonpath_target(ctx, replacement.target, where)
        else:
            kind = replacement.target_type
            yield from _target(
                ctx, replacement.target, xml if kind is None else kind == "xpath", where
            )


def replacement_targets(ctx: RuleContext) -> Iterator[Diagnostic]:
    """bad-replacement-target (notes B4)."""
    for _, _, step in ctx.steps():
        body = step.request_body
        if body is not None and body.replacements:
            yield from _body(ctx, step, body)


def _key(criterion: Criterion) -> tuple[Any, ...]:
    return (criterion.condition.strip(), criterion.type, criterion.version, criterion.context)


def _criteria_lists(ctx: RuleContext) -> Iterator[Sequence[Criterion]]:
    for workflow in ctx.doc.workflows:
        for item in (*workflow.success_actions, *workflow.failure_actions):
            if isinstance(item, Action):
                yield item.criteria
        for step in workflow.steps:
            yield step.success_criteria
            for item in (*step.on_success, *step.on_failure):
                if isinstance(item, Action):
                    yield item.criteria


def duplicate_criteria(ctx: RuleContext) -> Iterator[Diagnostic]:
    """duplicate-criterion (the 1.0 schema's ``uniqueItems``)."""
    for criteria in _criteria_lists(ctx):
        seen: set[tuple[Any, ...]] = set()
        for criterion in criteria:
            key = _key(criterion)
            if key in seen:
                message = f"criterion {criterion.condition!r} is listed twice"
                hint = "remove the repeat (all criteria must pass, so it adds nothing)"
                yield ctx.warning("duplicate-criterion", message, criterion.pointer, hint)
            seen.add(key)


BODY_RULES = {
    "replacement-targets": replacement_targets,
    "duplicate-criteria": duplicate_criteria,
}
