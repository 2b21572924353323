"""Arazzo 1.1 ``in: querystring``: one parameter that is the whole query string.

The spec: the value "MUST match the parameter's ``content`` media type" (OAS 3.2). We serialize:

* a string: as written, without a leading ``?``; characters that cannot appear in a query are
  percent-encoded (``=``, ``&`` and existing ``%XX`` escapes are kept);
* an object or array of pairs with no media type, or ``application/x-www-form-urlencoded``:
  form encoding (``a=1&b=x%20y``; a list value repeats the key);
* ``application/json`` (or ``+json``): the JSON text, percent-encoded;
* any other media type: only a string value, else an error naming the type.
"""

from __future__ import annotations

__all__ = ["serialize_query_string"]

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from arazzo_runner.errors import InputError
from arazzo_runner.media import media_type

_KEEP = "=&%+,;:@/?!$'()*-._~"


def _pairs(value: Any) -> list[tuple[str, Any]] | None:
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
        return [(str(k), v) for k, v in value]
    return None


def _form(value: Any) -> str:
    pairs = _pairs(value)
    if pairs is None:
        raise InputError("querystring: a form-encoded query string needs an object of names")
    flat = [(k, _text(item)) for k, v in pairs for item in (v if isinstance(v, list) else [v])]
    return urlencode(flat)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def serialize_query_string(value: Any, media: str | None) -> str:
    """The query string (without ``?``) for ``value`` under the media type ``media``."""
    essence = media_type(media) if media else ""
    if isinstance(value, str):
        return quote(value.removeprefix("?"), safe=_KEEP)
    if essence in ("", "application/x-www-form-urlencoded"):
        return _form(value)
    if essence == "application/json" or essence.endswith("+json"):
        return quote(json.dumps(value, separators=(",", ":")), safe="")
    raise InputError(f"querystring: cannot serialize a {type(value).__name__} as {essence}")
