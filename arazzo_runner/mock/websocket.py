"""fal's "HTTP over WebSockets" in the mock: every POST operation also answers on a WebSocket.

A WebSocket route sits on the path of each POST operation (``/{model_owner}/{model_name}/stream``
answers both ``POST`` and a WebSocket handshake). The handshake is refused (HTTP 401, the
operation's declared 401 answer when it has one) when the operation is secured and the
handshake carries none of its credentials, e.g. no ``Authorization: Key ...`` for fal's key.
Then each text (or binary) message is the body of one POST, answered exactly as over HTTP
(:class:`~arazzo_runner.mock.app._OperationEndpoint`: validation, ``422`` with ``detail``,
named examples, ``x-arazzo-mock-when``, SSE pacing), framed as fal frames it: a *start* text
message (``type``, ``request_id``, ``status``, ``headers``), the body as binary messages (one
per SSE event), an *end* text message. Payloads sent before an answer is done (pipelined) wait
in the connection and are answered in order.
"""

from __future__ import annotations

__all__ = ["SocketEndpoint"]

import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from arazzo_runner.document.openapi import OpenAPIIndex, Operation, SecurityScheme
from arazzo_runner.mock.choice import parse_prefer, pick_response

_HANDSHAKE_ONLY = frozenset({"connection", "upgrade", "content-length", "content-type"})
_GONE = (WebSocketDisconnect, OSError, RuntimeError)  # the client went away while we answered


def _has(scheme: SecurityScheme | None, websocket: WebSocket) -> bool:
    """The handshake carries a credential for ``scheme`` (its value is not checked)."""
    if scheme is None:
        return False
    if scheme.type == "apiKey" and scheme.location == "query":
        return scheme.param_name in websocket.query_params
    if scheme.type == "apiKey" and scheme.location == "cookie":
        return scheme.param_name in websocket.cookies
    name = scheme.param_name if scheme.type == "apiKey" else "authorization"
    value = websocket.headers.get(name or "authorization", "")
    prefix = str(scheme.extensions.get("x-arazzo-runner-prefix", "")).strip()
    if scheme.type == "http":
        prefix = scheme.scheme or ""
    elif scheme.type in ("oauth2", "openIdConnect"):
        prefix = "Bearer"
    words = value.split(None, 1)
    if not prefix:
        return bool(value.strip())
    return len(words) == 2 and words[0].lower() == prefix.lower()


class SocketEndpoint:
    """One operation's WebSocket: check the handshake, then answer each payload in turn."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, endpoint: Any) -> None:
        self.index = index
        self.operation = operation
        self.endpoint = endpoint  # the operation's HTTP endpoint (mock.app)

    def _authorized(self, websocket: WebSocket) -> bool:
        alternatives = self.operation.security
        if not alternatives:
            return True
        schemes = self.index.security_schemes
        return any(
            all(_has(schemes.get(name), websocket) for name in alternative)
            for alternative in alternatives
        )

    async def session(self, websocket: WebSocket) -> None:
        if not self._authorized(websocket):
            await self._refuse(websocket)
            return
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text, data = message.get("text"), message.get("bytes")
            payload = data if data is not None else (text or "").encode()
            try:
                await self._answer(websocket, payload)
            except _GONE:
                return

    async def _refuse(self, websocket: WebSocket) -> None:
        picked = pick_response(self.operation, "401")
        if picked is not None and picked[0] == 401:
            parts = await self.endpoint.parts(_as_request(websocket, b""))
            answer = self.endpoint.answer(picked, "application/json", parts, parse_prefer([]))
        else:
            detail = {"detail": "Authentication is required to access this resource."}
            answer = Response(json.dumps(detail), 401, media_type="application/json")
        await websocket.send_denial_response(answer)

    async def _answer(self, websocket: WebSocket, payload: bytes) -> None:
        received = time.monotonic()
        response = await self.endpoint.handle(_as_request(websocket, payload))
        request_id = str(uuid.uuid4())
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in response.raw_headers}
        status = response.status_code
        start = {"type": "start", "request_id": request_id, "status": status, "headers": headers}
        await websocket.send_text(json.dumps(start))
        first = None
        async for chunk in _body(response):
            first = time.monotonic() - received if first is None else first
            await websocket.send_bytes(chunk)
        end = {
            "type": "end",
            "request_id": request_id,
            "status": status,
            "time_to_first_byte_seconds": round(
                first if first is not None else time.monotonic() - received, 6
            ),
        }
        await websocket.send_text(json.dumps(end))


async def _body(response: Response) -> AsyncIterator[bytes]:
    """The response's body as it would be sent: each chunk of a stream, else the whole body."""
    if not isinstance(response, StreamingResponse):
        if response.body:
            yield bytes(response.body)
        return
    chunks = response.body_iterator
    try:
        async for chunk in chunks:
            yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)
    finally:
        closer = getattr(chunks, "aclose", None)
        if closer is not None:
            await closer()


def _as_request(websocket: WebSocket, payload: bytes) -> Request:
    """The POST this payload stands for: the handshake's path, query and headers, as JSON."""
    scope: Mapping[str, Any] = websocket.scope
    headers = [
        (k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in _HANDSHAKE_ONLY
    ]
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    http_scope = {
        **{k: v for k, v in scope.items() if k not in ("type", "subprotocols", "extensions")},
        "type": "http",
        "method": "POST",
        "http_version": "1.1",
        "scheme": "https" if scope.get("scheme") == "wss" else "http",
        "headers": headers,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    return Request(http_scope, receive)
