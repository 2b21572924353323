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
from arazzo_runner.document import Selector
from arazzo_runner.errors import ArazzoError
from arazzo_runner.expressions import (
    CompiledValue,
    ExpressionContext,
    Gap,
    parse_expression,
)


class SelectorValue(CompiledValue):
    __slots__ = ("selector", "context")

    def __init__(self, selector: Selector) -> None:
        self.context = parse_expression(selector.context)
        super().__init__((self.context,))
        self.selector = selector

    def evaluate(self, context: ExpressionContext) -> Any:
        data = self.context.evaluate(context)
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


def special(value: Any) -> CompiledValue | None:
    """The ``compile_value`` hook: Selector Objects compile to :class:`SelectorValue`."""
    return SelectorValue(value) if isinstance(value, Selector) else None
