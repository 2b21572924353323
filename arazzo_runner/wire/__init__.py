"""The wire (layer 4): one step of a workflow as one HTTP exchange (or one over WebSocket).

:mod:`.executor` implements the engine's ``StepExecutor``: operation to request
(:mod:`.request`: servers, :mod:`.urls`, :mod:`.serialize`, :mod:`.bodies`, credentials from
:mod:`.auth`), response to result or open stream (:mod:`.response`), excerpts for reports
(:mod:`.excerpt`), the one recipe for the HTTP client (:mod:`.client`), and httpx's log lines
masked for the length of a run (:mod:`.logs`). :mod:`.websocket_executor` carries POST steps
over fal's HTTP over WebSockets (:mod:`.fal_websocket` framing on :mod:`.websocket`
connections); :mod:`.async_steps` carries Arazzo 1.1 AsyncAPI ``send``/``receive`` steps
(:mod:`.async_channel` finds the channel, :mod:`.async_ws` is the ``ws``/``wss`` adapter);
:data:`TRANSPORTS` names the executors (``Runner(transport=...)``,
``--transport``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.wire.async_steps import AsyncStepExecutor
    from arazzo_runner.wire.auth import Credentials
    from arazzo_runner.wire.client import Timeouts, make_client
    from arazzo_runner.wire.excerpts import excerpt
    from arazzo_runner.wire.executor import HttpExecutor
    from arazzo_runner.wire.logs import masked_http_logs
    from arazzo_runner.wire.transports import TRANSPORTS
    from arazzo_runner.wire.websocket import SocketPool
    from arazzo_runner.wire.websocket_executor import WebSocketExecutor

__all__ = [
    "AsyncStepExecutor",
    "Credentials",
    "HttpExecutor",
    "SocketPool",
    "TRANSPORTS",
    "Timeouts",
    "WebSocketExecutor",
    "excerpt",
    "make_client",
    "masked_http_logs",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "AsyncStepExecutor": "async_steps",
            "Credentials": "auth",
            "HttpExecutor": "executor",
            "SocketPool": "websocket",
            "TRANSPORTS": "transports",
            "Timeouts": "client",
            "WebSocketExecutor": "websocket_executor",
            "make_client": "client",
            "excerpt": "excerpts",
            "masked_http_logs": "logs",
        },
    )
