"""The wire (layer 4): one step of a workflow as one HTTP exchange.

:mod:`.executor` implements the engine's ``StepExecutor``: operation to request
(:mod:`.request`: servers, :mod:`.urls`, :mod:`.serialize`, :mod:`.bodies`, credentials from
:mod:`.auth`), response to result or open stream (:mod:`.response`), excerpts for reports
(:mod:`.excerpt`), the one recipe for the HTTP client (:mod:`.client`), and httpx's log lines
masked for the length of a run (:mod:`.logs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.wire.auth import Credentials
    from arazzo_runner.wire.client import Timeouts, make_client
    from arazzo_runner.wire.excerpts import excerpt
    from arazzo_runner.wire.executor import HttpExecutor
    from arazzo_runner.wire.logs import masked_http_logs

__all__ = [
    "Credentials",
    "HttpExecutor",
    "Timeouts",
    "excerpt",
    "make_client",
    "masked_http_logs",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "Credentials": "auth",
            "HttpExecutor": "executor",
            "Timeouts": "client",
            "make_client": "client",
            "excerpt": "excerpts",
            "masked_http_logs": "logs",
        },
    )
