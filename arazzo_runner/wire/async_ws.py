"""The ``ws``/``wss`` adapter for AsyncAPI steps: a channel is one WebSocket connection.

:func:`open_ws` makes the handshake (the step's ``in: header`` parameters and credentials go
on it, ``in: query`` ones are already in the URL) and returns a :class:`WsConnection`:
``send(payload)`` writes one message (a JSON value as JSON text, text as text, bytes as a
binary message) and ``receive(wait)`` reads one as a :class:`ReceivedMessage`: a text message
is parsed as JSON when it is JSON (else kept as text), a binary one is text when it is UTF-8
(then parsed as JSON when it is JSON) and bytes otherwise. A WebSocket message has no headers
of its own, so ``$message.header`` is empty.

An adapter for another protocol is one more module with an ``open_*`` function of this shape,
named in :data:`arazzo_runner.wire.async_steps.ADAPTERS`.
"""

from __future__ import annotations

__all__ = ["ReceivedMessage", "WsConnection", "open_ws"]

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner.errors import RunTimeout, TransportError
from arazzo_runner.wire.websocket import DEFAULT_MAX_MESSAGE_BYTES, Socket, open_socket, where


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as ``$message`` sees it."""

    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def _parsed(text: str) -> Any:
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[", '"') or stripped[:1].isdigit() or stripped in ("true", "false"):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _closed(exc: Exception) -> str:
    frame = getattr(exc, "rcvd", None) or getattr(exc, "sent", None)
    if frame is None:
        return "no close frame"
    return f"close code {frame.code}" + (f" {frame.reason}" if frame.reason else "")


class WsConnection:
    """One open channel connection (a :class:`~arazzo_runner.wire.websocket.Socket`)."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self.url = sock.url

    def send(self, payload: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        if isinstance(payload, (bytes, bytearray)):
            message: str | bytes = bytes(payload)
        elif isinstance(payload, str):
            message = payload
        else:
            message = json.dumps(payload, ensure_ascii=False)
        try:
            self.sock.send(message)
        except ConnectionClosed as exc:
            raise TransportError(
                f"the WebSocket to {where(self.url)} was closed ({_closed(exc)}); nothing was sent"
            ) from exc

    def receive(self, wait: float | None) -> ReceivedMessage:
        """The next message; ``RunTimeout`` when none came within ``wait`` seconds."""
        from websockets.exceptions import ConnectionClosed

        try:
            raw = self.sock.recv(wait)
        except TimeoutError as exc:
            raise RunTimeout(f"no message from {where(self.url)} in {wait or 0:g} s") from exc
        except ConnectionClosed as exc:
            raise TransportError(
                f"the WebSocket to {where(self.url)} closed ({_closed(exc)})"
            ) from exc
        if isinstance(raw, bytes):
            try:
                return ReceivedMessage(_parsed(raw.decode("utf-8")))
            except UnicodeDecodeError:
                return ReceivedMessage(raw)
        return ReceivedMessage(_parsed(raw))

    def close(self) -> None:
        self.sock.close()


def open_ws(url: str, headers: Mapping[str, str], open_timeout: float | None) -> WsConnection:
    """Handshake with ``url``; errors are the package's (refused: exit 3 naming the status)."""
    sock = open_socket(
        url, headers, open_timeout=open_timeout, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES
    )
    return WsConnection(sock)
