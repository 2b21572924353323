"""fal's "HTTP over WebSockets": one request and its answer on a persistent WebSocket.

The protocol, as ``../shared/fal/websocket.md`` records it (and ``docs/websocket.md`` tells
users): the client sends the request body as one text message; the server answers with a
*start* message (text, JSON: ``type: start``, ``request_id``, ``status``, ``headers``), the
response body as binary messages, and an *end* message (``type: end``, the same ``request_id``).
A text message is metadata only when its JSON object has both ``type`` and ``request_id``, as in
fal's own client; any other text message is body. Each request on a connection gets its own
start/body/end bracket, in the order sent.

:func:`send_request` sends one payload and reads the start; the answer is an ``httpx.Response``
whose body stream (:class:`FrameBody`) yields the binary messages until the end, so everything
downstream (the SSE decoder, ``EventStream`` and its bounds, the body cap) is the HTTP path's.
Errors inside the body are raised as the httpx errors that code already handles.
"""

from __future__ import annotations

__all__ = ["FrameBody", "NotSent", "handshake_headers", "send_request", "websocket_url"]

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from arazzo_runner.errors import RunTimeout, TransportError
from arazzo_runner.wire.websocket import Socket, SocketPool, where

FAL_RUN_HOST = "fal.run"
DEFAULT_WS_HOST = "ws.fal.run"
_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_NOT_ON_HANDSHAKE = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "upgrade"}
)


class NotSent(TransportError):
    """The connection was closed before the payload could be sent (so it may be sent on
    another one: nothing reached the server)."""


def websocket_url(url: str, environ: Mapping[str, str]) -> str:
    """The WebSocket URL for an HTTP one: ``http``→``ws``, ``https``→``wss``, and fal's
    direct host ``fal.run`` → ``FAL_WS_RUN_HOST`` (a host, as for fal's client, or a
    ``ws://``/``wss://`` URL), by default ``ws.fal.run``."""
    parts = urlsplit(url)
    scheme, netloc = _SCHEMES.get(parts.scheme, parts.scheme), parts.netloc
    if (parts.hostname or "").lower() == FAL_RUN_HOST and parts.port is None:
        configured = environ.get("FAL_WS_RUN_HOST") or DEFAULT_WS_HOST
        given = urlsplit(configured if "://" in configured else f"wss://{configured}")
        scheme, netloc = _SCHEMES.get(given.scheme, "wss"), given.netloc
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def handshake_headers(request: httpx.Request) -> dict[str, str]:
    """The request's headers that belong on the handshake (credentials, header parameters)."""
    return {k: v for k, v in request.headers.items() if k.lower() not in _NOT_ON_HANDSHAKE}


def _meta(message: str | bytes) -> dict[str, Any] | None:
    """The message as fal metadata (``type`` and ``request_id`` in a JSON object), else None."""
    if not isinstance(message, str) or not message.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    if isinstance(value, dict) and "type" in value and "request_id" in value:
        return value
    return None


