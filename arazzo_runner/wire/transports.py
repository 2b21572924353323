"""The transports by name: what ``Runner(transport=NAME)`` and ``--transport NAME`` choose.

Each is a ``StepExecutor`` class taking the HTTP executor's settings; the WebSocket one also
takes ``pool=`` (connections kept between runs). A new way to carry steps is one more entry.
"""

from __future__ import annotations

__all__ = ["TRANSPORTS"]

from typing import Any

from arazzo_runner.wire.executor import HttpExecutor
from arazzo_runner.wire.websocket_executor import WebSocketExecutor

TRANSPORTS: dict[str, Any] = {"http": HttpExecutor, "websocket": WebSocketExecutor}
