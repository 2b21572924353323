"""OpenAPI parameter serialization: evaluated values to wire text, by ``style`` and ``explode``.

Pure functions; they know nothing of Arazzo documents. The executor evaluates a step's
parameter values, finds the OpenAPI Parameter Object (a plain mapping), and calls
:func:`serialize_parameter`, which dispatches on ``in`` through :data:`SERIALIZERS`.

The styles follow the OpenAPI style table (3.1.1/3.2 wording, which matches RFC 6570):

========  ==============================================  ===========================
location  styles                                          default
========  ==============================================  ===========================
path      simple, label, matrix                           simple, explode false
query     form, spaceDelimited, pipeDelimited, deepObject form, explode true
header    simple                                          simple, explode false
cookie    form                                            form, explode true
========  ==============================================  ===========================

Decisions where the specifications are silent or say *n/a*:

* **Scalars** render as JSON text: ``true``/``false``, ``null`` inside a collection, numbers
  as their shortest text, and an integral float without a fraction (``1.0`` -> ``1``) because
  JSON does not tell the two apart and YAML or arithmetic often yields floats. NaN and
  infinities raise :class:`~arazzo_runner.errors.InputError`.
* **Nested values** (an array inside an array, an object inside an object) render as compact
  JSON text, except ``deepObject``, which nests brackets (``f[a][b]=1``).
* **Undefined** means ``None``, an empty array or an empty object (RFC 6570 section 2.3): the
  parameter is left out (query, header, cookie). A path parameter cannot be left out, so
  ``None`` raises ``InputError``; an empty collection expands to the bare prefix-less text.
  The empty *string* is defined: ``;color``, ``.``, ``color=``.
* ``spaceDelimited`` / ``pipeDelimited`` with ``explode: true`` and with a primitive behave
  like ``form``. ``deepObject`` ignores ``explode`` and needs an object.
* **Percent-encoding** happens here, not in the URL builder, because only the serializer
  knows which ``,``, ``;`` or ``=`` are delimiters and which are data. Data is encoded outside
  RFC 3986 *unreserved*. Query ``allowReserved`` keeps reserved characters (and existing
  ``%XX`` triples) except those that would break a query string: ``# [ ] & = +``.
  A path parameter with ``allowReserved: true`` or ``x-allowReserved: true`` (an extension:
  OpenAPI defines ``allowReserved`` only for queries) keeps ``/`` and the other path-safe
  reserved characters, so ``fal-ai/flux/schnell`` fills ``/{model_name}`` as three segments.
* **Headers** are never percent-encoded (OpenAPI says so); a CR, LF or NUL raises
  ``InputError`` instead of allowing header injection.
* **Cookies** use ``form``; exploded pairs are joined with ``"; "`` (a ``Cookie`` header has
  no ``&``). Values are percent-encoded like query data, so they are valid cookie-octets.
* A parameter declared with ``content`` instead of ``schema`` is sent as one primitive: a
  string as-is, anything else as compact JSON text.
"""

from __future__ import annotations

__all__ = [
    "SERIALIZERS",
    "scalar_text",
    "serialize_cookie_param",
    "serialize_header_param",
    "serialize_parameter",
    "serialize_path_param",
    "serialize_query_param",
]

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from arazzo_runner.errors import InputError

Pairs = list[tuple[str, str]]
Serializer = Callable[[Mapping[str, Any], Any], Pairs]

_PATH_RESERVED_SAFE = "/!$&'()*+,;=:@"
_QUERY_RESERVED_SAFE = "/!$'()*,;:?@"
_TRIPLE = re.compile(r"(%[0-9A-Fa-f]{2})")
_HEADER_FORBIDDEN = re.compile(r"[\r\n\x00]")


