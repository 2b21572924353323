"""Tokens of the simple-condition language (notes C2-C5), each with its offsets.

An operand is the longest run of characters other than whitespace and ``! & ( ) < = > { | }``
that starts with ``$``; it is split into the longest runtime expression plus ``.member`` /
``[n]`` navigation. A JSON pointer runs to the end of the operand, so ``#`` and ``/`` are fine.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any, NamedTuple

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.runtime import scan_expression

__all__ = ["Token", "tokenize"]

_OPERAND_STOP = frozenset(string.whitespace + "!&()<=>{|}")
_MEMBER_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_KEYWORDS: dict[str, tuple[str, Any]] = {
    "true": ("true", True),
    "false": ("false", False),
    "null": ("null", None),
}
_TWO_CHAR = {"&&": "and", "||": "or", "==": "eq", "!=": "ne", "<=": "le", ">=": "ge"}
_ONE_CHAR = {"(": "lparen", ")": "rparen", "!": "not", "<": "lt", ">": "gt"}


class Token(NamedTuple):
    """``kind`` is one of lparen rparen not and or eq ne lt le gt ge number string true false
    null operand eof. ``value`` is the literal value, or ``(RuntimeExpression, navigation)``
    for an operand. ``dialect`` is ``"double-quoted"`` for a ``"..."`` string."""

    kind: str
    value: Any
    start: int
    end: int
    dialect: str | None = None


def _error(text: str, position: int, message: str, hint: str | None = None) -> ExpressionError:
    return ExpressionError(message, expression=text, position=position, hint=hint)


def _symbol(text: str, pos: int) -> Token:
    pair = text[pos : pos + 2]
    if pair in _TWO_CHAR:
        return Token(_TWO_CHAR[pair], pair, pos, pos + 2)
    char = text[pos]
    if char in _ONE_CHAR:
        return Token(_ONE_CHAR[char], char, pos, pos + 1)
    hints = {"&": "use '&&'", "|": "use '||'", "=": "use '==' to compare"}
    raise _error(text, pos, f"unexpected {char!r}", hints.get(char))


def _single_quoted(text: str, pos: int) -> Token:
    parts: list[str] = []
    cursor = pos + 1
    while True:
        close = text.find("'", cursor)
        if close == -1:
            raise _error(text, pos, "unterminated string", "strings end with a single quote")
        parts.append(text[cursor:close])
        if text.startswith("''", close):
            parts.append("'")
            cursor = close + 2
            continue
        return Token("string", "".join(parts), pos, close + 1)


def _double_quoted(text: str, pos: int) -> Token:
    close = text.find('"', pos + 1)
    if close == -1:
        raise _error(text, pos, "unterminated string")
    return Token("string", text[pos + 1 : close], pos, close + 1, "double-quoted")


def _number(text: str, pos: int) -> Token:
    match = _NUMBER.match(text, pos)
    if match is None:
        raise _error(text, pos, "expected a number after '-'")
    end = match.end()
    if end < len(text) and (text[end] in _WORD_CHARS or text[end] in ".$'\""):
        raise _error(text, end, f"unexpected {text[end]!r} after a number")
    raw = match.group()
    if len(raw) > 300:
        raise _error(text, pos, "number literal too long")
    value: float | int = float(raw) if match.group(1) or match.group(2) else int(raw)
    return Token("number", value, pos, end)


def _word(text: str, pos: int) -> Token:
    end = pos
    while end < len(text) and text[end] in _WORD_CHARS:
        end += 1
    word = text[pos:end]
    if word in _KEYWORDS:
        kind, value = _KEYWORDS[word]
        return Token(kind, value, pos, end)
    raise _error(
        text,
        pos,
        f"unknown word {word!r}",
        "operands start with '$', strings use single quotes; literals: true false null",
    )


def _navigation(text: str, pos: int, end: int) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    while pos < end:
        start = pos
        if text[pos] == ".":
            pos += 1
            while pos < end and text[pos] in _MEMBER_CHARS:
                pos += 1
            if pos == start + 1:
                raise _error(text, pos, "expected a member name after '.'")
            steps.append(text[start + 1 : pos])
        elif text[pos] == "[":
            close = text.find("]", pos, end)
            digits = text[pos + 1 : close] if close != -1 else ""
            if not (digits.isascii() and digits.isdigit()):
                raise _error(text, pos + 1, "expected '[' digits ']'")
            if len(digits) > 18:
                raise _error(text, pos + 1, "index too large")
            steps.append(int(digits))
            pos = close + 1
        else:
            raise _error(text, pos, f"unexpected {text[pos]!r} in an operand")
    return tuple(steps)


_SCALAR_ROOTS = {"url": "a string", "method": "a string", "statusCode": "a number"}


def _operand(text: str, pos: int) -> Token:
    end = pos
    while end < len(text) and text[end] not in _OPERAND_STOP:
        end += 1
    expression = scan_expression(text, pos, end)
    navigation = _navigation(text, expression.end, end)
    kind = _SCALAR_ROOTS.get(expression.root)
    if navigation and kind is not None:
        step = navigation[0]
        what = f"member {step!r}" if isinstance(step, str) else f"index [{step}]"
        raise _error(
            text,
            expression.end,
            f"${expression.root} is {kind}: it has no {what}",
            "compare the value itself, e.g. $statusCode == 200",
        )
    return Token("operand", (expression, navigation), pos, end)


def _template(text: str, pos: int) -> Token:
    raise _error(
        text,
        pos,
        "'{' is not allowed in a condition",
        "write the expression bare: $statusCode == 200",
    )


_SCANNERS: dict[str, Callable[[str, int], Token]] = {
    "$": _operand,
    "'": _single_quoted,
    '"': _double_quoted,
    "-": _number,
    "{": _template,
    **{digit: _number for digit in string.digits},
    **{letter: _word for letter in string.ascii_letters + "_"},
}


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an ``eof`` token at ``len(text)``."""
    tokens: list[Token] = []
    pos, size = 0, len(text)
    while pos < size:
        char = text[pos]
        if char in string.whitespace:
            pos += 1
            continue
        token = _SCANNERS.get(char, _symbol)(text, pos)
        tokens.append(token)
        pos = token.end
    tokens.append(Token("eof", None, size, size))
    return tokens
