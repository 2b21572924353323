"""Arazzo 1.1 Selector Objects at run time: a compiled value whose result is ``selector``
applied to the value of the runtime expression ``context``.

:class:`~arazzo_runner.engine.scope.Compiler` compiles every document value with
:func:`special`, so a Selector may stand wherever 1.1 allows it (outputs, parameter values,
payloads at any depth, replacement values). A context that resolves to nothing, no match, or a
selector that fails on this data (``$.a`` on text that is not JSON) resolves to nothing, so the
step fails naming the context expression, as for any value that resolves to nothing.
"""

from __future__ import annotations

__all__ = ["SelectorValue", "special"]

from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.criteria import select
from arazzo_runner.document import WHOLE_CONTEXT, Selector
from arazzo_runner.errors import ArazzoError
from arazzo_runner.expressions import (
    CompiledValue,
    ExpressionContext,
    Gap,
    RuntimeExpression,
    parse_expression,
)


class SelectorValue(CompiledValue):
    __slots__ = ("selector", "context")

    def __init__(self, selector: Selector) -> None:
        self.context = _context(selector.context)
        super().__init__((self.context,))
        self.selector = selector

    def evaluate(self, context: ExpressionContext) -> Any:
        data = _whole(self.context, context)
        if data is MISSING:
            return MISSING
        s = self.selector
        try:
            return select(s.type, s.version, s.selector, data)
        except ArazzoError:
            return MISSING

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        value = self.evaluate(context)
        return value, ((Gap(self.context),) if value is MISSING else ())

    def __repr__(self) -> str:
        return f"SelectorValue({self.selector.type}: {self.selector.selector!r})"


def _context(text: str) -> RuntimeExpression:
    """The context expression; a whole ``$inputs`` / ``$steps.<id>.outputs`` (WHOLE_CONTEXT)
    is kept as an expression without a name, read by :func:`_whole`."""
    whole = WHOLE_CONTEXT.match(text)
    if whole is None:
        return parse_expression(text)
    if whole.group(1) is None:
        return RuntimeExpression(text, 0, len(text), "inputs")
    return RuntimeExpression(text, 0, len(text), "steps", whole.group(1), "outputs")


def _whole(expression: RuntimeExpression, context: ExpressionContext) -> Any:
    if expression.name is not None or expression.root not in ("inputs", "steps"):
        return expression.evaluate(context)
    if expression.root == "inputs":
        return dict(context.inputs)
    outputs = context.steps.get(expression.target or "")
    return MISSING if outputs is None else dict(outputs)


def special(value: Any) -> CompiledValue | None:
    """The ``compile_value`` hook: Selector Objects compile to :class:`SelectorValue`."""
    return SelectorValue(value) if isinstance(value, Selector) else None
