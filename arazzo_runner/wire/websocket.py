"""A WebSocket client connection, whatever rides on it (sync, over ``websockets.sync``).

:func:`open_socket` makes the handshake and gives a :class:`Socket`: send a text or binary
message, receive one (``recv(timeout)``: ``str`` for a text frame, ``bytes`` for a binary one).
Failures become the package's errors, each naming ``host:port``: a refused handshake is a
:class:`~arazzo_runner.errors.TransportError` that names the HTTP status the server answered
(exit 3); a handshake that does not finish in time is a
:class:`~arazzo_runner.errors.RunTimeout`. :class:`SocketPool` keeps connections between uses,
one per URL and handshake headers, each lent to one user at a time.

Nothing here knows what the messages mean: fal's "HTTP over WebSockets" framing is
:mod:`arazzo_runner.wire.fal_websocket`, and an AsyncAPI channel adapter (``ws``/``wss``
``send``/``receive`` steps) would be one more module on top of this one.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "Socket", "SocketPool", "open_socket", "where"]

import http
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from arazzo_runner.errors import ArazzoError, RunTimeout, TransportError

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The largest message accepted (fal's own client accepts 1 MiB; one message may hold a whole
SSE event, whose own cap is 16 MiB)."""
_CLOSE_TIMEOUT = 1.0  # seconds to wait for the server's close frame when we close
_PING_INTERVAL = 20.0  # as fal's client: keeps idle connections (and proxies) alive
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def where(url: str) -> str:
    """``host:port`` of a ``ws``/``wss`` URL (the default port filled in)."""
    parts = urlsplit(url)
    port = parts.port or {"ws": 80, "wss": 443, "http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.hostname}:{port}"


def _phrase(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _refused(url: str, response: Any) -> TransportError:
    status = int(getattr(response, "status_code", 0))
    body = bytes(getattr(response, "body", b"") or b"")
    detail = " ".join(body[:200].decode("utf-8", "replace").split())
    hint = (
        "check the key (FAL_KEY, or --auth SCHEME=VALUE); it is sent on the handshake"
        if status in (401, 403)
        else "is this a WebSocket endpoint? see --server and --transport"
    )
    return TransportError(
        f"the WebSocket handshake to {where(url)} was refused: HTTP {_phrase(status)}"
        + (f": {detail}" if detail else ""),
        hint=hint,
    )


class Socket:
    """One open WebSocket connection (a ``websockets.sync`` client connection inside)."""

    def __init__(
        self, url: str, connection: Any, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    ) -> None:
        self.url = url
        self.max_message_bytes = max_message_bytes
        self._connection = connection
        self.pool_key: Any = None  # set by the SocketPool that opened it
        self.reused = False  # lent again by the pool after an earlier exchange

    @property
    def socket(self) -> socket.socket:
        """The TCP socket underneath (a stream watchdog shuts it down to end a blocked read)."""
        sock: socket.socket = self._connection.socket
        return sock

    @property
    def open(self) -> bool:
        """Neither side has started closing it."""
        from websockets.protocol import State

        return bool(self._connection.state is State.OPEN)

    def send(self, message: str | bytes) -> None:
        self._connection.send(message)

    def recv(self, timeout: float | None = None) -> str | bytes:
        """The next message; ``TimeoutError`` when none came in ``timeout`` seconds (the
        connection stays usable), ``websockets`` ``ConnectionClosed`` when it closed."""
        message: str | bytes = self._connection.recv(timeout=timeout)
        return message

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception:  # noqa: BLE001 - closing what may already be broken
            pass


def _tls(url: str) -> ssl.SSLContext | None:
    if urlsplit(url).scheme != "wss":
        return None
    from arazzo_runner.wire.client import _ssl_context

    return _ssl_context()


def _failure(exc: Exception, url: str, open_timeout: float | None) -> ArazzoError:
    """The package's error for what ``websockets``' ``connect`` raised."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

    if isinstance(exc, InvalidStatus):
        return _refused(url, exc.response)
    if isinstance(exc, TimeoutError):
        return RunTimeout(
            f"timed out opening the WebSocket to {where(url)} (the handshake took over"
            f" {open_timeout or 0:g} s)",
            hint="a cold start can be slow; nothing was sent yet",
        )
    if isinstance(exc, (InvalidURI, ValueError)):
        return TransportError(f"cannot open a WebSocket to {url}: {exc}")
    if isinstance(exc, InvalidHandshake):
        return TransportError(f"the WebSocket handshake to {where(url)} failed: {exc}")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return TransportError(
        f"could not connect to {where(url)}: {reason}", hint="is the server running? see --server"
    )


def open_socket(
    url: str,
    headers: Mapping[str, str],
    *,
    open_timeout: float | None,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> Socket:
    """Make the handshake (``headers`` go on it) and return the open connection."""
    from websockets.exceptions import InvalidHandshake, InvalidURI
    from websockets.sync.client import connect

    host = (urlsplit(url).hostname or "").lower()
    try:
        connection = connect(
            url,
            additional_headers=dict(headers),
            open_timeout=open_timeout,
            max_size=max_message_bytes,
            ssl=_tls(url),
            proxy=None if host in _LOOPBACK else True,
            ping_interval=_PING_INTERVAL,
            close_timeout=_CLOSE_TIMEOUT,
        )
    except (InvalidHandshake, InvalidURI, TimeoutError, ValueError, OSError) as exc:
        raise _failure(exc, url, open_timeout) from exc
    connection.__enter__()  # held open past this call: what websockets 17 wants to be told
    try:  # small messages go out at once (no Nagle delay behind an unacknowledged one)
        connection.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    return Socket(url, connection, max_message_bytes)


Opener = Callable[[str, Mapping[str, str]], Socket]


class SocketPool:
    """Open connections kept for the next user of the same URL and handshake headers.

    :meth:`lease` lends one (an idle one that is still open, else a new one from ``opener``)
    to one user at a time; :meth:`give_back` returns it after a complete exchange, and a user
    that stops in the middle closes it instead. So a run's steps, and a runner's workflows,
    share one connection per endpoint while they go one after another, and never read each
    other's answers. ``opened`` counts the handshakes made.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[str, tuple[tuple[str, str], ...]], list[Socket]] = {}
        self._lock = threading.Lock()
        self.opened = 0

    def lease(
        self, url: str, headers: Mapping[str, str], opener: Opener, *, fresh: bool = False
    ) -> Socket:
        """An idle open connection for ``url`` and ``headers`` (``reused`` set), else a new
        one from ``opener``; ``fresh`` skips the idle ones."""
        key = (url, tuple(sorted((k.lower(), v) for k, v in headers.items())))
        with self._lock:
            idle = [] if fresh else self._idle.get(key, [])
            while idle:
                found = idle.pop()
                if found.open:
                    found.reused = True
                    return found
                found.close()
        opened = opener(url, headers)
        opened.pool_key = key
        with self._lock:
            self.opened += 1
        return opened

    def give_back(self, sock: Socket) -> None:
        if sock.pool_key is None or not sock.open:
            sock.close()
            return
        with self._lock:
            self._idle.setdefault(sock.pool_key, []).append(sock)

    def close(self) -> None:
        with self._lock:
            idle = [s for sockets in self._idle.values() for s in sockets]
            self._idle.clear()
        for sock in idle:
            sock.close()
