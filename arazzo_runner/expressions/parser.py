"""Pratt parser for simple conditions: tokens in, :mod:`nodes` out.

Precedence follows swaggerexpert/arazzo-criterion (notes C5), from loosest to tightest::

    ||   <   &&   <   comparison (== != < <= > >=)   <   ! (prefix)

Comparisons do not chain (``a < b < c`` is an error) and compare only values (a literal or an
operand): ``!$a == 1`` is an error, write ``!($a == 1)``. Nesting deeper than
:data:`MAX_DEPTH` is an error rather than a ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Callable

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.lexer import Token, tokenize
from arazzo_runner.expressions.nodes import And, Compare, Group, Literal, Node, Not, Operand, Or

__all__ = ["BINDING_POWER", "MAX_DEPTH", "NOT_POWER", "parse_condition", "unbrace"]

MAX_DEPTH = 64

BINDING_POWER: dict[str, int] = {
    "eof": 0,
    "rparen": 0,
    "or": 10,
    "and": 20,
    "eq": 30,
    "ne": 30,
    "lt": 30,
    "le": 30,
    "gt": 30,
    "ge": 30,
}
"""Left binding power of each infix token; tokens not listed (values, ``(``, ``!``) end an
expression. ``!`` is prefix-only and binds tighter than everything: :data:`NOT_POWER`."""
NOT_POWER = 40
_COMPARISON_POWER = 30
_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_LITERALS = ("number", "string", "true", "false", "null")


def _describe(text: str, token: Token) -> str:
    return "the end" if token.kind == "eof" else repr(text[token.start : token.end])


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def error(self, message: str, position: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, expression=self.text, position=position, hint=hint)

    def parse(self) -> Node:
        if self.current.kind == "eof":
            raise self.error("empty condition", 0)
        node = self.expression(0)
        token = self.current
        if token.kind != "eof":
            hint = "add && or || between conditions" if token.kind != "rparen" else None
            raise self.error(f"unexpected {_describe(self.text, token)}", token.start, hint)
        return node

    def expression(self, right_power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"condition nested deeper than {MAX_DEPTH} levels", self.current.start)
        token = self.advance()
        nud = _PREFIX.get(token.kind)
        if nud is None:
            raise self.error(f"expected a value, found {_describe(self.text, token)}", token.start)
        left = nud(self, token)
        while BINDING_POWER.get(self.current.kind, 0) > right_power:
            token = self.advance()
            left = _INFIX[token.kind](self, token, left)
        self.depth -= 1
        return left

    def source(self, start: int, end: int) -> str:
        return self.text[start:end]


def _literal(parser: _Parser, token: Token) -> Node:
    return Literal(
        token.value, parser.source(token.start, token.end), token.start, token.end, token.dialect
    )


def _operand(parser: _Parser, token: Token) -> Node:
    expression, navigation = token.value
    return Operand(
        expression, navigation, parser.source(token.start, token.end), token.start, token.end
    )


def _group(parser: _Parser, token: Token) -> Node:
    inner = parser.expression(0)
    closing = parser.current
    if closing.kind != "rparen":
        raise parser.error(f"expected ')', found {_describe(parser.text, closing)}", closing.start)
    parser.advance()
    return Group(inner, parser.source(token.start, closing.end), token.start, closing.end)


def _not(parser: _Parser, token: Token) -> Node:
    operand = parser.expression(NOT_POWER)
    return Not(operand, parser.source(token.start, operand.end), token.start, operand.end)


def _logical(parser: _Parser, token: Token, left: Node) -> Node:
    kind = And if token.kind == "and" else Or
    right = parser.expression(BINDING_POWER[token.kind])
    operands = (*left.operands, right) if isinstance(left, kind) else (left, right)
    return kind(operands, parser.source(left.start, right.end), left.start, right.end)


def _comparable(parser: _Parser, node: Node, token: Token) -> Literal | Operand:
    if isinstance(node, Compare):
        raise parser.error("comparisons cannot be chained", token.start, "join them with &&")
    if not isinstance(node, (Literal, Operand)):
        raise parser.error(
            f"{token.value!r} compares values, not conditions",
            token.start,
            "to negate a comparison write !(a == b)",
        )
    return node


def _compare(parser: _Parser, token: Token, left: Node) -> Node:
    left_value = _comparable(parser, left, token)
    right = parser.expression(_COMPARISON_POWER)
    right_value = _comparable(parser, right, token)
    return Compare(
        _OPERATORS[token.kind],
        left_value,
        right_value,
        parser.source(left.start, right.end),
        left.start,
        right.end,
    )


_PREFIX: dict[str, Callable[[_Parser, Token], Node]] = {
    **{kind: _literal for kind in _LITERALS},
    "operand": _operand,
    "lparen": _group,
    "not": _not,
}
_INFIX: dict[str, Callable[[_Parser, Token, Node], Node]] = {
    "and": _logical,
    "or": _logical,
    **{kind: _compare for kind in _OPERATORS},
}


def parse_condition(text: str) -> Node:
    """Parse ``text`` into an AST, or raise :class:`ExpressionError` with a position."""
    if not isinstance(text, str):
        raise ExpressionError("a condition must be a string", expression=repr(text), position=0)
    return _Parser(text).parse()


def unbrace(text: str) -> str | None:
    """``"{$statusCode == 401}"`` (the whole condition in one ``{$...}``, as the 1.0.1 spec's
    own JSON example writes it and Redocly accepts) -> the text with those two braces blanked,
    so offsets still point into the original; ``None`` for any other text."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip()) - 1
    if not text.startswith("{$", start) or end <= start or text[end] != "}":
        return None
    depth = 0
    for index in range(start, end):
        depth += (text[index] == "{") - (text[index] == "}")
        if depth == 0:
            return None  # the first brace closes before the end: "{$a} == {$b}"
    return f"{text[:start]} {text[start + 1 : end]} {text[end + 1 :]}"