def _start_headers(start: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = start.get("headers")
    if not isinstance(headers, Mapping):
        return []
    return [(str(k), str(v)) for k, v in headers.items()]


def _read_start(sock: Socket, timeout: float | None) -> dict[str, Any]:
    from websockets.exceptions import ConnectionClosed

    try:
        message = sock.recv(timeout)
    except TimeoutError as exc:
        raise RunTimeout(
            f"timed out waiting for an answer from {where(sock.url)} (no start message in"
            f" {timeout:g} s)",
            hint="raise the timeout if the server is slow; the request was not re-sent",
        ) from exc
    except ConnectionClosed as exc:
        raise TransportError(
            f"the WebSocket to {where(sock.url)} closed before the answer started ({_closed(exc)})",
            hint="the request was not re-sent",
        ) from exc
    start = _meta(message)
    status = start.get("status") if start is not None else None
    if start is None or start.get("type") != "start" or not isinstance(status, int):
        kind = "a binary message" if isinstance(message, bytes) else repr(message[:80])
        raise TransportError(
            f"{where(sock.url)} did not answer with a start message (got {kind})",
            hint="is this fal's HTTP-over-WebSocket endpoint?",
        )
    return start


def _closed(exc: Exception) -> str:
    """What a ``ConnectionClosed`` says: the close code and reason, or that none came."""
    frame = getattr(exc, "rcvd", None) or getattr(exc, "sent", None)
    if frame is None:
        return "no close frame"
    reason = f" {frame.reason}" if frame.reason else ""
    return f"close code {frame.code}{reason}"


class FrameBody(httpx.SyncByteStream):
    """The body of one answer: its binary messages until the end message.

    Each wait is bounded by the request's ``read`` timeout (as httpx bounds a read), which an
    ``EventStream`` lifts while its own bounds govern. At the end (``request_id`` checked) the
    connection goes back to ``pool``; closed before that, the connection is closed (the server
    stops the work, as for an HTTP stream that is disconnected).
    """

    def __init__(
        self, sock: Socket, pool: SocketPool, request: httpx.Request, start: Mapping[str, Any]
    ) -> None:
        self.sock = sock
        self.pool = pool
        self.request = request
        self.request_id = start.get("request_id")
        self.status = start.get("status")
        self.ended = False
        self.released = False
        self.end: dict[str, Any] | None = None

    def _timeout(self) -> float | None:
        timeouts = self.request.extensions.get("timeout")
        read = timeouts.get("read") if isinstance(timeouts, dict) else None
        return float(read) if isinstance(read, (int, float)) else None

    def _recv(self) -> str | bytes:
        from websockets.exceptions import ConnectionClosed

        timeout = self._timeout()
        try:
            return self.sock.recv(timeout)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(
                f"no WebSocket message in {timeout:g} s", request=self.request
            ) from exc
        except ConnectionClosed as exc:
            sent = getattr(exc, "sent", None)
            if sent is not None and sent.code == 1009:  # we refused it: "message too big"
                raise httpx.ReadError(
                    f"a message over the {self.sock.max_message_bytes}-byte cap came"
                    f" ({sent.reason}); the WebSocket was closed",
                    request=self.request,
                ) from exc
            raise httpx.ReadError(
                f"the WebSocket closed before the end message ({_closed(exc)})",
                request=self.request,
            ) from exc

    def __iter__(self) -> Iterator[bytes]:
        while not self.ended:
            message = self._recv()
            meta = _meta(message)
            if meta is not None:
                self._finish(meta)
                return
            if message:
                yield message.encode() if isinstance(message, str) else message

    def _finish(self, meta: Mapping[str, Any]) -> None:
        if meta.get("type") != "end":
            raise httpx.RemoteProtocolError(
                f"a {meta.get('type')!r} message came before the end of the answer",
                request=self.request,
            )
        if meta.get("request_id") != self.request_id:
            raise httpx.RemoteProtocolError(
                f"the end message's request_id {meta.get('request_id')!r} is not the start"
                f" message's {self.request_id!r}",
                request=self.request,
            )
        self.ended, self.end = True, dict(meta)

    def close(self) -> None:
        if self.released:
            return
        self.released = True
        if self.ended:
            self.pool.give_back(self.sock)
        else:
            self.sock.close()


class _NetworkStream:
    """What ``response.extensions["network_stream"]`` offers: the socket, for the watchdog."""

    def __init__(self, sock: Socket) -> None:
        self._sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self._sock.socket if name == "socket" else None


def send_request(
    sock: Socket, pool: SocketPool, request: httpx.Request, read_timeout: float | None
) -> httpx.Response:
    """Send ``request``'s body as the payload message and read the start message; the
    response's body streams the rest. A failure before the start closes the connection."""
    from websockets.exceptions import ConnectionClosed

    content = request.content
    try:
        payload: str | bytes = content.decode("utf-8")
    except UnicodeDecodeError:
        payload = content  # not text: sent as a binary message
    try:
        try:
            sock.send(payload)
        except ConnectionClosed as exc:
            raise NotSent(
                f"the WebSocket to {where(sock.url)} was closed ({_closed(exc)})",
                hint="the request was not sent",
            ) from exc
        start = _read_start(sock, read_timeout)
    except BaseException:
        sock.close()
        raise
    body = FrameBody(sock, pool, request, start)
    return httpx.Response(
        start["status"],
        headers=_start_headers(start),
        stream=body,
        request=request,
        extensions={"network_stream": _NetworkStream(sock)},
    )
