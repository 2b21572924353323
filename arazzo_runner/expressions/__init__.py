"""Arazzo runtime expressions, ``{$...}`` templates and simple conditions (layer 2).

A small compiler in the jmespath mould: text is parsed once (lexer -> parser -> AST) and the
result is evaluated many times against an :class:`ExpressionContext`. Nothing here knows about
documents or HTTP; the engine fills the context.

    >>> from arazzo_runner.expressions import ExpressionContext, compile_condition
    >>> compile_condition("$statusCode == 200").evaluate(ExpressionContext(status_code=404))
    ConditionResult(passed=False, reason='$statusCode is 404, expected == 200')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach
from arazzo_runner.errors import ExpressionError
from arazzo_runner.pointer import escape_token, resolve_pointer, unescape_token

if TYPE_CHECKING:
    from arazzo_runner.expressions.context import MISSING, ExpressionContext, Message, MissingType
    from arazzo_runner.expressions.evaluator import (
        Condition,
        ConditionResult,
        compare,
        compile_condition,
    )
    from arazzo_runner.expressions.nodes import Literal, walk
    from arazzo_runner.expressions.runtime import RuntimeExpression, parse_expression
    from arazzo_runner.expressions.template import CompiledValue, Gap, compile_value

__all__ = [
    "CompiledValue",
    "Condition",
    "ConditionResult",
    "ExpressionContext",
    "ExpressionError",
    "Gap",
    "Literal",
    "MISSING",
    "Message",
    "MissingType",
    "RuntimeExpression",
    "compare",
    "compile_condition",
    "compile_value",
    "escape_token",
    "parse_expression",
    "resolve_pointer",
    "unescape_token",
    "walk",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "CompiledValue": "template",
            "Condition": "evaluator",
            "ConditionResult": "evaluator",
            "ExpressionContext": "context",
            "Gap": "template",
            "Literal": "nodes",
            "MISSING": "context",
            "Message": "context",
            "MissingType": "context",
            "RuntimeExpression": "runtime",
            "compare": "evaluator",
            "compile_condition": "evaluator",
            "compile_value": "template",
            "parse_expression": "runtime",
            "walk": "nodes",
        },
    )
