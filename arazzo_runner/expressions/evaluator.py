"""Compiled conditions: the AST is turned once into closures, then evaluated many times.

Semantics (notes C4, C6, R10; documented choices marked [impl]):

* Strings compare case-insensitively (``casefold``), for equality and ordering.
* A numeric string compares as a number against a number (``'200' == 200``).
* ``true``/``false`` equal only booleans, or the strings ``'true'``/``'false'`` (any case).
* ``null`` equals only ``null``; ordering anything with ``null`` is false.
* [impl] A missing operand fails *every* comparison, ``!=`` included: an expression that cannot
  be resolved fails inside criteria (R10), so ``$response.body#/token != null`` means "present".
* Objects and arrays compare with ``==``/``!=`` structurally; ordering them is false.
* A bare operand passes unless it is false, null, missing, 0, ``""``, ``[]`` or ``{}`` (C6).

Arazzo 1.1 (``rules="1.1"``, the document's version; docs/arazzo-1.1.md) adds two rules:

* "Numeric strings SHOULD be coerced to numbers when compared with numeric operators": an
  ordering (``< <= > >=``) of two numeric strings compares the numbers (``'10' > '9'``).
  ``==``/``!=`` between two strings stay textual (case-insensitive).
* A string literal with ``{$...}`` parts is an expression string: the parts are rendered as
  in any template (:func:`~arazzo_runner.expressions.template.render`), then compared
  (``$response.body#/name == '{$inputs.first} {$inputs.last}'``). A part that resolves to
  nothing makes the literal missing, which fails the comparison.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arazzo_runner.expressions.context import MISSING, ExpressionContext
from arazzo_runner.expressions.nodes import (
    And,
    Compare,
    Group,
    Literal,
    Node,
    Not,
    Operand,
    Or,
    walk,
)
from arazzo_runner.expressions.parser import parse_condition, unbrace
from arazzo_runner.expressions.runtime import RuntimeExpression
from arazzo_runner.expressions.template import CompiledValue, compile_value

__all__ = [
    "RULES",
    "Condition",
    "ConditionResult",
    "compare",
    "compare_1_1",
    "compile_condition",
    "truthy",
]

RULES = ("1.0", "1.1")
"""The condition rule sets: the Arazzo minor version of the document a condition is in."""

Value = Callable[[ExpressionContext], Any]
Test = Callable[[ExpressionContext], bool]

_NUMERIC = re.compile(r"\s*-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*")
_DIRECT: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_number(text: str) -> int | float | None:
    match = _NUMERIC.fullmatch(text)
    if match is None:
        return None
    if match.group(1) or match.group(2) or len(text) > 300:
        return float(text)
    return int(text)


def _coerce(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides as numbers or as casefolded strings, or ``None`` when not comparable so."""
    if _is_number(left) and _is_number(right):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    if _is_number(left) and isinstance(right, str):
        number = _as_number(right)
        return None if number is None else (left, number)
    if isinstance(left, str) and _is_number(right):
        number = _as_number(left)
        return None if number is None else (number, right)
    return None


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, str):
            left, right = right, left
        if isinstance(right, str):
            return right.strip().lower() == ("true" if left else "false")
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    pair = _coerce(left, right)
    if pair is not None:
        return bool(pair[0] == pair[1])
    if isinstance(left, (str, int, float)) or isinstance(right, (str, int, float)):
        return False
    return bool(left == right)


def compare(op: str, left: Any, right: Any) -> bool:
    """Apply comparison ``op`` (``== != < <= > >=``) with the loose rules above."""
    kind = type(left)
    if kind is type(right) and (kind is int or kind is str):
        if kind is str:
            left, right = left.casefold(), right.casefold()
        return _DIRECT[op](left, right)
    if left is MISSING or right is MISSING:
        return False
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    pair = _coerce(left, right)
    return pair is not None and _ORDER[op](*pair)


def compare_1_1(op: str, left: Any, right: Any) -> bool:
    """:func:`compare` with Arazzo 1.1's coercion: two numeric strings order as numbers."""
    if op in _ORDER and type(left) is str and type(right) is str:
        first, second = _as_number(left), _as_number(right)
        if first is not None and second is not None:
            return _ORDER[op](first, second)
    return compare(op, left, right)


_COMPARE: dict[str, Callable[[str, Any, Any], bool]] = {"1.0": compare, "1.1": compare_1_1}


def truthy(value: Any) -> bool:
    """C6 truthiness: false, null, missing, 0, empty string/array/object fail."""
    if value is MISSING or value is None or isinstance(value, bool):
        return bool(value)
    if _is_number(value):
        return bool(value != 0)
    if isinstance(value, (str, bytes, Sequence, Mapping)):
        return len(value) > 0
    return True


def _navigate(value: Any, navigation: tuple[str | int, ...]) -> Any:
    for step in navigation:
        if isinstance(step, int):
            is_list = isinstance(value, Sequence) and not isinstance(value, (str, bytes))
            value = value[step] if is_list and step < len(value) else MISSING
        else:
            value = value.get(step, MISSING) if isinstance(value, Mapping) else MISSING
    return value


Embedded = Mapping[int, CompiledValue]
"""The 1.1 expression-string literals of a condition: ``id(literal)`` -> its template."""


def _value(node: Literal | Operand, embedded: Embedded) -> Value:
    if isinstance(node, Literal):
        template = embedded.get(id(node))
        if template is not None:
            return template.evaluate
        constant = node.value
        return lambda context: constant
    get = node.expression.evaluate
    navigation = node.navigation
    if not navigation:
        return get
    return lambda context: _navigate(get(context), navigation)


