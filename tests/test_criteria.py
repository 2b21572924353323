"""Criteria: the data-driven vectors plus compile errors, XML attacks, bounds and warnings."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.criteria.table import (
    COMPILERS,
    MAX_REGEX_TEXT,
    CompiledCriterion,
    CriterionResult,
    compile_criterion,
    evaluate_all,
)
from arazzo_runner.document.location import Location
from arazzo_runner.document.model import Criterion
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import MISSING, ExpressionContext, Message

VECTORS = json.loads((Path(__file__).parent / "vectors" / "criteria.json").read_text("utf-8"))
LOC = Location("wf.arazzo.yaml", 12, 9)


def make(
    condition: str,
    type: Any = "simple",
    context: str | None = None,
    version: str | None = None,
    rules: str = "1.0",
) -> Criterion:
    return Criterion(
        LOC, "/workflows/0/steps/0/successCriteria/0", condition, type, version, context, rules
    )


def response(body: Any = MISSING, status: int = 200, headers: Any = None) -> ExpressionContext:
    message = Message(headers=headers or {}, body=body)
    return ExpressionContext(status_code=status, response=message)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["id"] for c in VECTORS["cases"]])
def test_vector(case: dict[str, Any]) -> None:
    spec = case["criterion"]
    compiled = compile_criterion(
        make(
            spec["condition"],
            spec.get("type", "simple"),
            spec.get("context"),
            spec.get("version"),
            case.get("rules", "1.0"),
        )
    )
    context = response(case.get("body", MISSING), case.get("status", 200), case.get("headers"))
    context = context.with_(inputs=case.get("inputs", {}))
    result = compiled.evaluate(context)
    assert result.passed is case["passed"], result.reason
    assert (result.reason == "") is result.passed
    if "reason" in case:
        assert case["reason"] in result.reason
    if case.get("warning") is False:
        assert result.warning is None
    elif "warning" in case:
        assert result.warning is not None and case["warning"] in result.warning
    if "error" in case:  # could not be evaluated (1.1 "Evaluation Errors"), or evaluated false
        assert result.error is case["error"], result.reason


def test_vectors_cover_every_type() -> None:
    types = [c["criterion"].get("type", "simple") for c in VECTORS["cases"]]
    assert len(types) >= 60
    assert {t: types.count(t) >= 8 for t in COMPILERS} == dict.fromkeys(COMPILERS, True)


# -- compile-time errors ------------------------------------------------------------------------

SYNTAX_ERRORS = [
    ("simple", "$statusCode == ", None, None),
    ("regex", "^(200$", None, 1),
    ("regex", "ab[c", None, 2),
    ("regex", "(?<n>a)\\k<m>", None, 7),
    ("jsonpath", "$.a[", None, 4),
    ("jsonpath", "$.a b", None, 4),
    ("jsonpath", "pets", None, 0),
    ("jsonpath", "$[?@.a ==]", None, 9),
    ("jsonpath", "$.status == COMPLETED", None, 9),
    ("jsonpath", "$.a.~", None, 4),
    ("xpath", "1 + ", None, None),
    ("xpath", "//x[@a=]", None, 7),
    ("xpath", "map{'a': 1}?a", "xpath-20", 3),
]


@pytest.mark.parametrize(("kind", "condition", "version", "position"), SYNTAX_ERRORS)
def test_syntax_error_at_compile(
    kind: str, condition: str, version: str | None, position: int | None
) -> None:
    context = None if kind == "simple" else "$response.body"
    with pytest.raises(ExpressionError) as info:
        compile_criterion(make(condition, kind, context, version))
    error = info.value
    assert error.expression == condition
    assert error.position is not None
    if position is not None:
        assert error.position == position, error.caret()
    assert error.pointer == "/workflows/0/steps/0/successCriteria/0/condition"
    assert (error.file, error.line, error.column) == ("wf.arazzo.yaml", 12, 9)
    assert error.caret().endswith("^")


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (make(".*", "regex"), "needs a context"),
        (make("$", "jsonpath"), "needs a context"),
        (make("/r", "xpath"), "needs a context"),
        (make("$", "jsonpath", "$response.body", "rfc-9999"), "unknown JSONPath version"),
        (make("/r", "xpath", "$response.body", "xpath-40"), "unknown XPath version"),
        (make("x", "jmespath", "$response.body"), "unknown criterion type"),
        (make(".*", "regex", "$response.nothing"), "expected one of header"),
    ],
)
def test_bad_criterion_at_compile(criterion: Criterion, message: str) -> None:
    with pytest.raises(ExpressionError, match=message) as info:
        compile_criterion(criterion)
    assert info.value.pointer is not None
    assert info.value.pointer.startswith(criterion.pointer + "/")


# -- XML safety ---------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><lolz>&lol9;</lolz>"
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
EXTERNAL_DTD = '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL, EXTERNAL_DTD, EXTERNAL.encode()])
def test_xml_attacks_fail_safely(body: str | bytes) -> None:
    compiled = compile_criterion(make("contains(string(/*), 'root')", "xpath", "$response.body"))
    started = time.monotonic()
    result = compiled.evaluate(response(body))
    assert time.monotonic() - started < 10.0  # refused, not expanded (that takes minutes)
    assert not result.passed
    assert "DOCTYPE" in result.reason
    assert "root:" not in result.reason


def test_xml_bytes_with_declared_encoding() -> None:
    body = '<?xml version="1.0" encoding="iso-8859-1"?><r>caf\xe9</r>'.encode("iso-8859-1")
    compiled = compile_criterion(make("/r = 'caf\xe9'", "xpath", "$response.body"))
    assert compiled.evaluate(response(body)).passed


def test_xml_size_bound() -> None:
    from arazzo_runner.criteria.xpath_match import parse_xml

    with pytest.raises(ValueError, match="limit"):
        parse_xml("<r>" + "x" * 100 + "</r>", max_bytes=50)
    assert parse_xml("<r>x</r>", max_bytes=50).tag == "r"


# -- regex bounds and conversions ---------------------------------------------------------------


def test_regex_refuses_huge_context_quickly() -> None:
    compiled = compile_criterion(make("^(a+)+$", "regex", "$response.body"))
    started = time.monotonic()
    result = compiled.evaluate(response("a" * (MAX_REGEX_TEXT + 1) + "!"))
    assert time.monotonic() - started < 5.0  # refused by its size, never searched
    assert not result.passed
    assert "limit" in result.reason
    assert result.error  # could not be evaluated (1.1 "Evaluation Errors"), not a mismatch


def test_regex_at_the_bound_still_runs() -> None:
    compiled = compile_criterion(make("b$", "regex", "$response.body"))
    assert compiled.evaluate(response("a" * (MAX_REGEX_TEXT - 1) + "b")).passed


@pytest.mark.parametrize(
    ("body", "passed", "reason"),
    [(b"status: ok", True, ""), (b"\xff\xfe", False, "not UTF-8"), (bytearray(b"ok"), True, "")],
)
def test_regex_bytes_context(body: bytes, passed: bool, reason: str) -> None:
    result = compile_criterion(make("ok", "regex", "$response.body")).evaluate(response(body))
    assert (result.passed, reason in result.reason) == (passed, True)


def test_regex_python_warning_becomes_dialect_warning() -> None:
    compiled = compile_criterion(make("[[a]", "regex", "$response.body"))
    assert compiled.dialect_warning is not None and "nested set" in compiled.dialect_warning
    assert compiled.evaluate(response("[")).passed


# -- warnings and the compiled surface ----------------------------------------------------------


def test_jsonpath_dialect_warning_at_load() -> None:
    comparison = compile_criterion(make('$.status == "COMPLETED"', "jsonpath", "$response.body"))
    assert comparison.dialect_warning is not None
    assert "$[?@.status == 'X']" in comparison.dialect_warning
    root_filter = compile_criterion(make("$[?count(@.pets) > 0]", "jsonpath", "$response.body"))
    assert root_filter.dialect_warning is None  # on an object it tests the object (issue 16)
    query = compile_criterion(make("$.pets[*]", "jsonpath", "$response.body"))
    assert query.dialect_warning is None


def test_no_dialect_warning_for_plain_types() -> None:
    for criterion in (
        make("$statusCode == 200"),
        make("^2", "regex", "$statusCode"),
        make("/r", "xpath", "$response.body"),
    ):
        assert compile_criterion(criterion).dialect_warning is None


def test_expressions_read() -> None:
    simple = compile_criterion(make("$statusCode == 200 && $inputs.x", context="$response.body"))
    assert [e.source for e in simple.expressions] == ["$response.body", "$statusCode", "$inputs.x"]
    regex = compile_criterion(make("^2", "regex", "$response.header.X-Id"))
    assert [e.root for e in regex.expressions] == ["response"]


def test_evaluate_all_keeps_order() -> None:
    compiled = [
        compile_criterion(make("$statusCode == 200")),
        compile_criterion(make("^5", "regex", "$statusCode")),
        compile_criterion(make("$.id", "jsonpath", "$response.body")),
    ]
    results = evaluate_all(compiled, response({"id": 1}))
    assert [r.passed for r in results] == [True, False, True]
    assert evaluate_all([], response()) == []


def test_runtime_error_becomes_failure() -> None:
    def broken(context: ExpressionContext) -> CriterionResult:
        raise RuntimeError("boom")

    compiled = CompiledCriterion(make("x"), broken)
    result = compiled.evaluate(response())
    assert not result.passed and "boom" in result.reason


def test_extended_dispatch_table() -> None:
    def always(criterion: Criterion) -> CompiledCriterion:
        return CompiledCriterion(criterion, lambda context: CriterionResult(True))

    table = {**COMPILERS, "always": always}
    custom = make("anything", "always", "$response.body")
    assert compile_criterion(custom, table).evaluate(response()).passed
    with pytest.raises(ExpressionError):
        compile_criterion(custom)


def test_model_missing_sentinel_is_missing_too() -> None:
    from arazzo_runner._missing import MISSING as MODEL_MISSING

    compiled = compile_criterion(make("$", "jsonpath", "$inputs.doc"))
    result = compiled.evaluate(ExpressionContext(inputs={"doc": MODEL_MISSING}))
    assert not result.passed and "missing" in result.reason
