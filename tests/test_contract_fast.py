"""The fast path of the schema check never accepts what the full validator rejects.

Schemas are drawn from the subset :mod:`arazzo_runner.validation.contract.fast` compiles, values
from JSON; for each pair, a True from the fast predicate must be a valid verdict from the
dialect's own validator (openapi-schema-validator's OAS 3.0 read/write and 3.1 classes).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, OAS31Validator

from arazzo_runner.validation.contract.fast import compile_fast

NAMES = st.sampled_from(["a", "b", "id", "price"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False),
    st.sampled_from(["", "x", "abc", "2026-12-04T10:00:00Z", "not-a-date"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=8,
)
TYPES = st.sampled_from(["string", "integer", "number", "boolean", "array", "object"])


def _leaf(modern: bool) -> st.SearchStrategy[dict[str, Any]]:
    type_ = (
        st.one_of(TYPES, st.lists(st.sampled_from(["string", "integer", "null"]), min_size=1))
        if modern
        else TYPES
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "type": type_,
            "nullable": st.booleans(),
            "enum": st.lists(SCALARS.filter(lambda x: type(x) is not float), min_size=1),
            "minLength": st.integers(0, 3),
            "maxLength": st.integers(0, 3),
            "minimum": st.integers(-3, 3),
            "maximum": st.integers(-3, 3),
            "minItems": st.integers(0, 2),
            "format": st.sampled_from(["date-time", "int32", "email"]),
            "description": st.just("annotation"),
        },
    )


def _schemas(modern: bool) -> st.SearchStrategy[Any]:
    return st.recursive(
        _leaf(modern),
        lambda inner: st.one_of(
            st.fixed_dictionaries(
                {"type": st.just("object")},
                optional={
                    "properties": st.dictionaries(NAMES, inner, max_size=3),
                    "required": st.lists(NAMES, max_size=2, unique=True),
                    "additionalProperties": st.one_of(st.booleans(), inner),
                },
            ),
            st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
            st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
            st.fixed_dictionaries({"allOf": st.lists(inner, min_size=1, max_size=2)}),
        ),
        max_leaves=6,
    )


def _checker(cls: Any) -> Any:
    return lambda value, name: cls.FORMAT_CHECKER.conforms(value, name)


CASES = [
    ("3.0-read", OAS30ReadValidator, False),
    ("3.0-write", OAS30WriteValidator, False),
    ("3.1", OAS31Validator, True),
]


@pytest.mark.parametrize(("name", "cls", "modern"), CASES, ids=[c[0] for c in CASES])
def test_fast_true_means_valid(name: str, cls: Any, modern: bool) -> None:
    accepted = []

    @settings(max_examples=300, deadline=None)
    @given(schema=_schemas(modern), value=VALUES)
    def check(schema: Any, value: Any) -> None:
        fast = compile_fast(schema, modern=modern, formats=_checker(cls))
        assert fast is not None, schema  # everything drawn is in the subset
        if fast(value):
            accepted.append(value)
            validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
            assert validator.is_valid(value), (schema, value)

    check()
    assert accepted  # the predicate is not vacuous


@pytest.mark.parametrize(
    ("schema", "modern"),
    [
        ({"oneOf": [{"type": "string"}]}, True),
        ({"pattern": "^a"}, True),
        ({"type": "string", "readOnly": True}, False),
        ({"type": "null"}, False),
        ({"$ref": "#/x"}, True),
        ({"format": "uuid"}, True),  # no format test given
    ],
)
def test_outside_the_subset_is_not_compiled(schema: Any, modern: bool) -> None:
    formats = None if "format" in schema else _checker(OAS31Validator)
    assert compile_fast(schema, modern=modern, formats=formats) is None


def test_typical_event_data_is_answered_quickly() -> None:
    schema = {
        "type": "object",
        "required": ["output", "partial"],
        "properties": {
            "output": {"type": "string"},
            "partial": {"type": "boolean"},
            "error": {"type": ["string", "null"]},
        },
    }
    fast = compile_fast(schema, modern=True)
    assert fast is not None
    assert fast({"output": "The sky", "partial": True, "error": None})
    assert not fast({"output": "The sky", "partial": "yes"})
    assert not fast({"partial": True})
