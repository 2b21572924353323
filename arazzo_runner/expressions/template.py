"""Values from a document compiled once: literals, whole expressions, ``{$...}`` templates.

Rules (notes R7-R9, Arazzo #437):

* A string that is exactly one runtime expression keeps the value's type (R7).
* A string containing ``{$`` is a template: only ``{`` directly followed by ``$`` opens an
  expression, which ends at the matching ``}``. Strings go in as they are, bytes are decoded as
  UTF-8, other scalars as JSON text (``true``, ``null``, ``1.5``), objects/arrays as compact JSON.
  ``{petId}`` (no ``$``) is literal text.
* [impl] A string starting with ``$`` + a known root (``$inputs``, ``$url``...) that does not
  parse is an error, so typos fail validation; any other string is a literal (``$5``), as is
  everything that is not a string. There is no escape for a literal that parses (R9, #363).
* Dicts and lists compile element-wise; keys stay literal.
* [impl] A template with a ``MISSING`` part evaluates to ``MISSING``; :meth:`unresolved` lists
  the expressions that were missing, so the caller can name them in its error.
* [impl] Inside an object, a member whose value is ``MISSING`` is left out; inside an array, a
  ``MISSING`` item becomes ``null`` (JSON has no "absent", so this is what JSON serializers do
  with an undefined value). :meth:`CompiledValue.resolve` gives the value *and* a :class:`Gap`
  for every part that resolved to nothing, so a caller never loses one silently: the engine
  fails a step on a gap, or leaves out a member for an optional input that was not given.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.context import MISSING, ExpressionContext
from arazzo_runner.expressions.runtime import (
    ROOTS,
    RuntimeExpression,
    parse_expression,
    scan_indexed,
)
from arazzo_runner.pointer import escape_token

__all__ = ["CompiledValue", "Gap", "compile_value"]

Path = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of a value that resolved to nothing: which ``expression``, at which ``path``
    inside the value (``()`` is the value itself), and whether it sat in a ``{$...}``
    template (a template with a gap is never sent)."""

    expression: RuntimeExpression
    path: Path = ()
    in_template: bool = False

    def where(self) -> str:
        """``path`` as a JSON pointer (``""`` for the whole value)."""
        return "".join("/" + escape_token(str(part)) for part in self.path)


class CompiledValue:
    """Base class: a document value ready to evaluate against an :class:`ExpressionContext`."""

    __slots__ = ("expressions",)

    def __init__(self, expressions: tuple[RuntimeExpression, ...] = ()) -> None:
        self.expressions = expressions
        """Every runtime expression inside, in document order."""

    def evaluate(self, context: ExpressionContext) -> Any:
        raise NotImplementedError

    @property
    def is_literal(self) -> bool:
        """True when no expression is involved (the value never changes)."""
        return not self.expressions

    def unresolved(self, context: ExpressionContext) -> tuple[RuntimeExpression, ...]:
        """The expressions inside that evaluate to ``MISSING`` in ``context``."""
        return tuple(e for e in self.expressions if e.evaluate(context) is MISSING)

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        """The value (as :meth:`evaluate` gives it) and every :class:`Gap` in it."""
        return self.evaluate(context), ()


class LiteralValue(CompiledValue):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def evaluate(self, context: ExpressionContext) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"LiteralValue({self.value!r})"


class ExpressionValue(CompiledValue):
    __slots__ = ("expression",)

    def __init__(self, expression: RuntimeExpression) -> None:
        super().__init__((expression,))
        self.expression = expression

    def evaluate(self, context: ExpressionContext) -> Any:
        return self.expression.evaluate(context)

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        value = self.expression.evaluate(context)
        return value, ((Gap(self.expression),) if value is MISSING else ())

    def __repr__(self) -> str:
        return f"ExpressionValue({self.expression.source!r})"


