"""Path templates, server URLs and the final request URL.

* :func:`compile_path` turns an OpenAPI path template (``/items/{itemId}``) into a
  :class:`PathTemplate` once; ``.format`` fills it with already-encoded segments (from
  :func:`arazzo_runner.wire.serialize.serialize_parameter`) and ``.match`` reads values back (for a
  mock server). A missing value raises :class:`~arazzo_runner.errors.InputError` naming the
  parameter; the result never contains ``/None/``.
* :func:`server_url` fills a Server Object's variables (defaults, overrides, ``enum``) and
  resolves a relative server URL against the OpenAPI document's URL with
  :func:`urllib.parse.urljoin` semantics. Variable values are inserted as given (a server
  variable is often a base path such as ``v2`` or ``api/v2``). The trailing ``/`` is removed so
  that joining a path never doubles it. A relative URL with no ``base`` is returned relative.
* :func:`join_url` appends a filled path and the encoded query pairs.

Path values that contain ``/``: OpenAPI forbids an unescaped ``/`` in a path parameter, so by
default it is sent as ``%2F``. Some APIs (fal: ``/{model_name}`` with ``fal-ai/flux/schnell``)
route on the raw slashes; their description marks the parameter ``x-allowReserved: true``
(or ``allowReserved: true``, which OpenAPI defines only for queries) and the serializer then
keeps ``/``, giving ``https://queue.fal.run/fal-ai/flux/schnell``.
"""

from __future__ import annotations

__all__ = ["PathTemplate", "compile_path", "join_url", "server_url"]

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from arazzo_runner.errors import DocumentError, InputError

_PARAM = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class PathTemplate:
    """A compiled path template: literal pieces alternating with parameter names."""

    template: str
    literals: tuple[str, ...]
    params: tuple[str, ...]
    regex: re.Pattern[str]

    def format(self, values: Mapping[str, str]) -> str:
        """The path with each ``{name}`` replaced by ``values[name]`` (already encoded)."""
        out = [self.literals[0]]
        for name, literal in zip(self.params, self.literals[1:], strict=True):
            value = values.get(name)
            if value is None:
                raise InputError(
                    f"path parameter {name!r} has no value for {self.template}",
                    hint="give the step a parameter with in: path",
                )
            out.append(value)
            out.append(literal)
        return "".join(out)

    def match(self, path: str) -> dict[str, str] | None:
        """The (still encoded) parameter values when ``path`` fits the template, else None."""
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        return dict(zip(self.params, found.groups(), strict=True))


@lru_cache(maxsize=1024)
def compile_path(template: str) -> PathTemplate:
    """Compile an OpenAPI path template; cached, so calling it per request is cheap."""
    pieces = _PARAM.split(template)
    literals = tuple(pieces[0::2])
    params = tuple(pieces[1::2])
    stray = next((lit for lit in literals if "{" in lit or "}" in lit), None)
    if stray is not None or any(not name for name in params):
        raise DocumentError(f"malformed path template {template!r}", hint="unbalanced or empty {}")
    if len(set(params)) != len(params):
        raise DocumentError(f"path template {template!r} repeats a parameter name")
    pattern = "".join(
        re.escape(lit) + ("([^/]+)" if i < len(params) else "") for i, lit in enumerate(literals)
    )
    return PathTemplate(template, literals, params, re.compile(pattern))


def _variable(name: str, definitions: Mapping[str, Any], given: Mapping[str, str]) -> str:
    definition = definitions.get(name)
    if not isinstance(definition, Mapping):
        definition = {}
    value = given.get(name, definition.get("default"))
    if value is None:
        raise InputError(f"server variable {name!r} has no value and no default")
    value = str(value)
    enum = definition.get("enum")
    if isinstance(enum, Sequence) and enum and value not in [str(e) for e in enum]:
        allowed = ", ".join(str(e) for e in enum)
        raise InputError(f"server variable {name!r} is {value!r}, not one of: {allowed}")
    return value


def server_url(
    server: Mapping[str, Any],
    variables: Mapping[str, str] | None = None,
    *,
    base: str | None = None,
) -> str:
    """The absolute base URL of an OpenAPI Server Object, without a trailing ``/``."""
    raw = server.get("url")
    if not isinstance(raw, str):
        raise DocumentError("server object has no url")
    definitions = server.get("variables")
    if not isinstance(definitions, Mapping):
        definitions = {}
    given = variables or {}
    url = _PARAM.sub(lambda m: _variable(m.group(1), definitions, given), raw)
    try:
        if base is not None and not urlsplit(url).scheme:
            url = urljoin(base, url)
        _ = urlsplit(url).port  # a port that is not a number raises ValueError
    except ValueError as exc:  # "Invalid IPv6 URL", a bad port
        raise DocumentError(f"server url {raw!r} is not a valid URL: {exc}") from None
    return url.rstrip("/")


def join_url(server: str, path: str, query_pairs: Sequence[tuple[str, str]] = ()) -> str:
    """``server`` + ``path`` + ``?k=v&...``; the pairs must already be percent-encoded."""
    url = server.rstrip("/") + ("" if path.startswith("/") or not path else "/") + path
    if not query_pairs:
        return url
    query = "&".join(name if value is None else f"{name}={value}" for name, value in query_pairs)
    return f"{url}{'&' if '?' in url else '?'}{query}"
