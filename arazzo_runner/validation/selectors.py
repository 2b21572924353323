"""Arazzo 1.1 Selector Objects, checked before a run: ``bad-selector`` (error) when the
``context`` is not a runtime expression or the ``selector`` does not compile as its type
(JSON Pointer, JSONPath, XPath of the given version)."""

from __future__ import annotations

__all__ = ["SELECTOR_RULES"]

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from arazzo_runner.criteria import compile_jsonpath, compile_xpath
from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import WHOLE_CONTEXT, Parameter, Selector
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import parse_expression
from arazzo_runner.pointer import parse_pointer
from arazzo_runner.validation.context import RuleContext

_COMPILE: dict[str, Callable[[str, str | None], Any]] = {
    "jsonpointer": lambda text, version: parse_pointer(text),
    "jsonpath": compile_jsonpath,
    "xpath": compile_xpath,
}


def _found(value: Any) -> Iterator[Selector]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Selector):
            yield node
        elif isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _values(ctx: RuleContext) -> Iterator[Any]:
    for workflow in ctx.doc.workflows:
        yield workflow.outputs
        for step in workflow.steps:
            yield step.outputs
            yield [p.value for p in step.parameters if isinstance(p, Parameter)]
            if step.request_body is not None:
                yield step.request_body.payload
                yield [r.value for r in step.request_body.replacements]


def selectors(ctx: RuleContext) -> Iterator[Diagnostic]:
    for value in _values(ctx):
        for selector in _found(value):
            try:
                if not WHOLE_CONTEXT.match(selector.context):
                    parse_expression(selector.context)
                _COMPILE[selector.type](selector.selector, selector.version)
            except ExpressionError as exc:
                message = f"selector {selector.selector!r} ({selector.type}): {exc.message}"
                yield ctx.error("bad-selector", message, selector.pointer, exc.hint)


SELECTOR_RULES = {"selectors": selectors}
