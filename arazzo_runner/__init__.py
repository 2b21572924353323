"""arazzo-runner: run and validate Arazzo 1.0.x and 1.1.x workflows.

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
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"


_LAZY: dict[str, str] = {
    "ArazzoError": "arazzo_runner.errors",
    "AsyncEventStream": "arazzo_runner.streaming",
    "CredentialsError": "arazzo_runner.errors",
    "Diagnostic": "arazzo_runner.diagnostics",
    "DocumentError": "arazzo_runner.errors",
    "EventStream": "arazzo_runner.streaming",
    "Excerpt": "arazzo_runner.results",
    "ExpressionError": "arazzo_runner.errors",
    "Failure": "arazzo_runner.results",
    "InputError": "arazzo_runner.errors",
    "Interrupted": "arazzo_runner.errors",
    "NotAnEventStream": "arazzo_runner.streaming",
    "RunError": "arazzo_runner.errors",
    "RunResult": "arazzo_runner.results",
    "RunTimeout": "arazzo_runner.errors",
    "Runner": "arazzo_runner.runner",
    "ServerSentEvent": "arazzo_runner.streaming",
    "Severity": "arazzo_runner.diagnostics",
    "SourceError": "arazzo_runner.errors",
    "StepResult": "arazzo_runner.results",
    "StreamConsumer": "arazzo_runner.engine",
    "StreamingRun": "arazzo_runner.streaming",
    "Terminated": "arazzo_runner.errors",
    "StreamError": "arazzo_runner.errors",
    "TransportError": "arazzo_runner.errors",
    "ValidationFailed": "arazzo_runner.errors",
    "Workspace": "arazzo_runner.document",
    "YamlError": "arazzo_runner.errors",
    "aload": "arazzo_runner.runner",
    "arun": "arazzo_runner.runner",
    "avalidate": "arazzo_runner.runner",
    "load": "arazzo_runner.runner",
    "run": "arazzo_runner.runner",
    "validate": "arazzo_runner.runner",
}
"""Each public name and the module it comes from (the package faces, the base, the runner)."""

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
"""The facade: sorted, and exactly the names of ``_LAZY`` plus ``__version__`` (tested)."""

if TYPE_CHECKING:
    from arazzo_runner.diagnostics import Diagnostic, Severity
    from arazzo_runner.document import Workspace
    from arazzo_runner.engine import StreamConsumer
    from arazzo_runner.errors import (
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
    from arazzo_runner.results import Excerpt, Failure, RunResult, StepResult
    from arazzo_runner.runner import Runner, aload, arun, avalidate, load, run, validate
    from arazzo_runner.streaming import (
        AsyncEventStream,
        EventStream,
        NotAnEventStream,
        ServerSentEvent,
        StreamingRun,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo_runner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
