"""Runtime expressions (``$inputs.x``, ``$response.body#/a``, ...): structured parser and node.

The ABNF of Arazzo 1.0.1 cannot delimit an expression (``name = *CHAR``, see the notes R1/R2),
so the parser follows the structure the prose gives instead::

    expression := "$url" | "$method" | "$statusCode"
                | ("$request" | "$response") "." source
                | ("$inputs" | "$outputs") "." name [pointer]
                | "$steps." id ".outputs." name [pointer]
                | "$workflows." id "." ("inputs" | "outputs") "." name [pointer]
                | "$sourceDescriptions." id "." name          ; name may contain dots
                | "$components." kind "." name                ; kind: inputs parameters
                                                              ;   successActions failureActions
                | "$message." ("header." token | "payload" [pointer])   ; Arazzo 1.1
                | "$self"                                     ; Arazzo 1.1: the document's URI
    source     := "header." token | "query." name | "path." name
                | "body" [pointer | dot-path]
    pointer    := "#" <RFC 6901 pointer, up to the end of the enclosing text>
    dot-path   := 1*("." member | "[" digits "]")             ; non-ABNF dialect, flagged

An *id* has no dots; a *name* may (output names allow them). Names end at whitespace or one of
``# [ ] { } ( ) ! & < = > | ' "``. A header *token* uses the RFC 9110 token characters except
``! # & ' |``, which clash with the condition operators.

:func:`scan_expression` reads the longest expression starting at an offset (used by templates
and conditions); :func:`parse_expression` insists the expression is the whole text.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.access import Getter, Parts, build_getter
from arazzo_runner.expressions.context import ExpressionContext
from arazzo_runner.pointer import format_pointer, parse_pointer

__all__ = ["ROOTS", "RuntimeExpression", "parse_expression", "scan_expression", "scan_indexed"]

ROOTS = (
    "url",
    "method",
    "statusCode",
    "request",
    "response",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
    "message",
    "self",
)
COMPONENT_KINDS = ("inputs", "parameters", "successActions", "failureActions")
MESSAGE_SECTIONS = ("header", "query", "path", "body")

_NAME_STOP = frozenset(string.whitespace + "#[]{}()!&<=>|'\"")
_ID_STOP = _NAME_STOP | {"."}
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "$%*+-.^_`~")
_MEMBER_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_ALPHA = frozenset(string.ascii_letters)
_DIGITS = frozenset(string.digits)


@dataclass(frozen=True)
class RuntimeExpression:
    """One parsed runtime expression (an AST leaf). Immutable; evaluate it many times.

    Fields:
      ``source``  the expression text exactly as written, e.g. ``$steps.s1.outputs.a.b#/x``.
      ``start``/``end``  offsets of ``source`` inside the enclosing text (template, condition).
      ``root``    ``url method statusCode request response inputs outputs steps workflows
                  sourceDescriptions components``.
      ``target``  the stepId (steps), workflowId (workflows) or source name (sourceDescriptions).
      ``section`` ``header query path body`` (request/response), ``outputs`` (steps),
                  ``inputs outputs`` (workflows), the component kind (components).
      ``name``    parameter, header, input, output or component name; for sourceDescriptions
                  the rest after the source name (an operationId, workflowId or ``url``).
      ``pointer`` the JSON pointer after ``#`` (``""`` = whole value), or ``None``.
      ``dialect`` ``None`` for ABNF text; ``"dot-path"`` for ``$response.body.a[0]``, which is
                  read as ``#/a/0``; ``"bracket-index"`` for ``$steps.s.outputs.list[0].name``,
                  read as ``…outputs.list#/0/name`` (so a validator can warn).
    """

    source: str
    start: int
    end: int
    root: str
    target: str | None = None
    section: str | None = None
    name: str | None = None
    pointer: str | None = None
    dialect: str | None = None
    _get: Getter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = Parts(self.source, self.root, self.target, self.section, self.name, self.pointer)
        object.__setattr__(self, "_get", build_getter(parts))

    def evaluate(self, context: ExpressionContext) -> Any:
        """The value in ``context``, or ``MISSING`` when it is absent."""
        return self._get(context)

    def __str__(self) -> str:
        return self.source


class _Cursor:
    """Reads ``text[pos:limit]``; every error points into the whole ``text``."""

    def __init__(self, text: str, pos: int, limit: int) -> None:
        self.text = text
        self.pos = pos
        self.limit = limit

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.limit else ""

    def error(
        self, message: str, position: int | None = None, hint: str | None = None
    ) -> ExpressionError:
        where = self.pos if position is None else position
        return ExpressionError(message, expression=self.text, position=where, hint=hint)

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end"
            raise self.error(f"expected {char!r}, found {found}")
        self.pos += 1

    def run(self, allowed: frozenset[str] | None = None, stop: frozenset[str] | None = None) -> str:
        start = self.pos
        text, limit = self.text, self.limit
        while self.pos < limit:
            char = text[self.pos]
            if (allowed is not None and char not in allowed) or (stop is not None and char in stop):
                break
            self.pos += 1
        return text[start : self.pos]

    def name(self, what: str = "a name", stop: frozenset[str] = _NAME_STOP) -> str:
        value = self.run(stop=stop)
        if not value:
            raise self.error(f"expected {what}")
        return value

    def keyword(self, options: tuple[str, ...]) -> str:
        start = self.pos
        word = self.run(allowed=_ALPHA)
        if word not in options:
            listed = ", ".join(options)
            found = repr(word) if word else "nothing"
            raise self.error(f"expected one of {listed}; found {found}", start)
        return word

    def pointer(self) -> str | None:
        if self.peek() != "#":
            return None
        start = self.pos + 1
        text = self.text[start : self.limit]
        parse_pointer(text, expression=self.text, offset=start)
        self.pos = self.limit
        return text


Fields = dict[str, Any]


def _bare(cursor: _Cursor) -> Fields:
    return {}


def _message(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    section = cursor.keyword(MESSAGE_SECTIONS)
    if section == "body":
        pointer = cursor.pointer()
        if pointer is None and cursor.peek() in (".", "["):
            return {"section": section, "pointer": _dot_path(cursor), "dialect": "dot-path"}
        return {"section": section, "pointer": pointer}
    cursor.expect(".")
    if section == "header":
        token = cursor.run(allowed=_TOKEN_CHARS)
        if not token:
            raise cursor.error("expected a header name")
        return {"section": section, "name": token}
    return {"section": section, "name": cursor.name()}


def _async_message(cursor: _Cursor) -> Fields:
    """1.1 ``$message.header.<token>`` / ``$message.payload[#pointer]`` (AsyncAPI steps)."""
    cursor.expect(".")
    section = cursor.keyword(("header", "payload"))
    if section == "payload":
        pointer = cursor.pointer()
        if pointer is None and cursor.peek() in (".", "["):
            return {"section": section, "pointer": _dot_path(cursor), "dialect": "dot-path"}
        return {"section": section, "pointer": pointer}
    cursor.expect(".")
    token = cursor.run(allowed=_TOKEN_CHARS)
    if not token:
        raise cursor.error("expected a header name")
    return {"section": section, "name": token}


def _dot_path(cursor: _Cursor) -> str:
    tokens: list[str] = []
    while cursor.peek() in (".", "["):
        if cursor.peek() == ".":
            cursor.pos += 1
            member = cursor.run(allowed=_MEMBER_CHARS)
            if not member:
                raise cursor.error("expected a member name after '.'")
            tokens.append(member)
        else:
            cursor.pos += 1
            digits = cursor.run(allowed=_DIGITS)
            if not digits:
                raise cursor.error("expected an index (digits) after '['")
            cursor.expect("]")
            tokens.append(digits.lstrip("0") or "0")
    return format_pointer(tokens)


def _named(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    return {"name": cursor.name(), "pointer": cursor.pointer()}


def _steps(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    target = cursor.name("a stepId", _ID_STOP)
    cursor.expect(".")
    section = cursor.keyword(("outputs",))
    cursor.expect(".")
    return {"target": target, "section": section, "name": cursor.name("an output name")}


def _steps_with_pointer(cursor: _Cursor) -> Fields:
    fields = _steps(cursor)
    fields["pointer"] = cursor.pointer()
    return fields


def _workflows(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    target = cursor.name("a workflowId", _ID_STOP)
    cursor.expect(".")
    section = cursor.keyword(("inputs", "outputs"))
    cursor.expect(".")
    name = cursor.name()
    return {"target": target, "section": section, "name": name, "pointer": cursor.pointer()}


def _sources(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    target = cursor.name("a source description name", _ID_STOP)
    cursor.expect(".")
    return {"target": target, "name": cursor.name("an operationId, workflowId or field")}


def _components(cursor: _Cursor) -> Fields:
    cursor.expect(".")
    section = cursor.keyword(COMPONENT_KINDS)
    cursor.expect(".")
    return {"section": section, "name": cursor.name("a component name")}


_ROOT_PARSERS: dict[str, Callable[[_Cursor], Fields]] = {
    "url": _bare,
    "method": _bare,
    "statusCode": _bare,
    "request": _message,
    "response": _message,
    "inputs": _named,
    "outputs": _named,
    "steps": _steps_with_pointer,
    "workflows": _workflows,
    "sourceDescriptions": _sources,
    "components": _components,
    "message": _async_message,
    "self": _bare,
}


def scan_expression(text: str, start: int = 0, limit: int | None = None) -> RuntimeExpression:
    """Parse the longest runtime expression at ``text[start]`` (which must be ``$``).

    Stops at ``limit`` (default: the end of ``text``); a pointer runs up to ``limit``.
    """
    cursor = _Cursor(text, start, len(text) if limit is None else limit)
    cursor.expect("$")
    root_at = cursor.pos
    root = cursor.run(allowed=_ALPHA)
    parse = _ROOT_PARSERS.get(root)
    if parse is None:
        hint = "expected one of " + ", ".join("$" + known for known in ROOTS)
        raise cursor.error(f"unknown expression '${root}'", root_at, hint)
    fields = parse(cursor)
    return RuntimeExpression(text[start : cursor.pos], start, cursor.pos, root, **fields)


_INDEXED_ROOTS = frozenset({"inputs", "outputs", "steps", "workflows"})


def scan_indexed(text: str, start: int = 0, limit: int | None = None) -> RuntimeExpression:
    """:func:`scan_expression`, then a ``[n]`` suffix (and ``.member``/``[n]`` after it) on a
    name of ``$inputs``/``$outputs``/``$steps``/``$workflows``, read as a JSON pointer.

    ``$steps.s.outputs.list[0].name`` is ``…outputs.list#/0/name`` (``dialect`` is
    ``"bracket-index"``): the 1.0.1 ABNF's ``name = *CHAR`` admits the brackets, and many
    published documents use them. Conditions do not use this: their operands keep ``[n]`` as
    navigation (notes C2)."""
    end = len(text) if limit is None else limit
    expression = scan_expression(text, start, end)
    at = expression.end
    if (
        at >= end
        or text[at] != "["
        or expression.root not in _INDEXED_ROOTS
        or expression.pointer is not None
    ):
        return expression
    cursor = _Cursor(text, at, end)
    pointer = _dot_path(cursor)
    fields = {name: getattr(expression, name) for name in ("root", "target", "section", "name")}
    return RuntimeExpression(
        text[start : cursor.pos], start, cursor.pos, **fields, pointer=pointer,
        dialect="bracket-index",
    )  # fmt: skip


def parse_expression(text: str) -> RuntimeExpression:
    """Parse ``text`` as exactly one runtime expression, or raise :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(
            "a runtime expression must be a string", expression=repr(text), position=0
        )
    expression = scan_indexed(text)
    if expression.end != len(text):
        extra = text[expression.end]
        hint = "use a JSON pointer such as #/0" if extra in "[." else None
        raise ExpressionError(
            f"unexpected {extra!r} after the expression {expression.source!r}",
            expression=text,
            position=expression.end,
            hint=hint,
        )
    return expression
