"""``arazzo validate`` of an AsyncAPI document itself: the parts an Arazzo 1.1 step uses.

Checked for AsyncAPI 3.0: ``info``, ``servers`` (each with ``host`` and ``protocol``),
``channels`` (``address`` a string or null; its ``servers`` and ``messages``), ``operations``
(``action`` ``send``/``receive``, a ``channel``, its ``messages`` and ``reply``), every local
``$ref`` resolving, and each message's ``correlationId.location`` being a ``$message.header``
or ``$message.payload`` expression (with an optional ``#`` JSON Pointer). A reference to
another file is not followed. This is not a full AsyncAPI validator: payload schemas and
bindings are not checked beyond their shape. An AsyncAPI 2.x document gets one warning
(steps on it are validated, not run) and no further checks. A clean document gives one
``info`` line saying what was checked.
"""

from __future__ import annotations

__all__ = ["check_asyncapi"]

import re
from collections.abc import Iterator, Mapping
from typing import Any

from arazzo_runner.diagnostics import Severity
from arazzo_runner.document.fields import Ctx
from arazzo_runner.pointer import pointer_tokens

_LOCATION = re.compile(r"\$message\.(header|payload)(#(/[^/]*)*)?\Z")
_Path = tuple[str | int, ...]


def _walk(node: Any, path: _Path = ()) -> Iterator[tuple[_Path, Any]]:
    yield path, node
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _resolves(data: Any, ref: str) -> bool:
    node = data
    for token in pointer_tokens(ref[1:]):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _refs(ctx: Ctx, data: Mapping[str, Any]) -> None:
    for path, node in _walk(data):
        if not isinstance(node, Mapping) or not isinstance(node.get("$ref"), str):
            continue
        ref = node["$ref"]
        if ref.startswith("#") and not _resolves(data, ref):
            ctx.report("bad-ref", (*path, "$ref"), f"$ref {ref!r} points at nothing")


def _mapping(ctx: Ctx, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        ctx.wrong_type((key,), f"`{key}`", "an object", value)
        return {}
    return value


def _servers(ctx: Ctx, data: Mapping[str, Any]) -> None:
    for name, server in _mapping(ctx, data, "servers").items():
        if not isinstance(server, Mapping) or "$ref" in server:
            continue
        for key in ("host", "protocol"):
            if not isinstance(server.get(key), str):
                ctx.report(
                    "missing-field",
                    ("servers", name),
                    f"server {name!r} needs a `{key}` string",
                    "e.g. host: ws.fal.run, protocol: wss",
                )


def _channels(ctx: Ctx, data: Mapping[str, Any]) -> None:
    for name, channel in _mapping(ctx, data, "channels").items():
        if not isinstance(channel, Mapping):
            ctx.wrong_type(("channels", name), f"channel {name!r}", "an object", channel)
            continue
        address = channel.get("address")
        if address is not None and not isinstance(address, str):
            ctx.wrong_type(("channels", name, "address"), "`address`", "a string", address)


def _operations(ctx: Ctx, data: Mapping[str, Any]) -> None:
    for name, operation in _mapping(ctx, data, "operations").items():
        if not isinstance(operation, Mapping) or "$ref" in operation:
            continue
        path: _Path = ("operations", name)
        if operation.get("action") not in ("send", "receive"):
            message = f"operation {name!r}: `action` must be send or receive"
            ctx.report("bad-action", (*path, "action") if "action" in operation else path, message)
        if not isinstance(operation.get("channel"), Mapping):
            message = f"operation {name!r} needs a `channel` ($ref to a channel)"
            ctx.report("missing-field", path, message)


def _correlations(ctx: Ctx, data: Mapping[str, Any]) -> None:
    for path, node in _walk(data):
        if not path or path[-1] != "correlationId" or not isinstance(node, Mapping):
            continue
        if "$ref" in node:
            continue
        location = node.get("location")
        if not isinstance(location, str) or not _LOCATION.match(location.strip()):
            ctx.report(
                "bad-correlation-id",
                (*path, "location") if "location" in node else path,
                f"correlationId location {location!r} is not $message.header#/... or"
                " $message.payload#/...",
            )


def check_asyncapi(ctx: Ctx, data: Mapping[str, Any]) -> None:
    """Report what an Arazzo step could not use in AsyncAPI document ``data``."""
    version = str(data.get("asyncapi", ""))
    if version.startswith("2."):
        ctx.report(
            "asyncapi-2",
            ("asyncapi",),
            f"AsyncAPI {version}: checked only as far as Arazzo steps name it; steps on it"
            " are validated but not run (supported: 3.0)",
            severity=Severity.WARNING,
        )
        return
    if not version.startswith("3."):
        ctx.report("asyncapi-version", ("asyncapi",), f"unsupported AsyncAPI version {version!r}")
        return
    if not isinstance(data.get("info"), Mapping):
        ctx.report("missing-field", (), "an AsyncAPI document needs `info` (title, version)")
    _refs(ctx, data)
    _servers(ctx, data)
    _channels(ctx, data)
    _operations(ctx, data)
    _correlations(ctx, data)
    if not ctx.diagnostics:
        ctx.report(
            "asyncapi-document",
            ("asyncapi",),
            f"AsyncAPI {version} document: servers, channels, operations, references and"
            " correlation ids checked; run it from an Arazzo 1.1 workflow",
            severity=Severity.INFO,
        )
