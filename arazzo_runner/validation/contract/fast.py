"""A quick, sound first answer to "is this value valid?" for the schemas most APIs write.

:func:`compile_fast` turns an inlined schema (no ``$ref``) into a predicate that answers True
only when the value is certainly valid under the dialect. False means "not known": the caller
then asks the full validator (:mod:`.schemas`), which decides and explains. So a predicate that
is too strict costs time, never a verdict; one that accepts an invalid value would be a bug,
and ``tests/test_contract_fast.py`` compares the two on generated schemas and values.

The subset: ``type`` (and 3.0's ``nullable``), ``properties``, ``required``,
``additionalProperties``, ``items``, ``enum``/``const`` of strings, integers, booleans and
null, the length, size and range bounds, ``allOf``/``anyOf``, and the annotation keywords. A
schema that uses anything else anywhere compiles to None (the full validator is used for it).
Values are matched by exact JSON types (``type(v) is dict``), which is what ``json.loads`` makes.
"""

from __future__ import annotations

__all__ = ["Predicate", "compile_fast"]

from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "$comment",
        "xml",
        "externalDocs",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "$defs",
        "definitions",
    }
)
_MODERN_ANNOTATIONS = frozenset({"readOnly", "writeOnly", "nullable"})  # plain keywords from 3.1
_TYPES: dict[str, tuple[type, ...]] = {  # 1.0 as an integer is left to the full validator
    "null": (type(None),),
    "boolean": (bool,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}
_OBJECT_KEYS = ("properties", "required", "additionalProperties")
_SCALARS = (str, int, bool, type(None))


class _Unsupported(Exception):
    """The schema leaves the subset: the caller uses the full validator."""


def _always(value: Any) -> bool:
    return True


FormatTest = Callable[[Any, str], bool]


def compile_fast(
    schema: Any, *, modern: bool, formats: FormatTest | None = None
) -> Predicate | None:
    """The predicate for ``schema`` (``modern``: OpenAPI 3.1/3.2, else 3.0), or None.

    ``formats(value, name)`` is the dialect's own format test (the full validator's
    ``format_checker.conforms``); without it a schema that uses ``format`` is not compiled.
    """
    try:
        return _Compiler(modern, formats).compile(schema)
    except _Unsupported:
        return None


class _Compiler:
    def __init__(self, modern: bool, formats: FormatTest | None = None) -> None:
        self.modern = modern
        self.formats = formats
        self.ignored = _ANNOTATIONS | (_MODERN_ANNOTATIONS if modern else frozenset({"nullable"}))
        self.memo: dict[int, tuple[Any, Predicate]] = {}

    def compile(self, schema: Any) -> Predicate:
        if schema is True or (isinstance(schema, dict) and not schema):
            return _always
        if not isinstance(schema, dict):
            raise _Unsupported
        known = self.memo.get(id(schema))
        if known is not None and known[0] is schema:
            return known[1]
        object_keys = {k: schema[k] for k in _OBJECT_KEYS if k in schema}
        checks = [
            self.keyword(key, value, schema)
            for key, value in schema.items()
            if key not in object_keys and key != "type"
        ]
        if object_keys:
            checks.insert(0, self.object_(object_keys, schema))
        allowed = self.types(schema["type"], schema) if "type" in schema else None
        predicate = _fused(allowed, [c for c in checks if c is not None])
        self.memo[id(schema)] = (schema, predicate)
        return predicate

    def keyword(self, key: str, value: Any, schema: Mapping[str, Any]) -> Predicate | None:
        if key in self.ignored or key.startswith("x-"):
            return None
        build = _KEYWORDS.get(key)
        if build is None:
            raise _Unsupported
        return build(self, value, schema)

    # -- keywords ------------------------------------------------------------------------------

    def types(self, value: Any, schema: Mapping[str, Any]) -> frozenset[type]:
        names = value if self.modern and isinstance(value, list) else [value]
        if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
            raise _Unsupported
        if not self.modern and "null" in names:
            raise _Unsupported  # not a 3.0 type name
        if not self.modern and schema.get("nullable") is True:
            names = [*names, "null"]
        return frozenset(t for n in names for t in _TYPES[n])

    def object_(self, keys: Mapping[str, Any], schema: Mapping[str, Any]) -> Predicate:
        """``properties``, ``required`` and ``additionalProperties`` in one pass over a dict."""
        declared = keys.get("properties", {})
        if not isinstance(declared, dict) or "patternProperties" in schema:
            raise _Unsupported
        props = {
            name: ok
            for name, ok in ((n, self.compile(sub)) for n, sub in declared.items())
            if ok is not _always
        }
        pairs = tuple(props.items())
        find = props.get
        required = keys.get("required", [])
        if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
            raise _Unsupported
        names = tuple(required)
        extra = self.additional(keys.get("additionalProperties", True), frozenset(declared))

        def check(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for name in names:
                if name not in v:
                    return False
            if len(v) < len(pairs):  # walk the smaller side: a few members, many declared
                for name, item in v.items():
                    ok = find(name)
                    if ok is not None and not ok(item):
                        return False
            else:
                for name, ok in pairs:
                    if name in v and not ok(v[name]):
                        return False
            return extra is None or extra(v)

        return check

    def additional(self, value: Any, names: frozenset[str]) -> Predicate | None:
        if value is False:
            return names.issuperset
        ok = self.compile(value)
        if ok is _always:
            return None
        return lambda v: all(ok(item) for key, item in v.items() if key not in names)

    def items(self, value: Any, schema: Mapping[str, Any]) -> Predicate | None:
        if "prefixItems" in schema or isinstance(value, list):
            raise _Unsupported
        ok = self.compile(value)
        if ok is _always:
            return None
        return lambda v: type(v) is not list or all(ok(item) for item in v)

    def enum(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if not isinstance(value, list) or not all(type(x) in _SCALARS for x in value):
            raise _Unsupported
        allowed = frozenset((type(x), x) for x in value)
        return lambda v: type(v) in _SCALARS and (type(v), v) in allowed

    def const(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        return self.enum([value], schema)

    def dependent_required(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if not self.modern or not isinstance(value, dict):
            raise _Unsupported
        pairs = tuple((key, tuple(names)) for key, names in value.items())
        if not all(
            isinstance(n, list) and all(isinstance(x, str) for x in n) for n in value.values()
        ):
            raise _Unsupported

        def check(v: Any) -> bool:
            if type(v) is dict:
                for key, names in pairs:
                    if key in v:
                        for name in names:
                            if name not in v:
                                return False
            return True

        return check

    def format_(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        test = self.formats
        if test is None or not isinstance(value, str):
            raise _Unsupported
        return lambda v: test(v, value)

    def any_of(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if "discriminator" in schema or not isinstance(value, list) or not value:
            raise _Unsupported
        options = tuple(self.compile(sub) for sub in value)
        return lambda v: any(ok(v) for ok in options)

    def all_of(self, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if "discriminator" in schema or not isinstance(value, list) or not value:
            raise _Unsupported
        return _all([self.compile(sub) for sub in value])

    def bound(self, key: str, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if type(value) not in (int, float) or isinstance(value, bool):
            raise _Unsupported
        kind, measure, compare = _BOUNDS[key]
        if key in ("minimum", "maximum") and not self.modern and schema.get(_EXCLUSIVE[key]):
            compare = _STRICT[key]
        return lambda v: not kind(v) or compare(measure(v), value)

    def exclusive(self, key: str, value: Any, schema: Mapping[str, Any]) -> Predicate | None:
        if not self.modern:  # 3.0: a boolean read by minimum/maximum
            if not isinstance(value, bool) or (value and _PAIRED[key] not in schema):
                raise _Unsupported
            return None
        if type(value) not in (int, float) or isinstance(value, bool):
            raise _Unsupported
        compare = _STRICT[_PAIRED[key]]
        return lambda v: not _is_number(v) or compare(v, value)


def _fused(allowed: frozenset[type] | None, checks: list[Predicate]) -> Predicate:
    """The type test first (one set lookup), then the other checks."""
    if allowed is None:
        return _all(checks)
    if not checks:
        return lambda v: type(v) in allowed
    rest = _all(checks)
    return lambda v: type(v) in allowed and rest(v)


def _all(checks: list[Predicate]) -> Predicate:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    group = tuple(checks)

    def every(v: Any) -> bool:
        for ok in group:
            if not ok(v):
                return False
        return True

    return every


def _is_number(v: Any) -> bool:
    return type(v) is int or type(v) is float


def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_list(v: Any) -> bool:
    return type(v) is list


def _is_dict(v: Any) -> bool:
    return type(v) is dict


def _same(v: Any) -> Any:
    return v


def _ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


_BOUNDS: dict[str, tuple[Predicate, Callable[[Any], Any], Callable[[Any, Any], bool]]] = {
    "minLength": (_is_str, len, _ge),
    "maxLength": (_is_str, len, _le),
    "minItems": (_is_list, len, _ge),
    "maxItems": (_is_list, len, _le),
    "minProperties": (_is_dict, len, _ge),
    "maxProperties": (_is_dict, len, _le),
    "minimum": (_is_number, _same, _ge),
    "maximum": (_is_number, _same, _le),
}
_STRICT = {"minimum": _gt, "maximum": _lt}
_EXCLUSIVE = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}
_PAIRED = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}

Builder = Callable[[_Compiler, Any, Mapping[str, Any]], "Predicate | None"]
_KEYWORDS: dict[str, Builder] = {
    "items": _Compiler.items,
    "enum": _Compiler.enum,
    "const": _Compiler.const,
    "anyOf": _Compiler.any_of,
    "dependentRequired": _Compiler.dependent_required,
    "format": _Compiler.format_,
    "allOf": _Compiler.all_of,
    **{
        key: (lambda c, v, s, key=key: c.bound(key, v, s))  # type: ignore[misc]
        for key in _BOUNDS
    },
    **{
        key: (lambda c, v, s, key=key: c.exclusive(key, v, s))  # type: ignore[misc]
        for key in _PAIRED
    },
}
