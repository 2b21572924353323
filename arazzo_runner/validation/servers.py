"""The servers of each OpenAPI source: a URL that cannot be parsed fails ``arazzo validate``.

A run would otherwise find out at the first request (``http://[::1`` is not a URL, nor is a
port that is not a number). Each distinct server URL of a source (root, path item and
operation servers) is checked once, with its variables replaced by their defaults; the
diagnostic points at the source description that names the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.validation.context import RuleContext

__all__ = ["SERVER_RULES"]

_VARIABLE = re.compile(r"\{([^{}]*)\}")


def _with_defaults(url: str, variables: Mapping[str, Mapping[str, Any]]) -> str:
    def value(match: re.Match[str]) -> str:
        default = variables.get(match.group(1), {}).get("default")
        return str(default) if default is not None else "0"

    return _VARIABLE.sub(value, url)


def _problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError as exc:
        return str(exc)
    return None


def server_urls(ctx: RuleContext) -> Iterator[Diagnostic]:
    """server-url: a server URL of an OpenAPI source that does not parse."""
    for index, declared in enumerate(ctx.doc.source_descriptions):
        source = ctx.ws.sources(ctx.doc).get(declared.name)
        if source is None or source.openapi is None:
            continue
        seen: set[str] = set()
        for operation in source.openapi.operations:
            for server in operation.servers:
                if server.url in seen:
                    continue
                seen.add(server.url)
                problem = _problem(_with_defaults(server.url, server.variables))
                if problem is not None:
                    yield ctx.error(
                        "server-url",
                        f"source {declared.name!r} has a server url {server.url!r} that is not"
                        f" a valid URL ({problem})",
                        f"/sourceDescriptions/{index}",
                        hint="fix the servers of that OpenAPI document",
                    )


SERVER_RULES = {"server-url": server_urls}
