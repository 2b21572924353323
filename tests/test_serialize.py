"""Parameter serialization: the OpenAPI style table and edge cases as data, plus the API."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest

from arazzo_runner.errors import InputError
from arazzo_runner.wire.serialize import (
    SERIALIZERS,
    scalar_text,
    serialize_cookie_param,
    serialize_header_param,
    serialize_parameter,
    serialize_path_param,
    serialize_query_param,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "serialize.json").read_text("utf-8"))


def _table_cases() -> list[Any]:
    cases = []
    for row in VECTORS["table"]:
        param = {"name": "color", "in": row["in"], "style": row["style"], "explode": row["explode"]}
        for kind, expected in row["expect"].items():
            case_id = f"{row['in']}-{row['style']}-{'explode' if row['explode'] else 'flat'}-{kind}"
            cases.append(pytest.param(param, VECTORS["values"][kind], expected, id=case_id))
    return cases


def _extra_cases() -> list[Any]:
    cases = []
    for case in VECTORS["cases"]:
        expected = {"error": case["error"]} if "error" in case else case["result"]
        cases.append(pytest.param(case["param"], case["value"], expected, id=case["id"]))
    return cases


def _render(location: str, pairs: list[tuple[str, str]]) -> str | None:
    if not pairs:
        return None
    if location in ("path", "header"):
        assert len(pairs) == 1
        return pairs[0][1]
    joiner = "&" if location == "query" else "; "
    return joiner.join(f"{k}={v}" for k, v in pairs)


@pytest.mark.parametrize(("param", "value", "expected"), _table_cases() + _extra_cases())
def test_vectors(param: dict[str, Any], value: Any, expected: Any) -> None:
    if isinstance(expected, dict):
        with pytest.raises(InputError, match=expected["error"]):
            serialize_parameter(param, value)
        return
    assert _render(param["in"], serialize_parameter(param, value)) == expected


def test_table_covers_every_style_of_every_location() -> None:
    seen = {(row["in"], row["style"], row["explode"]) for row in VECTORS["table"]}
    styles = {
        "path": ["simple", "label", "matrix"],
        "query": ["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        "header": ["simple"],
        "cookie": ["form"],
    }
    wanted = {(loc, s, e) for loc, names in styles.items() for s in names for e in (False, True)}
    assert wanted <= seen
    assert set(SERIALIZERS) == set(styles)


@pytest.mark.parametrize("value", ["a b&c=d", "ü/+%", "x,y"])
def test_query_round_trips_through_a_form_parser(value: str) -> None:
    pairs = serialize_query_param("q", [value, "2"])
    query = "&".join(f"{k}={v}" for k, v in pairs)
    assert parse_qsl(query) == [("q", value), ("q", "2")]


def test_path_round_trips_through_percent_decoding() -> None:
    value = "a/b c?d#e%f"
    assert unquote(serialize_path_param("p", value)) == value


def test_defaults_follow_the_location() -> None:
    assert serialize_parameter({"name": "a", "in": "query"}, [1, 2]) == [("a", "1"), ("a", "2")]
    assert serialize_parameter({"name": "a", "in": "path"}, [1, 2]) == [("a", "1,2")]
    assert serialize_parameter({"name": "a", "in": "header"}, [1, 2]) == [("a", "1,2")]
    assert serialize_parameter({"name": "a", "in": "cookie"}, [1, 2]) == [("a", "1"), ("a", "2")]


def test_public_functions_agree_with_dispatch() -> None:
    assert serialize_header_param("X", {"a": 1}, explode=True) == "a=1"
    assert serialize_header_param("X", None) is None
    assert serialize_cookie_param("c", [1, 2]) == "c=1; c=2"
    assert serialize_cookie_param("c", [1, 2], explode=False) == "c=1,2"
    assert serialize_cookie_param("c", []) is None
    assert serialize_query_param("q", None) == []
    assert serialize_path_param("p", {"k": "v"}, style="matrix", explode=True) == ";k=v"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(InputError, match="no JSON text"):
        serialize_query_param("n", bad)


def test_unserializable_value_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot serialize"):
        scalar_text({1, 2})


def test_header_nul_refused() -> None:
    with pytest.raises(InputError, match="header injection"):
        serialize_header_param("X", ["ok", "bad\x00"])


def test_path_none_names_the_parameter() -> None:
    with pytest.raises(InputError, match="'itemId'"):
        serialize_parameter({"name": "itemId", "in": "path"}, None)
