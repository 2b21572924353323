"""The WebSocket transport: operation steps over fal's "HTTP over WebSockets" (layer 4).

:class:`WebSocketExecutor` is the HTTP executor with another way to carry a request: a POST
step's body goes as the payload message on a WebSocket to the operation's URL with ``ws``/``wss``
for ``http``/``https`` (fal's ``https://fal.run`` becomes ``wss://ws.fal.run``, or
``FAL_WS_RUN_HOST``), and the answer comes back as fal's start / body / end messages
(:mod:`arazzo_runner.wire.fal_websocket`). Everything else is the HTTP executor's: the request
is built the same way (credentials are chosen for the WebSocket host, so ``FAL_KEY`` still goes
only to fal's hosts and loopback, on the handshake), and the answer is read the same way (the
same ``EventStream``, bounds, criteria, ``x-arazzo-stream``, body cap, deadline), so a step's
result does not tell which transport carried it.

Steps that fal's gateway cannot carry (any method but POST, fal's queue host) still go over
HTTP; ``--server SOURCE=ws://...`` (or ``wss://``) is accepted and means ``http(s)://`` for
those. Connections are kept in a :class:`~arazzo_runner.wire.websocket.SocketPool` (the
runner's, when it has one): consecutive steps and workflows to the same endpoint reuse one.
"""

from __future__ import annotations

__all__ = ["WebSocketExecutor"]

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from arazzo_runner.document.openapi import Operation
from arazzo_runner.errors import RunTimeout
from arazzo_runner.wire.executor import HttpExecutor
from arazzo_runner.wire.fal_websocket import NotSent, handshake_headers, send_request, websocket_url
from arazzo_runner.wire.websocket import DEFAULT_MAX_MESSAGE_BYTES, Socket, SocketPool, open_socket

_HTTP_SCHEME = {"ws": "http", "wss": "https"}
_HTTP_ONLY_FAL_HOSTS = ("queue.fal.run",)  # fal's queue has no WebSocket gateway
HANDSHAKE_TIMEOUT = 90.0
"""Seconds a handshake may take, as fal's client allows (an app's cold start happens there)."""


def _as_http(url: str) -> str:
    parts = urlsplit(url)
    scheme = _HTTP_SCHEME.get(parts.scheme.lower())
    return url if scheme is None else urlunsplit((scheme, *parts[1:]))


class WebSocketExecutor(HttpExecutor):
    """Sends POST steps over WebSocket, the rest over HTTP; see the module docstring.

    ``pool`` (optional) keeps connections beyond this executor (a runner's, for several runs);
    without one the executor has its own, closed by :meth:`close`. ``handshake_timeout`` bounds
    each handshake and ``max_message_bytes`` each message received; ``FAL_WS_RUN_HOST`` is read
    from ``env`` (not read when ``env`` is not given). Other arguments are the HTTP executor's.
    """

    def __init__(
        self,
        workspace: Any,
        *,
        pool: SocketPool | None = None,
        handshake_timeout: float | None = HANDSHAKE_TIMEOUT,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        **settings: Any,
    ) -> None:
        given: Mapping[str, str] = settings.pop("servers", None) or {}
        self.websocket_servers = {
            name: url for name, url in given.items() if urlsplit(url).scheme in _HTTP_SCHEME
        }
        super().__init__(workspace, servers={k: _as_http(v) for k, v in given.items()}, **settings)
        self.environ: Mapping[str, str] = settings.get("env") or {}
        self.pool = pool or SocketPool()
        self._owns_pool = pool is None
        self.handshake_timeout = handshake_timeout
        self.max_message_bytes = max_message_bytes

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()
        super().close()

    def _base_url(self, source: Any, operation: Operation) -> str:
        base = super()._base_url(source, operation)
        if operation.method.upper() != "POST":
            return base
        host = (urlsplit(base).hostname or "").lower()
        if source.name not in self.websocket_servers and host in _HTTP_ONLY_FAL_HOSTS:
            return base
        given = self.websocket_servers.get(source.name)
        if given is not None:
            return given.rstrip("/")
        return websocket_url(base, self.environ)

    def _send(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in _HTTP_SCHEME:
            return super()._send(request)
        timeouts = request.extensions.get("timeout") or self.timeouts.for_httpx().as_dict()
        try:
            sock = self._lease(request)
            try:
                return send_request(sock, self.pool, request, timeouts.get("read"))
            except NotSent:
                if not sock.reused:
                    raise
            # a kept connection the server had closed: nothing was sent, so send it on a new one
            sock = self._lease(request, fresh=True)
            return send_request(sock, self.pool, request, timeouts.get("read"))
        except RunTimeout:
            if self._expired():
                raise self._late("waiting for the answer") from None
            raise

    def _lease(self, request: httpx.Request, *, fresh: bool = False) -> Socket:
        limit, remaining = self.handshake_timeout, self._remaining()
        if remaining is not None:  # the run's deadline caps it
            limit = remaining if limit is None else min(limit, remaining)

        def opener(url: str, headers: Mapping[str, str]) -> Socket:
            return open_socket(
                url, headers, open_timeout=limit, max_message_bytes=self.max_message_bytes
            )

        headers = handshake_headers(request)
        return self.pool.lease(str(request.url), headers, opener, fresh=fresh)
