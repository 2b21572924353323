"""Where an AsyncAPI step goes: its channel in the AsyncAPI 3.0 document, resolved.

:func:`channel_for` turns a step (``channelPath`` or an ``operationId`` of the source) into a
:class:`Channel`: the channel's URL (the first of its servers, ``protocol://host`` plus the
server's ``pathname`` and the channel's ``address``, or ``--server SOURCE=URL`` in place of
the server), the server's ``protocol`` (which adapter carries it), the names the channel's
``ws`` binding declares for the handshake's headers and query, and where the messages it can
answer with keep their correlation id (``correlationId.location``, e.g.
``$message.payload#/request_id``). Only local ``$ref`` s (``#/...``) are followed.

AsyncAPI 2.x documents are validated but not run: :class:`CannotRun` says so (exit 3), as it
does for a document or step it cannot resolve.
"""

from __future__ import annotations

__all__ = ["CannotRun", "Channel", "channel_for", "correlation_value"]

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from arazzo_runner._missing import MISSING
from arazzo_runner.document import SOURCE_PREFIX, Step
from arazzo_runner.errors import RunError
from arazzo_runner.pointer import pointer_tokens, resolve_pointer

_CHANNEL_PATH = re.compile(r"\{?\$sourceDescriptions\.([A-Za-z0-9_\-]+)(?:\.url)?\}?(#.*)\Z")
_LOCATION = re.compile(r"\$message\.(header|payload)(#.*)?\Z")
_PARAM = re.compile(r"\{([^{}]+)\}")


class CannotRun(RunError):
    """An AsyncAPI step that cannot be carried (exit 3): its document, channel or protocol."""


@dataclass(frozen=True)
class Channel:
    """One step's channel, ready for an adapter."""

    source: str
    name: str  # the channel's key in ``channels``
    url: str
    protocol: str
    header_names: frozenset[str] = frozenset()  # declared by the channel's ws binding
    query_names: frozenset[str] = frozenset()
    locations: tuple[str, ...] = ()  # correlationId locations of the messages it can answer
    security: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()  # (scheme key, header, raw)
    notes: list[str] = field(default_factory=list)


