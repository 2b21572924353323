"""Option values checked where they enter: a bad one is exit 2 and one line naming the option.

The run's bounds (``--timeout``, ``--idle-timeout``, ``--max-steps``) are checked by
:class:`~arazzo_runner.settings.RunSettings` (``cli.run.run_settings``); here: a
``-S SOURCE=URL`` must be an absolute http(s) or ws(s) URL (:func:`server_urls`), report paths
(:func:`report_paths`) must not be empty and two reports cannot share one file, and names that
match nothing in the loaded document are warnings (:func:`unknown_names`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from arazzo_runner.errors import InputError

__all__ = ["report_paths", "server_urls", "unknown_names"]

_SERVER_SCHEMES = frozenset({"http", "https", "ws", "wss"})


def server_urls(servers: Mapping[str, str]) -> dict[str, str]:
    """``-S`` values: each an absolute http(s) or ws(s) URL with a host, or an InputError."""
    for name, url in servers.items():
        try:
            parts = urlsplit(url)
            ok = parts.scheme.lower() in _SERVER_SCHEMES and bool(parts.hostname)
            _ = parts.port  # raises ValueError for a port that is not a number
        except ValueError:
            ok = False
        if not ok:
            raise InputError(
                f"--server {name}={url}: not an absolute http(s) or ws(s) URL",
                hint="e.g. -S api=http://127.0.0.1:8000",
            )
    return dict(servers)


def report_paths(paths: Mapping[str, str | None]) -> dict[str, str | None]:
    """The report options (``report_json``: path): none empty, no file named twice."""
    seen: dict[str, str] = {}
    for key, path in paths.items():
        option = "--" + key.replace("_", "-")
        if path is None:
            continue
        if not path.strip():
            raise InputError(f"{option}: the path is empty", hint="name a file, e.g. report.json")
        where = os.path.abspath(path)
        if where in seen:
            raise InputError(
                f"{seen[where]} and {option} both name {path!r}: each report needs its own file"
            )
        seen[where] = option
    return dict(paths)


def unknown_names(workspace: Any, servers: Mapping[str, str], auth: Mapping[str, str]) -> list[str]:
    """Warnings for ``-S`` naming no source description and ``--auth`` naming no security
    scheme of the loaded workspace (a typo would otherwise be silently ignored)."""
    sources = {name for found in workspace.resolved.values() for name in found}
    schemes = {
        key.lower()
        for found in workspace.resolved.values()
        for source in found.values()
        if source.openapi is not None
        for key in source.openapi.security_schemes
    }
    schemes |= {
        str(key).lower()
        for found in workspace.resolved.values()
        for source in found.values()
        if isinstance(source.asyncapi, Mapping)
        for key in (source.asyncapi.get("components") or {}).get("securitySchemes") or {}
    }
    lines = [
        f"--server {name}=...: no source description is named {name!r}"
        f" (sources: {', '.join(sorted(sources)) or 'none'})"
        for name in servers
        if name not in sources
    ]
    lines += [
        f"--auth {name}=...: no security scheme is named {name!r}"
        for name in auth
        if name.lower() not in schemes
    ]
    return lines
