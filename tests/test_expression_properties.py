"""Properties of the expression parsers: nothing escapes but ExpressionError, carets stay in range.

Random text comes both from the full unicode range and from the grammar's own alphabet, which
reaches much deeper into the parsers. Evaluation of whatever parses must not raise either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo_runner.expressions import (
    ExpressionContext,
    ExpressionError,
    Message,
    compile_condition,
    compile_value,
    parse_expression,
)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIECES = [
    "$url", "$method", "$statusCode", "$request", "$response", "$inputs", "$outputs", "$steps",
    "$workflows", "$sourceDescriptions", "$components", ".header", ".query", ".path", ".body",
    ".outputs", ".inputs", ".parameters", ".successActions", ".x", ".a.b", ".0", "#", "#/",
    "/a", "/0", "~0", "~1", "~", "[0]", "[", "]", "{", "}", "{$", "(", ")", "!", "&&", "||",
    "&", "|", "==", "!=", "<", "<=", ">", ">=", "=", " ", "\t", "'", "''", "'a'", '"', "-",
    "1", "2.5", "-3", "1e2", "true", "false", "null", "contains", "$",
    "$inputs.a", "$inputs.a.b", "$response.body#/a", "$response.header.X", "$steps.a.outputs.x",
    " == ", " && ", " || ", "$statusCode == 200", "{$inputs.a}", "$response.body.a[0]",
]  # fmt: skip

grammar_text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
any_text = st.text(max_size=40)
texts = st.one_of(any_text, grammar_text)

scalars = st.none() | st.booleans() | st.integers(-5, 300) | st.floats(allow_nan=False)
json_values = st.recursive(
    scalars | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ax0"), inner),
    max_leaves=8,
)


@st.composite
def contexts(draw: st.DrawFn) -> ExpressionContext:
    names = st.sampled_from(["a", "b", "x", "a.b", "0"])
    mapping = st.dictionaries(names, json_values, max_size=3)
    message = st.builds(
        Message,
        headers=st.dictionaries(st.sampled_from(["X", "x", "Content-Type"]), st.text(max_size=4)),
        query=mapping,
        path=mapping,
        body=json_values,
    )
    return ExpressionContext(
        url=draw(st.none() | st.text(max_size=5)),
        status_code=draw(st.none() | st.integers(100, 599)),
        request=draw(st.none() | message),
        response=draw(st.none() | message),
        inputs=draw(mapping),
        outputs=draw(mapping),
        steps=draw(st.dictionaries(names, mapping, max_size=2)),
    )


def _only_expression_errors(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except ExpressionError as error:
        assert error.expression is not None
        assert error.position is not None
        assert 0 <= error.position <= len(error.expression), error.caret()
        assert error.caret().count("\n") >= 1
        return None


@FAST
@given(texts)
def test_parse_expression_raises_only_expression_errors(text: str) -> None:
    node = _only_expression_errors(parse_expression, text)
    if node is not None:
        assert node.source == text and (node.start, node.end) == (0, len(text))


@FAST
@given(texts, contexts())
def test_conditions_raise_only_expression_errors(text: str, context: ExpressionContext) -> None:
    condition = _only_expression_errors(compile_condition, text)
    if condition is not None:
        result = condition.evaluate(context)
        assert isinstance(result.passed, bool) and isinstance(result.reason, str)


@FAST
@given(texts, contexts())
def test_templates_raise_only_expression_errors(text: str, context: ExpressionContext) -> None:
    compiled = _only_expression_errors(compile_value, text)
    if compiled is not None:
        compiled.evaluate(context)
        for expression in compiled.expressions:
            assert text[expression.start : expression.end] == expression.source


@FAST
@given(texts, contexts())
def test_parsed_expressions_evaluate_without_errors(text: str, context: ExpressionContext) -> None:
    node = _only_expression_errors(parse_expression, "$response.body#" + text)
    if node is not None:
        node.evaluate(context)


@pytest.mark.parametrize(
    "text",
    ["(" * 200 + "true" + ")" * 200, "!" * 500 + "true", "(" * 5000],
    ids=["parens", "nots", "unclosed"],
)
def test_deep_nesting_is_a_syntax_error(text: str) -> None:
    with pytest.raises(ExpressionError, match="nested deeper"):
        compile_condition(text)


def test_moderate_nesting_still_works() -> None:
    text = "(" * 60 + "$statusCode == 200" + ")" * 60
    assert compile_condition(text).evaluate(ExpressionContext(status_code=200)).passed


def test_long_chains_do_not_recurse() -> None:
    text = " && ".join(["$statusCode == 200"] * 3000) + " || false"
    condition = compile_condition(text)
    assert condition.evaluate(ExpressionContext(status_code=200)).passed
    assert not condition.evaluate(ExpressionContext(status_code=500)).passed
    assert len(condition.expressions) == 3000


def test_deep_values_are_an_expression_error() -> None:
    value: Any = "$statusCode"
    for _ in range(1000):
        value = [value]
    with pytest.raises(ExpressionError):
        compile_value(value)


HUGE = "9" * 5000


@pytest.mark.parametrize(
    "text",
    [HUGE, f"$statusCode == '{HUGE}'", f"$response.body.a[{HUGE}]", f"$inputs.a[{HUGE}] == 1",
     f"$response.body#/a/{HUGE}", f"$statusCode < {HUGE}.5"],
)  # fmt: skip
def test_huge_numbers_never_raise_value_errors(text: str) -> None:
    context = ExpressionContext(status_code=200, response=Message(body={"a": [1]}))
    condition = _only_expression_errors(compile_condition, text)
    if condition is not None:
        assert condition.evaluate(context).passed in (True, False)
