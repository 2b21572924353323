"""Request parameters back to values, by ``style`` and ``explode``: serialization in reverse.

The mock validates what a client sent, so it must read each parameter the way
:mod:`arazzo_runner.wire.serialize` writes it (the OpenAPI style table): ``simple``
(``a,b`` / ``k=v,k2=v2`` / ``k,v,k2,v2``), ``label`` (``.a.b``), ``matrix`` (``;id=a;id=b``),
``form`` (repeated keys, or an object's properties as keys when exploded),
``spaceDelimited``, ``pipeDelimited`` and ``deepObject`` (``f[k]=v``). A parameter described
with ``content`` is JSON text. Leaves are converted to the schema's type (``"7"`` -> 7).

:func:`read_parameter` returns MISSING when the request does not carry the parameter and
raises ``ValueError`` when the text cannot be the ``kind`` asked for; the caller tries each
type a schema allows (``type: [string, array]``) and keeps the first that validates.
"""

from __future__ import annotations

__all__ = ["kinds_of", "read_parameter"]

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import ParameterSpec

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Raw:
    """What a request carries for one parameter, before any style is undone."""

    texts: Sequence[str]  # every value given under the parameter's own name
    items: Sequence[tuple[str, str]]  # every query pair (for exploded objects, deepObject)


def kinds_of(schema: Mapping[str, Any]) -> list[str | None]:
    """The JSON types a parameter may be read as, most likely first (None: untyped)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        named = [t for t in declared if isinstance(t, str) and t != "null"]
        return list(named) or [None]
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return [None]


def convert(text: str, kind: Any) -> Any:
    """One leaf's text as ``kind``; ``ValueError`` when it cannot be."""
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    if kind == "null":
        if text not in ("", "null"):
            raise ValueError(text)
        return None
    return text


def _pairs(flat: Sequence[str]) -> Pairs:
    if len(flat) % 2:
        raise ValueError("an object needs name,value pairs")
    return list(zip(flat[::2], flat[1::2], strict=True))


def _assigned(parts: Sequence[str]) -> Pairs:
    found = []
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not name=value")
        found.append((name, value))
    return found


def _collection(flat: Sequence[str], kind: str | None, explode: bool) -> Any:
    """Split text as an array (a list) or an object (pairs); a scalar stays one text."""
    if kind == "array":
        return list(flat)
    if kind == "object":
        return _assigned(flat) if explode else _pairs(flat)
    return ",".join(flat)


def _simple(text: str, name: str, kind: str | None, explode: bool) -> Any:
    return _collection(text.split(","), kind, explode) if kind in ("array", "object") else text


def _label(text: str, name: str, kind: str | None, explode: bool) -> Any:
    if not text.startswith("."):
        raise ValueError("a label-style value starts with '.'")
    rest = text[1:]
    if kind not in ("array", "object"):
        return rest
    return _collection(rest.split("." if explode else ","), kind, explode)


def _matrix(text: str, name: str, kind: str | None, explode: bool) -> Any:
    if not text.startswith(";"):
        raise ValueError("a matrix-style value starts with ';'")
    segments = text[1:].split(";")
    if kind == "object" and explode:
        return _assigned(segments)
    values = [value for key, value in (_assigned_or_bare(s) for s in segments) if key == name]
    if not values:
        raise ValueError(f"no ;{name}= in the value")
    if kind == "array" and explode:
        return values
    return _simple(values[0], name, kind, explode=False)


def _assigned_or_bare(segment: str) -> tuple[str, str]:
    key, _, value = segment.partition("=")
    return key, value


_PATH_STYLES: Mapping[str, Callable[[str, str, str | None, bool], Any]] = {
    "simple": _simple,
    "label": _label,
    "matrix": _matrix,
}


def _inside(key: str, prefix: str) -> bool:
    return key.startswith(prefix) and key.endswith("]")


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def _query(spec: ParameterSpec, raw: Raw, kind: str | None, schema: Mapping[str, Any]) -> Any:
    if spec.style == "deepObject":
        prefix = spec.name + "["
        found = [
            (k[len(prefix) : -1], v) for k, v in raw.items if k.startswith(prefix) and k[-1:] == "]"
        ]
        return found or MISSING
    if kind == "object" and spec.explode:
        properties = schema.get("properties")
        names = set(properties) if isinstance(properties, Mapping) else set()
        return [(k, v) for k, v in raw.items if k in names] or MISSING
    if not raw.texts:
        return MISSING
    if kind == "array" and spec.explode:
        return list(raw.texts)
    if kind in ("array", "object"):
        delimiter = _DELIMITERS.get(spec.style, ",")
        return _collection(raw.texts[0].split(delimiter), kind, explode=False)
    return raw.texts[0]


def _split(spec: ParameterSpec, raw: Raw, kind: str | None, schema: Mapping[str, Any]) -> Any:
    if spec.in_ == "query":
        return _query(spec, raw, kind, schema)
    if not raw.texts:
        return MISSING
    text = raw.texts[0]
    if spec.in_ == "path":
        return _PATH_STYLES.get(spec.style, _simple)(text, spec.name, kind, spec.explode)
    return _simple(text, spec.name, kind, spec.explode and spec.in_ == "header")


def _typed(shape: Any, kind: str | None, schema: Mapping[str, Any]) -> Any:
    if kind == "array":
        items = schema.get("items")
        item_kind = kinds_of(items)[0] if isinstance(items, Mapping) else None
        return [convert(text, item_kind) for text in shape]
    if kind == "object":
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        result = {}
        for key, text in shape:
            prop = properties.get(key)
            result[key] = convert(text, kinds_of(prop)[0] if isinstance(prop, Mapping) else None)
        return result
    return convert(shape, kind)


def read_parameter(
    spec: ParameterSpec, schema: Mapping[str, Any], raw: Raw, kind: str | None
) -> Any:
    """The parameter's value read as ``kind``; MISSING when absent; ``ValueError`` if it can't."""
    if spec.content:
        if not raw.texts:
            return MISSING
        return json.loads(raw.texts[0])
    shape = _split(spec, raw, kind, schema)
    return MISSING if shape is MISSING else _typed(shape, kind, schema)
