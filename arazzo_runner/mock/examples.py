"""Example data for the mock: what a description shows, else a value built from the schema.

:func:`media_example` takes a Media Type Object's ``example``, else its first ``examples``
entry that has no ``x-arazzo-mock-when`` (those answer only the requests they match);
:func:`generate` builds a deterministic value from a JSON Schema whose ``$ref`` are
already inlined (:meth:`~arazzo_runner.document.openapi.OpenAPIIndex.resolve_schema`). The rules, in
order: ``const``, ``example``, the first of ``examples``, ``default``, the first ``enum``
value, then the (first non-null) ``type``: strings by ``format`` and length bounds, numbers by
their bounds, arrays of ``minItems`` (at least one) items, objects with their properties
(only the required ones below depth 2). ``allOf`` parts are merged, ``anyOf``/``oneOf`` take
the first branch. Depth is bounded, so recursive schemas end. ``pattern`` is not honoured.
"""

from __future__ import annotations

__all__ = ["generate", "media_example"]

from collections.abc import Callable, Mapping
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import MediaTypeSpec

_MAX_DEPTH = 8
_OPTIONAL_DEPTH = 2

_FORMATS: Mapping[str, str] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "byte": "c3RyaW5n",
    "binary": "string",
    "password": "password",
    "regex": ".*",
    "json-pointer": "/",
}


def media_example(media: MediaTypeSpec) -> Any:
    """The ``example``, else the first unconditional ``examples`` value, else MISSING."""
    if media.example is not MISSING:
        return media.example
    for example in media.examples.values():
        if isinstance(example, Mapping) and "value" in example:
            if "x-arazzo-mock-when" not in example:
                return example["value"]
    return MISSING


def generate(schema: Any, depth: int = 0) -> Any:
    """A deterministic value for ``schema`` (``$ref`` already inlined)."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return None
    for key in ("const", "example"):
        if key in schema:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if "default" in schema:
        return schema["default"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if isinstance(schema.get("allOf"), list):
        return _all_of(schema, depth)
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            return generate(branches[0], depth + 1)
    builder = _BUILDERS.get(_type_of(schema))
    return builder(schema, depth) if builder else None


def _type_of(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        named = [t for t in declared if t != "null"]
        declared = named[0] if named else "null"
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "null"


def _all_of(schema: Mapping[str, Any], depth: int) -> Any:
    merged: dict[str, Any] = {}
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    for part in [rest, *schema["allOf"]]:
        value = generate(part, depth + 1)
        if isinstance(value, dict):
            merged.update(value)
        elif value is not None and not merged:
            return value
    return merged


def _string(schema: Mapping[str, Any], depth: int) -> Any:
    text = _FORMATS.get(str(schema.get("format")), "string")
    minimum = schema.get("minLength")
    maximum = schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text + "x" * (minimum - len(text))
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return text


def _num(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _exclusive(schema: Mapping[str, Any], key: str, bound: float | None) -> float | None:
    """A JSON Schema exclusive bound as a number; OpenAPI 3.0's ``true`` means ``bound``."""
    value = schema.get(key)
    if isinstance(value, bool):
        return bound if value else None
    return _num(value)


def _number(schema: Mapping[str, Any], depth: int) -> Any:
    integer = _type_of(schema) == "integer"
    value: float = 0
    low, high = _num(schema.get("minimum")), _num(schema.get("maximum"))
    ex_low = _exclusive(schema, "exclusiveMinimum", low)
    ex_high = _exclusive(schema, "exclusiveMaximum", high)
    step = 1 if integer else 0.5
    if low is not None and value < low:
        value = low
    if ex_low is not None and value <= ex_low:
        value = ex_low + step
    if high is not None and value > high:
        value = high
    if ex_high is not None and value >= ex_high:
        value = ex_high - step
    multiple = _num(schema.get("multipleOf"))
    if multiple is not None and multiple > 0 and value % multiple:
        value = (value // multiple + 1) * multiple
    return int(value) if integer else float(value)


def _array(schema: Mapping[str, Any], depth: int) -> Any:
    count = schema.get("minItems")
    count = count if isinstance(count, int) and count > 1 else 1
    maximum = schema.get("maxItems")
    if isinstance(maximum, int):
        count = min(count, maximum)
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        return [generate(item, depth + 1) for item in prefix]
    return [generate(schema.get("items", {}), depth + 1) for _ in range(count)]


def _object(schema: Mapping[str, Any], depth: int) -> Any:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    required = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
    names = list(properties) if depth < _OPTIONAL_DEPTH else []
    names += [name for name in required if name not in names]
    return {name: generate(properties.get(name, {}), depth + 1) for name in names}


_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], int], Any]] = {
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": lambda schema, depth: True,
    "array": _array,
    "object": _object,
    "null": lambda schema, depth: None,
}