def scalar_text(value: Any) -> str:
    """The text of one value: JSON text for everything but strings (see module docstring)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"cannot serialize the number {value!r}: it has no JSON text")
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cannot serialize a {type(value).__name__} value: {exc}") from exc


def _encoder(safe: str) -> Callable[[str], str]:
    """A percent-encoder keeping ``safe``; with reserved characters, keep ``%XX`` triples too."""
    if not safe:
        return lambda text: quote(text, safe="")

    def encode(text: str) -> str:
        parts = _TRIPLE.split(text)  # odd indices hold the %XX triples, kept as they are
        return "".join(p if i % 2 else quote(p, safe=safe) for i, p in enumerate(parts))

    return encode


_STRICT = _encoder("")
_PATH_RESERVED = _encoder(_PATH_RESERVED_SAFE)
_QUERY_RESERVED = _encoder(_QUERY_RESERVED_SAFE)


def _undefined(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple, dict)) and not value)


def _items(value: Any) -> list[str] | None:
    """Array members as text, or None when ``value`` is not an array."""
    if isinstance(value, (list, tuple)):
        return [scalar_text(v) for v in value]
    return None


def _members(value: Any) -> list[tuple[str, str]] | None:
    """Object members as text pairs, or None when ``value`` is not an object."""
    if isinstance(value, Mapping):
        return [(str(k), scalar_text(v)) for k, v in value.items()]
    return None


def _flat(value: Any, enc: Callable[[str], str]) -> list[str]:
    """Encoded tokens ``[v1, v2]`` or ``[k1, v1, k2, v2]`` (non-exploded lists)."""
    members = _members(value)
    if members is not None:
        return [enc(t) for pair in members for t in pair]
    items = _items(value)
    if items is not None:
        return [enc(t) for t in items]
    return [enc(scalar_text(value))]


def _exploded(ename: str, value: Any, enc: Callable[[str], str]) -> list[tuple[str, str]]:
    """Encoded ``(key, value)`` pairs of an exploded value: object members or the repeated
    (already encoded) name ``ename``."""
    members = _members(value)
    if members is not None:
        return [(enc(k), enc(v)) for k, v in members]
    items = _items(value)
    if items is not None:
        return [(ename, enc(t)) for t in items]
    return [(ename, enc(scalar_text(value)))]


# --- path -----------------------------------------------------------------------------------
# Style functions receive the parameter name already percent-encoded; `enc` encodes data.


def _path_simple(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> str:
    if explode and isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in _exploded(name, value, enc))
    return ",".join(_flat(value, enc))


def _path_label(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> str:
    if not explode or not isinstance(value, (Mapping, list, tuple)):
        return "." + ",".join(_flat(value, enc))
    if isinstance(value, Mapping):
        return "".join(f".{k}={v}" for k, v in _exploded(name, value, enc))
    return "".join("." + t for t in _flat(value, enc))


def _path_matrix(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> str:
    if not explode or not isinstance(value, (Mapping, list, tuple)):
        text = ",".join(_flat(value, enc))
        return f";{name}" if text == "" else f";{name}={text}"
    return "".join(f";{k}={v}" for k, v in _exploded(name, value, enc))


_PATH_STYLES = {"simple": _path_simple, "label": _path_label, "matrix": _path_matrix}


def serialize_path_param(
    name: str,
    value: Any,
    *,
    style: str = "simple",
    explode: bool = False,
    allow_reserved: bool = False,
) -> str:
    """The percent-encoded text that replaces ``{name}`` in a path template."""
    if value is None:
        raise InputError(
            f"path parameter {name!r} has no value", hint="path parameters are required"
        )
    style_fn = _PATH_STYLES.get(style)
    if style_fn is None:
        raise InputError(f"path parameter {name!r}: unsupported style {style!r}")
    if isinstance(value, (list, tuple, dict)) and not value:
        return ""
    enc = _PATH_RESERVED if allow_reserved else _STRICT
    return style_fn(_STRICT(name), value, explode, enc)


# --- query ----------------------------------------------------------------------------------


def _query_form(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> Pairs:
    if explode:
        return _exploded(name, value, enc)
    return [(name, ",".join(_flat(value, enc)))]


def _delimited(delimiter: str) -> Callable[[str, Any, bool, Callable[[str], str]], Pairs]:
    def style(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> Pairs:
        if explode or not isinstance(value, (Mapping, list, tuple)):
            return _query_form(name, value, explode, enc)
        return [(name, delimiter.join(_flat(value, enc)))]

    return style


def _deep_pairs(prefix: str, value: Mapping[Any, Any], enc: Callable[[str], str]) -> Pairs:
    pairs: Pairs = []
    for key, member in value.items():
        path = f"{prefix}%5B{enc(str(key))}%5D"
        if isinstance(member, Mapping):
            pairs.extend(_deep_pairs(path, member, enc))
        else:
            pairs.append((path, enc(scalar_text(member))))
    return pairs


def _query_deep_object(name: str, value: Any, explode: bool, enc: Callable[[str], str]) -> Pairs:
    if not isinstance(value, Mapping):
        raise InputError(
            f"query parameter {name!r}: deepObject needs an object, got {type(value).__name__}"
        )
    return _deep_pairs(name, value, enc)


_QUERY_STYLES = {
    "form": _query_form,
    "spaceDelimited": _delimited("%20"),
    "pipeDelimited": _delimited("%7C"),
    "deepObject": _query_deep_object,
}


def serialize_query_param(
    name: str,
    value: Any,
    *,
    style: str = "form",
    explode: bool = True,
    allow_reserved: bool = False,
) -> Pairs:
    """Percent-encoded ``(name, value)`` pairs; :func:`arazzo_runner.wire.urls.join_url` joins them.

    The pairs are already encoded because delimiters (``,`` ``%20`` ``%7C``) must stay apart from
    data. An undefined value (``None``, ``[]``, ``{}``) yields no pairs.
    """
    style_fn = _QUERY_STYLES.get(style)
    if style_fn is None:
        raise InputError(f"query parameter {name!r}: unsupported style {style!r}")
    if _undefined(value):
        return []
    enc = _QUERY_RESERVED if allow_reserved else _STRICT
    return style_fn(_STRICT(name), value, explode, enc)


# --- header and cookie ----------------------------------------------------------------------


def _raw(text: str) -> str:
    return text


def serialize_header_param(name: str, value: Any, *, explode: bool = False) -> str | None:
    """The header value (``simple`` style, never percent-encoded), or None to leave it out."""
    if _undefined(value):
        return None
    text = _path_simple(name, value, explode, _raw)
    if _HEADER_FORBIDDEN.search(text):
        raise InputError(
            f"header parameter {name!r} contains CR, LF or NUL", hint="header injection refused"
        )
    return text


def _cookie_pairs(name: str, value: Any, explode: bool) -> Pairs:
    if _undefined(value):
        return []
    return _query_form(_STRICT(name), value, explode, _STRICT)


def serialize_cookie_param(name: str, value: Any, *, explode: bool = True) -> str | None:
    """``name=value`` cookie text (several joined by ``"; "``), or None to leave it out."""
    pairs = _cookie_pairs(name, value, explode)
    return "; ".join(f"{k}={v}" for k, v in pairs) if pairs else None


# --- dispatch by location -------------------------------------------------------------------


def _explode(definition: Mapping[str, Any], style: str) -> bool:
    explode = definition.get("explode")
    return style == "form" if explode is None else bool(explode)


def _path(definition: Mapping[str, Any], value: Any) -> Pairs:
    name = str(definition["name"])
    style = str(definition.get("style", "simple"))
    reserved = bool(definition.get("allowReserved") or definition.get("x-allowReserved"))
    text = serialize_path_param(
        name, value, style=style, explode=_explode(definition, style), allow_reserved=reserved
    )
    return [(name, text)]


def _query(definition: Mapping[str, Any], value: Any) -> Pairs:
    style = str(definition.get("style", "form"))
    return serialize_query_param(
        str(definition["name"]),
        value,
        style=style,
        explode=_explode(definition, style),
        allow_reserved=bool(definition.get("allowReserved")),
    )


def _header(definition: Mapping[str, Any], value: Any) -> Pairs:
    name = str(definition["name"])
    text = serialize_header_param(name, value, explode=bool(definition.get("explode", False)))
    return [] if text is None else [(name, text)]


def _cookie(definition: Mapping[str, Any], value: Any) -> Pairs:
    return _cookie_pairs(str(definition["name"]), value, bool(definition.get("explode", True)))


SERIALIZERS: Mapping[str, Serializer] = {
    "path": _path,
    "query": _query,
    "header": _header,
    "cookie": _cookie,
}
"""Location -> ``(parameter definition, value) -> pairs``.

The pairs mean: path ``[(name, encoded segment text)]``; query encoded ``(name, value)``
pairs; header ``[(name, value)]``; cookie encoded ``(name, value)`` pairs, to be joined with
``"; "`` into one ``Cookie`` header. An empty list means "leave the parameter out".
"""


def serialize_parameter(definition: Mapping[str, Any], value: Any) -> Pairs:
    """Serialize ``value`` for the OpenAPI Parameter Object ``definition`` (see SERIALIZERS)."""
    location = definition.get("in")
    serializer = SERIALIZERS.get(str(location))
    if serializer is None:
        raise InputError(f"parameter {definition.get('name')!r}: unknown location {location!r}")
    if "content" in definition and value is not None:
        value = scalar_text(value)
    return serializer(definition, value)