def render(value: Any) -> str:
    """How an embedded value becomes text (#437)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return json.dumps(value, default=str)


class TemplateValue(CompiledValue):
    """``parts`` alternate literal text (``str``) and expressions."""

    __slots__ = ("parts", "source")

    def __init__(self, source: str, parts: tuple[str | RuntimeExpression, ...]) -> None:
        super().__init__(tuple(p for p in parts if isinstance(p, RuntimeExpression)))
        self.source = source
        self.parts = parts

    def evaluate(self, context: ExpressionContext) -> Any:
        pieces: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = part.evaluate(context)
            if value is MISSING:
                return MISSING
            pieces.append(render(value))
        return "".join(pieces)

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        value = self.evaluate(context)
        if value is not MISSING:
            return value, ()
        return value, tuple(Gap(e, (), True) for e in self.unresolved(context))

    def __repr__(self) -> str:
        return f"TemplateValue({self.source!r})"


class ObjectValue(CompiledValue):
    __slots__ = ("items",)

    def __init__(self, items: tuple[tuple[Any, CompiledValue], ...]) -> None:
        super().__init__(tuple(e for _, value in items for e in value.expressions))
        self.items = items

    def evaluate(self, context: ExpressionContext) -> Any:
        found = {key: value.evaluate(context) for key, value in self.items}
        if MISSING in found.values():
            return {key: item for key, item in found.items() if item is not MISSING}
        return found

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        found: dict[Any, Any] = {}
        gaps: list[Gap] = []
        for key, compiled in self.items:
            value, inner = compiled.resolve(context)
            gaps.extend(Gap(g.expression, (key, *g.path), g.in_template) for g in inner)
            if value is not MISSING:
                found[key] = value
        return found, tuple(gaps)


class ArrayValue(CompiledValue):
    __slots__ = ("items",)

    def __init__(self, items: tuple[CompiledValue, ...]) -> None:
        super().__init__(tuple(e for value in items for e in value.expressions))
        self.items = items

    def evaluate(self, context: ExpressionContext) -> Any:
        found = [value.evaluate(context) for value in self.items]
        if MISSING in found:
            return [None if item is MISSING else item for item in found]
        return found

    def resolve(self, context: ExpressionContext) -> tuple[Any, tuple[Gap, ...]]:
        found: list[Any] = []
        gaps: list[Gap] = []
        for index, compiled in enumerate(self.items):
            value, inner = compiled.resolve(context)
            gaps.extend(Gap(g.expression, (index, *g.path), g.in_template) for g in inner)
            found.append(None if value is MISSING else value)
        return found, tuple(gaps)


def _closing_brace(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ExpressionError("'{$' is never closed by '}'", expression=text, position=opening)


def _template(text: str) -> TemplateValue:
    parts: list[str | RuntimeExpression] = []
    cursor = 0
    opening = text.find("{$")
    while opening != -1:
        if opening > cursor:
            parts.append(text[cursor:opening])
        closing = _closing_brace(text, opening)
        expression = scan_indexed(text, opening + 1, closing)
        if expression.end != closing:
            raise ExpressionError(
                f"unexpected {text[expression.end]!r} inside '{{...}}'",
                expression=text,
                position=expression.end,
            )
        parts.append(expression)
        cursor = closing + 1
        opening = text.find("{$", cursor)
    if cursor < len(text):
        parts.append(text[cursor:])
    return TemplateValue(text, tuple(parts))


def _names_root(text: str) -> bool:
    word = text[1:].split(".", 1)[0]
    end = 0
    while end < len(word) and word[end] in string.ascii_letters:
        end += 1
    return word[:end] in ROOTS


@functools.lru_cache(maxsize=4096)
def _compile_string(text: str) -> CompiledValue:
    # Compiled values are immutable: one text compiles once per process (errors each time).
    if text.startswith("$"):
        try:
            return ExpressionValue(parse_expression(text))
        except ExpressionError:
            if "{$" not in text and _names_root(text):
                raise
    if "{$" in text:
        return _template(text)
    return LiteralValue(text)


MAX_DEPTH = 256


Special = Callable[[Any], "CompiledValue | None"]
"""``special(value)``: a compiled value for a non-JSON leaf (the engine's 1.1 Selector Objects),
or None to keep it as a literal."""


def compile_value(value: Any, _depth: int = 0, special: Special | None = None) -> CompiledValue:
    """Compile any JSON value from a document (see the module docstring for the rules)."""
    if isinstance(value, str):
        return _compile_string(value)
    if _depth > MAX_DEPTH:
        raise ExpressionError(f"value nested deeper than {MAX_DEPTH} levels", position=0)
    if isinstance(value, Mapping):
        items = tuple(
            (key, compile_value(item, _depth + 1, special)) for key, item in value.items()
        )
        if all(item.is_literal for _, item in items):
            return LiteralValue(value)
        return ObjectValue(items)
    if isinstance(value, list):
        elements = tuple(compile_value(item, _depth + 1, special) for item in value)
        if all(item.is_literal for item in elements):
            return LiteralValue(value)
        return ArrayValue(elements)
    compiled = special(value) if special is not None else None
    return LiteralValue(value) if compiled is None else compiled
