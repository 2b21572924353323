"""A mock of an AsyncAPI 3.0 description's WebSocket channels (``arazzo run --mock``).

:func:`build_asyncapi_app` makes a starlette app with a WebSocket route at the ``address`` of
every channel (``{parameter}`` segments match anything). The mock plays the side the
description describes: for each message a client sends on a channel, it answers with the
``reply`` of every operation on that channel with ``action: receive`` (the application
receives what the client sends): each reply message in order, once per example (the
message's ``examples[].payload``, else a value made from its payload schema). A JSON message
goes as a text frame; a message whose ``contentType`` is not JSON (``text/event-stream``,
``application/octet-stream``) goes as a binary frame. Where a reply message declares a
``correlationId`` location in its payload, the mock writes one id there per request, the
same in every reply message of that request: the id the request itself holds at that
location when it holds one, else a fresh UUID. So fal's start / body / end framing comes out
of ``asyncapi/fal-websocket.asyncapi.yaml`` with a new ``request_id`` per request.

Not mocked: credentials (the handshake is accepted without any), headers (a WebSocket
message has none), message validation against the schemas, and protocols other than
WebSocket (the app serves ``ws://``; other servers of the description are ignored).
"""

from __future__ import annotations

__all__ = ["build_asyncapi_app"]

import copy
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from arazzo_runner.media import is_json
from arazzo_runner.mock.examples import generate
from arazzo_runner.pointer import pointer_tokens

_PARAM = re.compile(r"\{([^{}]+)\}")
_LOCATION = re.compile(r"\$message\.payload#(/.*)?\Z")
_GONE = (WebSocketDisconnect, OSError, RuntimeError)


def _deref(data: Mapping[str, Any], node: Any) -> Any:
    for _ in range(16):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#"):
            return None
        found: Any = data
        for token in pointer_tokens(ref[1:]):
            found = found.get(token) if isinstance(found, Mapping) else None
        node = found
    return node


def _route_path(address: str) -> str:
    count = iter(range(1000))
    path = _PARAM.sub(lambda m: f"{{p{next(count)}}}", address)
    return path if path.startswith("/") else "/" + path


class _Reply:
    """One message of a reply: its frames (one per example) and its correlation pointer."""

    def __init__(self, data: Mapping[str, Any], message: Mapping[str, Any]) -> None:
        examples = [e for e in message.get("examples") or () if isinstance(e, Mapping)]
        payloads = [e["payload"] for e in examples if "payload" in e]
        if not payloads:
            payloads = [generate(_deref(data, message.get("payload")) or {})]
        self.payloads = payloads
        content_type = str(message.get("contentType") or data.get("defaultContentType") or "")
        self.binary = bool(content_type) and not is_json(content_type)
        correlation = _deref(data, message.get("correlationId"))
        where = correlation.get("location") if isinstance(correlation, Mapping) else None
        match = _LOCATION.match(where.strip()) if isinstance(where, str) else None
        self.pointer = match.group(1) or "" if match else None

    def frames(self, request_id: str) -> list[str | bytes]:
        out: list[str | bytes] = []
        for payload in self.payloads:
            value = copy.deepcopy(payload)
            if self.pointer and isinstance(value, dict):
                _put(value, self.pointer, request_id)
            if self.binary:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(text.encode())
            else:
                out.append(json.dumps(value))
        return out


def _put(value: dict[str, Any], pointer: str, item: str) -> None:
    tokens = pointer_tokens(pointer)
    node: Any = value
    for token in tokens[:-1]:
        node = node.setdefault(token, {}) if isinstance(node, dict) else None
    if isinstance(node, dict) and tokens:
        node[tokens[-1]] = item


def _held(payload: Any, pointer: str | None) -> str | None:
    if not pointer:
        return None
    node = payload
    for token in pointer_tokens(pointer):
        node = node.get(token) if isinstance(node, Mapping) else None
    return str(node) if isinstance(node, (str, int)) and not isinstance(node, bool) else None


class _ChannelEndpoint:
    def __init__(self, replies: list[_Reply]) -> None:
        self.replies = replies

    async def session(self, websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
            held = next((h for r in self.replies if (h := _held(payload, r.pointer))), None)
            request_id = held or str(uuid.uuid4())
            try:
                for reply in self.replies:
                    for frame in reply.frames(request_id):
                        if isinstance(frame, bytes):
                            await websocket.send_bytes(frame)
                        else:
                            await websocket.send_text(frame)
            except _GONE:
                return


def _replies(data: Mapping[str, Any], channel: Any) -> list[_Reply]:
    replies: list[_Reply] = []
    for operation in (data.get("operations") or {}).values():
        operation = _deref(data, operation)
        if not isinstance(operation, Mapping) or operation.get("action") != "receive":
            continue
        if _deref(data, operation.get("channel")) is not channel:
            continue
        reply = _deref(data, operation.get("reply"))
        for message in (reply.get("messages") if isinstance(reply, Mapping) else None) or ():
            found = _deref(data, message)
            if isinstance(found, Mapping):
                replies.append(_Reply(data, found))
    return replies


def build_asyncapi_app(data: Mapping[str, Any]) -> Starlette:
    """A starlette app playing ``data``'s channels over WebSocket (see the module docstring)."""
    routes = []
    for channel in (data.get("channels") or {}).values():
        channel = _deref(data, channel)
        if not isinstance(channel, Mapping) or not isinstance(channel.get("address"), str):
            continue
        endpoint = _ChannelEndpoint(_replies(data, channel))
        routes.append(WebSocketRoute(_route_path(channel["address"]), endpoint.session))
    return Starlette(routes=routes)
