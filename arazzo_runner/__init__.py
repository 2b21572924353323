"""arazzo-runner: run and validate Arazzo 1.0.x workflows.

The public facade. Importing the package is cheap and has no side effects: it configures no
logging, prints nothing, and imports no HTTP or OpenAPI machinery until a name is used
(attributes load lazily, PEP 562).

    import arazzo_runner
    diagnostics = arazzo_runner.validate("workflows/petstore.arazzo.yaml")
    result = arazzo_runner.run("workflows/petstore.arazzo.yaml", inputs={...},
                               servers={"petstore": "http://127.0.0.1:8000"})
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ArazzoError",
    "AsyncEventStream",
    "CredentialsError",
    "Diagnostic",
    "DocumentError",
    "EventStream",
    "Excerpt",
    "ExpressionError",
    "Failure",
    "InputError",
    "Interrupted",
    "NotAnEventStream",
    "RunError",
    "RunResult",
    "RunTimeout",
    "Runner",
    "ServerSentEvent",
    "Severity",
    "SourceError",
    "StepResult",
    "StreamConsumer",
    "StreamError",
    "StreamingRun",
    "Terminated",
    "TransportError",
    "ValidationFailed",
    "Workspace",
    "YamlError",
    "__version__",
    "aload",
    "arun",
    "avalidate",
    "load",
    "run",
    "validate",
]

_LAZY = {
    "ArazzoError": "arazzo_runner.errors",
    "AsyncEventStream": "arazzo_runner.event_stream",
    "CredentialsError": "arazzo_runner.errors",
    "Diagnostic": "arazzo_runner.diagnostics",
    "DocumentError": "arazzo_runner.errors",
    "EventStream": "arazzo_runner.event_stream",
    "Excerpt": "arazzo_runner.results",
    "ExpressionError": "arazzo_runner.errors",
    "Failure": "arazzo_runner.results",
    "InputError": "arazzo_runner.errors",
    "Interrupted": "arazzo_runner.errors",
    "NotAnEventStream": "arazzo_runner.event_stream",
    "RunError": "arazzo_runner.errors",
    "RunResult": "arazzo_runner.results",
    "RunTimeout": "arazzo_runner.errors",
    "Runner": "arazzo_runner.runner",
    "ServerSentEvent": "arazzo_runner.sse",
    "Severity": "arazzo_runner.diagnostics",
    "SourceError": "arazzo_runner.errors",
    "StepResult": "arazzo_runner.results",
    "StreamConsumer": "arazzo_runner.calls",
    "StreamingRun": "arazzo_runner.streaming_run",
    "Terminated": "arazzo_runner.errors",
    "StreamError": "arazzo_runner.errors",
    "TransportError": "arazzo_runner.errors",
    "ValidationFailed": "arazzo_runner.errors",
    "Workspace": "arazzo_runner.workspace",
    "YamlError": "arazzo_runner.errors",
    "aload": "arazzo_runner.runner",
    "arun": "arazzo_runner.runner",
    "avalidate": "arazzo_runner.runner",
    "load": "arazzo_runner.runner",
    "run": "arazzo_runner.runner",
    "validate": "arazzo_runner.runner",
}

if TYPE_CHECKING:
    from .calls import StreamConsumer
    from .diagnostics import Diagnostic, Severity
    from .errors import (
        ArazzoError,
        CredentialsError,
        DocumentError,
        ExpressionError,
        InputError,
        Interrupted,
        RunError,
        RunTimeout,
        SourceError,
        StreamError,
        Terminated,
        TransportError,
        ValidationFailed,
        YamlError,
    )
    from .event_stream import AsyncEventStream, EventStream, NotAnEventStream
    from .results import Excerpt, Failure, RunResult, StepResult
    from .runner import Runner, aload, arun, avalidate, load, run, validate
    from .sse import ServerSentEvent
    from .streaming_run import StreamingRun
    from .workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo_runner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _Facade(types.ModuleType):
    """Keeps facade names when a same-named submodule is imported.

    Importing ``arazzo_runner.validate`` (the module) would otherwise rebind the package's
    ``validate`` to that module; ``from arazzo_runner.validate import ...`` still works.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
