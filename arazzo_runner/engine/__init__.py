"""The engine (layer 3): control flow only, and the port a transport implements.

:mod:`.flow` runs a workflow step by step (order, actions end/goto/retry, ``dependsOn``, nested
workflows, outputs, step budget, deadline); :mod:`.scope` and :mod:`.compiler` hold the
expression scope and the compiled steps; :mod:`.port` defines :class:`OperationCall`,
:class:`Exchange` and the ``StepExecutor`` protocol that the wire implements. No httpx here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.engine.flow import Engine, RunLimits
    from arazzo_runner.engine.port import (
        AsyncExchange,
        AsyncExecutor,
        Exchange,
        OperationCall,
        StepExecutor,
        StepListener,
        StreamConsumer,
        Unset,
    )

__all__ = [
    "AsyncExchange",
    "AsyncExecutor",
    "Engine",
    "Exchange",
    "OperationCall",
    "RunLimits",
    "StepExecutor",
    "StepListener",
    "StreamConsumer",
    "Unset",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "AsyncExchange": "port",
            "AsyncExecutor": "port",
            "Engine": "flow",
            "Exchange": "port",
            "OperationCall": "port",
            "RunLimits": "flow",
            "StepExecutor": "port",
            "StepListener": "port",
            "StreamConsumer": "port",
            "Unset": "port",
        },
    )
