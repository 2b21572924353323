"""Arazzo runtime expressions, ``{$...}`` templates and simple conditions (layer 2).

A small compiler in the jmespath mould: text is parsed once (lexer -> parser -> AST) and the
result is evaluated many times against an :class:`ExpressionContext`. Nothing here knows about
documents or HTTP; the engine fills the context.

    >>> from arazzo_runner.expressions import ExpressionContext, compile_condition
    >>> compile_condition("$statusCode == 200").evaluate(ExpressionContext(status_code=404))
    ConditionResult(passed=False, reason='$statusCode is 404, expected == 200')
"""

from __future__ import annotations

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.context import MISSING, ExpressionContext, Message, MissingType
from arazzo_runner.expressions.evaluator import Condition, ConditionResult, compile_condition
from arazzo_runner.expressions.runtime import RuntimeExpression, parse_expression
from arazzo_runner.expressions.template import CompiledValue, compile_value
from arazzo_runner.pointer import escape_token, resolve_pointer, unescape_token

__all__ = [
    "MISSING",
    "CompiledValue",
    "Condition",
    "ConditionResult",
    "ExpressionContext",
    "ExpressionError",
    "Message",
    "MissingType",
    "RuntimeExpression",
    "compile_condition",
    "compile_value",
    "escape_token",
    "parse_expression",
    "resolve_pointer",
    "unescape_token",
]