def _deref(document: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with a local ``$ref`` followed (a few levels); anything else as it is."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 16:
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise CannotRun(f"cannot follow $ref {ref!r}: only local references (#/...) are read")
        node = _at(document, ref[1:])
        if node is MISSING:
            raise CannotRun(f"$ref {ref!r} points at nothing in the AsyncAPI document")
        depth += 1
    return node


def _at(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer_tokens(pointer):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return MISSING
    return node


def _key_of(document: Mapping[str, Any], channel: Any) -> str:
    for key, value in (document.get("channels") or {}).items():
        if value is channel or _deref(document, value) is channel:
            return str(key)
    return "?"


def _target(document: Mapping[str, Any], step: Step, source: str) -> tuple[Any, Any, str]:
    """(the operation or None, the channel, the channel's key) the step names."""
    if step.channel_path is not None:
        match = _CHANNEL_PATH.match(step.channel_path)
        fragment = match.group(2) if match else "#"
        channel = _deref(document, _at(document, fragment[1:]))
        if not isinstance(channel, Mapping):
            raise CannotRun(f"step {step.step_id}: channelPath {fragment} is not a channel")
        tokens = pointer_tokens(fragment[1:])
        name = (
            tokens[1] if len(tokens) > 1 and tokens[0] == "channels" else _key_of(document, channel)
        )
        return None, channel, name
    name = (step.operation_id or "").removeprefix(f"{SOURCE_PREFIX}{source}.")
    operation = _deref(document, (document.get("operations") or {}).get(name))
    if not isinstance(operation, Mapping):
        raise CannotRun(f"step {step.step_id}: {name!r} is not an operation of the AsyncAPI source")
    channel = _deref(document, operation.get("channel"))
    if not isinstance(channel, Mapping):
        raise CannotRun(f"step {step.step_id}: operation {name!r} names no channel")
    return operation, channel, _key_of(document, channel)


def _messages(document: Mapping[str, Any], operation: Any, channel: Mapping[str, Any]) -> list[Any]:
    """The messages a receive on this channel may see: the operation's reply messages when it
    has a reply, else every message of the channel."""
    reply = _deref(document, operation.get("reply")) if isinstance(operation, Mapping) else None
    listed: Any = reply.get("messages") if isinstance(reply, Mapping) else None
    if not listed:
        listed = list((channel.get("messages") or {}).values())
    return [_deref(document, m) for m in listed or ()]


def _locations(document: Mapping[str, Any], messages: list[Any]) -> tuple[str, ...]:
    found: list[str] = []
    for message in messages:
        correlation = _deref(document, message.get("correlationId")) if message else None
        where = correlation.get("location") if isinstance(correlation, Mapping) else None
        if isinstance(where, str) and where not in found:
            found.append(where)
    return tuple(found)


def _server(document: Mapping[str, Any], channel: Mapping[str, Any]) -> Mapping[str, Any]:
    listed = channel.get("servers")
    servers = (
        [_deref(document, s) for s in listed]
        if isinstance(listed, list) and listed
        else [_deref(document, s) for s in (document.get("servers") or {}).values()]
    )
    servers = [s for s in servers if isinstance(s, Mapping)]
    if not servers:
        raise CannotRun("the AsyncAPI document declares no server for this channel")
    first: Mapping[str, Any] = servers[0]
    return first


def _security(
    document: Mapping[str, Any], server: Mapping[str, Any]
) -> tuple[tuple[str, str, Mapping[str, Any]], ...]:
    """The server's ``httpApiKey``/``httpApiKey``-like header schemes: (key, header, raw)."""
    schemes = ((document.get("components") or {}).get("securitySchemes")) or {}
    found = []
    for entry in server.get("security") or ():
        scheme = _deref(document, entry)
        key = next((k for k, v in schemes.items() if _deref(document, v) is scheme), None)
        if not isinstance(scheme, Mapping) or key is None:
            continue
        if scheme.get("type") in ("httpApiKey", "apiKey") and scheme.get("in") == "header":
            found.append((str(key), str(scheme.get("name") or "Authorization"), scheme))
        elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            found.append(
                (str(key), "Authorization", {**scheme, "x-arazzo-runner-prefix": "Bearer"})
            )
    return tuple(found)


def _names(binding: Any, key: str) -> frozenset[str]:
    schema = binding.get(key) if isinstance(binding, Mapping) else None
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    return frozenset(str(k) for k in properties) if isinstance(properties, Mapping) else frozenset()


def _address(channel: Mapping[str, Any], values: Mapping[str, Any] | None, step: Step) -> str:
    """The channel's address, its ``{parameters}`` filled (left as they are for None)."""
    address = str(channel.get("address") or "")
    if values is None:
        return address

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise CannotRun(
                f"step {step.step_id}: the channel address {address!r} needs parameter"
                f" {name!r} (give it with `in: path`)"
            )
        return quote(str(values[name]), safe="")

    address = _PARAM.sub(fill, address)
    return address if not address or address.startswith("/") else "/" + address


def channel_for(
    document: Mapping[str, Any],
    step: Step,
    source: str,
    *,
    override: str | None = None,
    address_values: Mapping[str, Any] | None = None,
) -> Channel:
    """The step's channel; ``override`` (``--server SOURCE=URL``) replaces the server."""
    version = str(document.get("asyncapi", ""))
    if not version.startswith("3."):
        raise CannotRun(
            f"cannot run AsyncAPI {version or '(no version)'} source {source!r}: AsyncAPI 2.x"
            " documents are validated but not run (supported: 3.0)"
        )
    operation, channel, name = _target(document, step, source)
    server = _server(document, channel)
    protocol = str(server.get("protocol") or "").lower()
    if override is not None:
        protocol = override.split("://", 1)[0].lower()
        base = override.rstrip("/")
    else:
        host = str(server.get("host") or "")
        base = f"{protocol}://{host}{str(server.get('pathname') or '').rstrip('/')}"
    binding = (channel.get("bindings") or {}).get("ws")
    return Channel(
        source=source,
        name=name,
        url=base + _address(channel, address_values, step),
        protocol=protocol,
        header_names=_names(binding, "headers"),
        query_names=_names(binding, "query"),
        locations=_locations(document, _messages(document, operation, channel)),
        security=_security(document, server),
    )


def correlation_value(location: str, payload: Any, headers: Mapping[str, Any]) -> Any:
    """What a received message holds at an AsyncAPI ``location`` (``MISSING`` when nothing),
    e.g. ``$message.payload#/request_id`` or ``$message.header#/orderRequestId``."""
    match = _LOCATION.match(location.strip())
    if match is None:
        return MISSING
    section, fragment = match.groups()
    root: Any = payload if section == "payload" else dict(headers)
    if not fragment or fragment == "#":
        return root
    try:
        return resolve_pointer(root, fragment[1:])
    except Exception:  # noqa: BLE001 - a malformed location matches nothing
        return MISSING
