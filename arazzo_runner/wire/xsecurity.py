"""Redocly Respect's ``x-security``, applied to a request, so its workflows run unchanged.

An entry is ``{scheme: <Security Scheme Object>, values}`` or ``{schemeName: <a scheme of the
step's source>, values}``; the engine has already evaluated the values (they are runtime
expressions). Entries apply in order, the workflow's first and then the step's, and a later
one replaces what an earlier one (or an explicit parameter) set under the same header, query
or cookie name, as Respect does; the operation's own ``security`` then finds the credential
given and adds nothing. Values go through the same appliers and masking as ``--auth``
credentials (every secret value and its Basic/URL-encoded form is registered with the
redactor; a Basic user name is not a secret), and
only to the operation's own server. HTTP ``digest`` needs the server's challenge first and is
refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from arazzo_runner.document.openapi import SecurityScheme
from arazzo_runner.errors import InputError
from arazzo_runner.redact import Redactor
from arazzo_runner.wire.auth import APPLIERS, Outgoing

__all__ = ["apply_x_security"]

_NEEDS = {
    "basic": ("username", "password"),
    "bearer": ("token",),
    "apiKey": ("apiKey",),
    "oauth2": ("accessToken",),
    "openIdConnect": ("accessToken",),
}


def _inline(raw: Mapping[str, Any]) -> SecurityScheme:
    kind = str(raw.get("type", ""))
    return SecurityScheme(
        key="x-security",
        type=kind,
        scheme=raw.get("scheme"),
        location=raw.get("in"),
        param_name=raw.get("name"),
        raw=dict(raw),
    )


def _scheme(entry: Mapping[str, Any], schemes: Mapping[str, SecurityScheme]) -> SecurityScheme:
    if "schemeName" not in entry:
        raw = entry.get("scheme")
        if not isinstance(raw, Mapping):
            raise InputError("x-security: an entry needs `scheme` or `schemeName`")
        return _inline(raw)
    found = schemes.get(str(entry["schemeName"]))
    if found is None:
        raise InputError(f"x-security: the source has no security scheme {entry['schemeName']!r}")
    return found


def _value(scheme: SecurityScheme, values: Mapping[str, Any]) -> str:
    kind = (scheme.scheme or "").lower() if scheme.type == "http" else scheme.type
    needed = _NEEDS.get(kind)
    if needed is None or scheme.type not in APPLIERS:
        shown = f"http {scheme.scheme}" if scheme.type == "http" else scheme.type
        raise InputError(f"x-security: the {shown!r} scheme cannot be applied")
    missing = [name for name in needed if values.get(name) is None]
    if missing:
        raise InputError(f"x-security: the {kind} scheme needs {', '.join(missing)}")
    return ":".join(str(values[name]) for name in needed)


def _clear(scheme: SecurityScheme, out: Outgoing) -> None:
    """Drop what an earlier entry or parameter set where ``scheme`` writes (later wins)."""
    if scheme.type != "apiKey":
        name, location = "Authorization", "header"
    else:
        name, location = scheme.param_name or "", scheme.location or "header"
    if location == "header":
        for key in [k for k in out.headers if k.lower() == name.lower()]:
            del out.headers[key]
    elif location == "cookie":
        out.cookies[:] = [(k, v) for k, v in out.cookies if k != name]
    else:
        out.query[:] = [(k, v) for k, v in out.query if k != quote(name, safe="")]


def apply_x_security(
    entries: Sequence[Mapping[str, Any]],
    schemes: Mapping[str, SecurityScheme],
    out: Outgoing,
    redactor: Redactor,
) -> None:
    """Write each entry's credential into ``out``, in order; raises InputError."""
    for entry in entries:
        scheme = _scheme(entry, schemes)
        values = entry.get("values")
        value = _value(scheme, values if isinstance(values, Mapping) else {})
        secret = value.rpartition(":")[2] if scheme.type == "http" else value  # not the user
        redactor.add(secret)
        redactor.add(value)
        _clear(scheme, out)
        APPLIERS[scheme.type](scheme, value, out, redactor)