def _test(node: Node, embedded: Embedded, rules: str) -> Test:
    if isinstance(node, (Literal, Operand)):
        value = _value(node, embedded)
        return lambda context: truthy(value(context))
    if isinstance(node, Compare):
        left, right, op = _value(node.left, embedded), _value(node.right, embedded), node.op
        comparison = _COMPARE[rules]
        return lambda context: comparison(op, left(context), right(context))
    if isinstance(node, Not):
        inner = _test(node.operand, embedded, rules)
        return lambda context: not inner(context)
    if isinstance(node, Group):
        return _test(node.inner, embedded, rules)
    tests = tuple(_test(child, embedded, rules) for child in node.operands)
    if len(tests) == 2:
        first, second = tests
        if isinstance(node, And):
            return lambda context: first(context) and second(context)
        return lambda context: first(context) or second(context)
    if isinstance(node, And):
        return lambda context: all(test(context) for test in tests)
    return lambda context: any(test(context) for test in tests)


def _show(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if type(value) is int:
        return str(value)
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(
    node: Node, context: ExpressionContext, tests: Mapping[int, Test], embedded: Embedded
) -> str:
    """Why ``node`` passed or failed, with the values it saw (only built once per result)."""
    if isinstance(node, (Literal, Operand)):
        value = _value(node, embedded)(context)
        verdict = "truthy" if truthy(value) else "falsy"
        return f"{node.source} is {_show(value)} ({verdict})"
    if isinstance(node, Compare):
        return _explain_compare(node, context, embedded)
    if isinstance(node, Not):
        return f"{node.source}: {_explain(node.operand, context, tests, embedded)}"
    if isinstance(node, Group):
        return _explain(node.inner, context, tests, embedded)
    results = [(tests[id(child)](context), child) for child in node.operands]
    wanted = isinstance(node, Or)
    deciding = [child for passed, child in results if passed is wanted]
    if deciding:
        return _explain(deciding[0], context, tests, embedded)
    return "; ".join(_explain(child, context, tests, embedded) for _, child in results)


def _explain_compare(node: Compare, context: ExpressionContext, embedded: Embedded) -> str:
    left, right = _value(node.left, embedded)(context), _value(node.right, embedded)(context)
    if isinstance(node.right, Literal) and isinstance(node.left, Operand):
        expected = node.right.source
        if id(node.right) in embedded:
            expected = f"{expected} ({_show(right)})"
        return f"{node.left.source} is {_show(left)}, expected {node.op} {expected}"
    seen = [
        f"{side.source} is {_show(value)}"
        for side, value in ((node.left, left), (node.right, right))
        if isinstance(side, Operand) or id(side) in embedded
    ]
    return ", ".join([*seen, f"expected {node.source}"])


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of one condition: ``passed`` and a human ``reason`` with the values seen."""

    passed: bool
    reason: str


def _expression_strings(ast: Node) -> dict[int, CompiledValue]:
    """The string literals of ``ast`` that hold ``{$...}`` parts, compiled as templates."""
    found: dict[int, CompiledValue] = {}
    for node in walk(ast):
        if isinstance(node, Literal) and isinstance(node.value, str) and "{$" in node.value:
            template = compile_value(node.value)
            if template.expressions:
                found[id(node)] = template
    return found


class Condition:
    """A compiled simple condition. ``source`` is the text, ``ast`` the root node.
    ``dialect`` is ``"braced"`` for a whole condition written ``{$...}`` (read without the
    braces, so a validator can warn), else ``None``. ``rules`` is ``"1.0"`` or ``"1.1"``
    (:data:`RULES`): the Arazzo version whose comparison rules apply."""

    __slots__ = ("_embedded", "_test", "_tests", "ast", "dialect", "expressions", "rules", "source")

    def __init__(
        self, source: str, ast: Node, dialect: str | None = None, rules: str = "1.0"
    ) -> None:
        if rules not in RULES:
            raise ValueError(f"rules must be one of {', '.join(RULES)}, not {rules!r}")
        self.source = source
        self.ast = ast
        self.dialect = dialect
        self.rules = rules
        self._embedded = _expression_strings(ast) if rules == "1.1" else {}
        operands: list[RuntimeExpression] = []
        for node in walk(ast):
            if isinstance(node, Operand):
                operands.append(node.expression)
            elif id(node) in self._embedded:
                operands.extend(self._embedded[id(node)].expressions)
        self.expressions: tuple[RuntimeExpression, ...] = tuple(operands)
        self._tests = {id(node): _test(node, self._embedded, rules) for node in walk(ast)}
        self._test = self._tests[id(ast)]

    def test(self, context: ExpressionContext) -> bool:
        """Just pass/fail, without building a reason."""
        return self._test(context)

    def evaluate(self, context: ExpressionContext) -> ConditionResult:
        """Pass/fail plus the reason (the values the deciding part saw)."""
        reason = _explain(self.ast, context, self._tests, self._embedded)
        return ConditionResult(self._test(context), reason)

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def compile_condition(text: str, rules: str = "1.0") -> Condition:
    """Parse and compile a simple condition; raises :class:`ExpressionError` on bad syntax.
    ``rules`` is the Arazzo minor version of the document (``"1.0"`` or ``"1.1"``).

    A :class:`Condition` is immutable, so one text is compiled once per process (validation,
    then every run of the document, share it); errors are raised afresh each time.
    """
    if isinstance(text, str):
        return _compile_condition(text, rules)
    return Condition(text, parse_condition(text), rules=rules)


@functools.lru_cache(maxsize=4096)
def _compile_condition(text: str, rules: str) -> Condition:
    inner = unbrace(text) if text[:1] == "{" or text.lstrip()[:1] == "{" else None
    if inner is not None:
        return Condition(text, parse_condition(inner), "braced", rules)
    return Condition(text, parse_condition(text), rules=rules)
