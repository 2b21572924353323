"""Spec behaviour of runtime expressions, templates and conditions, run from JSON data.

Each ``tests/vectors/{expressions,templates,conditions}.json`` file is a list of groups::

    {"kind": "expression" | "template" | "condition", "comment": "...",
     "given": <context>, "cases": [{"expression": ..., "result": ...} |
                                   {"expression": ..., "error": "syntax", "position": n}]}

``given`` maps onto :class:`ExpressionContext` like this (every key optional)::

    url -> url            method -> method           statusCode -> status_code
    request / response -> Message(headers=..., query=..., path=..., body=...)
                          (no "body" key: body is MISSING)
    inputs, outputs, steps, workflows, components -> same-named fields
    sourceDescriptions -> source_descriptions
    self -> self_uri      message -> message (a Message; Arazzo 1.1 ``$message``)
    rules -> not context: the Arazzo minor version a condition is compiled for
             (``compile_condition(text, rules)``; default ``"1.0"``)

``{"$missing": true}`` anywhere stands for ``MISSING``. Extra keys on a case: ``fields``
(expected attributes of the parsed :class:`RuntimeExpression`), ``reason`` (expected
``ConditionResult.reason``), ``gaps`` (a template's parts that resolve to nothing, as
``[expression, pointer inside the value, inside {$...}]``), ``comment``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.expressions import (
    MISSING,
    ExpressionContext,
    ExpressionError,
    Message,
    compile_condition,
    compile_value,
    parse_expression,
)

VECTORS = Path(__file__).parent / "vectors"


def _decode(value: Any) -> Any:
    if value == {"$missing": True}:
        return MISSING
    if isinstance(value, dict):
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _encode(value: Any) -> str:
    """Canonical text of a result: keeps 1 / 1.0 / true apart and shows MISSING."""

    def plain(item: Any) -> Any:
        if item is MISSING:
            return {"$missing": True}
        if isinstance(item, dict):
            return {key: plain(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [plain(inner) for inner in item]
        return item

    return json.dumps(plain(value), sort_keys=True)


def _message(given: dict[str, Any] | None) -> Message | None:
    if given is None:
        return None
    return Message(
        headers=given.get("headers", {}),
        query=given.get("query", {}),
        path=given.get("path", {}),
        body=_decode(given["body"]) if "body" in given else MISSING,
    )


def make_context(given: dict[str, Any]) -> ExpressionContext:
    return ExpressionContext(
        url=given.get("url"),
        method=given.get("method"),
        status_code=given.get("statusCode"),
        request=_message(given.get("request")),
        response=_message(given.get("response")),
        inputs=given.get("inputs", {}),
        outputs=given.get("outputs", {}),
        steps=given.get("steps", {}),
        workflows=given.get("workflows", {}),
        source_descriptions=given.get("sourceDescriptions", {}),
        components=given.get("components", {}),
        self_uri=given.get("self"),
        message=_message(given.get("message")),
    )


def _load(name: str) -> list[Any]:
    groups = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    params = []
    for number, group in enumerate(groups):
        for case in group["cases"]:
            text = json.dumps(case["expression"], ensure_ascii=False)
            ident = f"{group['kind']}{number}:{text[:60]}"
            params.append(pytest.param(group["kind"], group["given"], case, id=ident))
    return params


def _run_expression(given: dict[str, Any], case: dict[str, Any]) -> Any:
    node = parse_expression(case["expression"])
    assert node.source == case["expression"]
    for field, expected in case.get("fields", {}).items():
        assert getattr(node, field) == expected, field
    return node.evaluate(make_context(given))


def _run_template(given: dict[str, Any], case: dict[str, Any]) -> Any:
    compiled = compile_value(case["expression"])
    for expression in compiled.expressions:
        assert expression.source.startswith("$")
    value, gaps = compiled.resolve(make_context(given))
    assert _encode(value) == _encode(compiled.evaluate(make_context(given)))
    if "gaps" in case:
        found = [[g.expression.source, g.where(), g.in_template] for g in gaps]
        assert found == case["gaps"]
    return value


def _run_condition(given: dict[str, Any], case: dict[str, Any]) -> Any:
    condition = compile_condition(case["expression"], given.get("rules", "1.0"))
    result = condition.evaluate(make_context(given))
    assert condition.test(make_context(given)) is result.passed
    if "reason" in case:
        assert result.reason == case["reason"]
    return result.passed


RUNNERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "expression": _run_expression,
    "template": _run_template,
    "condition": _run_condition,
}


def check(kind: str, given: dict[str, Any], case: dict[str, Any]) -> None:
    run = RUNNERS[kind]
    if "error" in case:
        with pytest.raises(ExpressionError) as caught:
            run(given, case)
        error = caught.value
        assert error.expression is not None and error.position is not None
        assert 0 <= error.position <= len(error.expression)
        if "position" in case:
            assert error.position == case["position"], error.caret()
        return
    assert _encode(run(given, case)) == _encode(_decode(case["result"]))


@pytest.mark.parametrize(("kind", "given", "case"), _load("expressions.json"))
def test_expression_vectors(kind: str, given: dict[str, Any], case: dict[str, Any]) -> None:
    check(kind, given, case)


@pytest.mark.parametrize(("kind", "given", "case"), _load("templates.json"))
def test_template_vectors(kind: str, given: dict[str, Any], case: dict[str, Any]) -> None:
    check(kind, given, case)


@pytest.mark.parametrize(("kind", "given", "case"), _load("conditions.json"))
def test_condition_vectors(kind: str, given: dict[str, Any], case: dict[str, Any]) -> None:
    check(kind, given, case)


def test_vector_files_are_large_enough() -> None:
    files = ("expressions.json", "templates.json", "conditions.json")
    total = sum(len(_load(name)) for name in files)
    assert total >= 300
