"""The engine's compile cache: criteria that read the same share one compiled check (it depends
on type, condition, context and version only), and give the verdict and reason each would get
alone; what fails to compile is not kept and fails again, located at its own criterion. A
scalar parameter value is what its compiled literal would give back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arazzo_runner.criteria.table import compile_criterion
from arazzo_runner.document.model import Criterion, Location
from arazzo_runner.engine.scope import _NON_TEXT_SCALARS, Compiler, Scope
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import ExpressionContext, Message, compile_value


def _criterion(
    condition: str, line: int, kind: str = "simple", context: str | None = None
) -> Criterion:
    return Criterion(
        Location("c.arazzo.yaml", line, 7), f"/c/{line}", condition, kind, None, context
    )  # type: ignore[arg-type]


def _ctx(status: int, body: object) -> ExpressionContext:
    return ExpressionContext(status_code=status, response=Message(body=body))


CASES = [
    ("simple", "$statusCode == 200", None),
    ("simple", "$response.body#/ok == true", None),
    ("regex", "^2\\d\\d$", "$statusCode"),
    ("jsonpath", "$[?(@.ok == true)]", "$response.body"),
]


@pytest.mark.parametrize(("kind", "condition", "context"), CASES)
@pytest.mark.parametrize(("status", "body"), [(200, {"ok": True}), (404, {"ok": False})])
def test_shared_checks_give_each_criterion_its_own_verdict(
    kind: str, condition: str, context: str | None, status: int, body: object
) -> None:
    compiler = Compiler()
    first, second = _criterion(condition, 3, kind, context), _criterion(condition, 9, kind, context)
    shared = compiler.criterion(first), compiler.criterion(second)
    assert shared[0] is shared[1]  # compiled once
    alone = compile_criterion(second).evaluate(_ctx(status, body))
    assert shared[1].evaluate(_ctx(status, body)) == alone


def test_different_criteria_are_not_shared() -> None:
    compiler = Compiler()
    texts = ["$statusCode == 200", "$statusCode == 201"]
    compiled = [compiler.criterion(_criterion(t, i)) for i, t in enumerate(texts)]
    assert compiled[0] is not compiled[1]
    assert compiler.criterion(
        _criterion("^2", 1, "regex", "$statusCode")
    ) is not compiler.criterion(_criterion("^2", 2, "regex", "$url"))


def test_a_criterion_that_fails_to_compile_fails_again_at_its_own_line() -> None:
    compiler = Compiler()
    for line in (4, 12):
        with pytest.raises(ExpressionError) as caught:
            compiler.criterion(_criterion("$statusCode ==", line))
        assert caught.value.line == line


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_a_scalar_value_is_its_compiled_literal(raw: object) -> None:
    assert type(raw) in _NON_TEXT_SCALARS
    got = Scope.evaluate(None, Compiler(), object(), "value", raw, ExpressionContext())  # type: ignore[arg-type]
    expected = compile_value(raw).evaluate(ExpressionContext())
    assert got is expected or got == expected
    assert type(got) is type(expected)
