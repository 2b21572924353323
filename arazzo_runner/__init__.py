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
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ArazzoError",
    "Diagnostic",
    "EventStream",
    "RunResult",
    "Runner",
    "ServerSentEvent",
    "Severity",
    "StepResult",
    "__version__",
    "load",
    "run",
    "validate",
]

_LAZY = {
    "ArazzoError": "arazzo_runner.errors",
    "Diagnostic": "arazzo_runner.diagnostics",
    "EventStream": "arazzo_runner.event_stream",
    "RunResult": "arazzo_runner.results",
    "Runner": "arazzo_runner.runner",
    "ServerSentEvent": "arazzo_runner.sse",
    "Severity": "arazzo_runner.diagnostics",
    "StepResult": "arazzo_runner.results",
    "load": "arazzo_runner.runner",
    "run": "arazzo_runner.runner",
    "validate": "arazzo_runner.runner",
}

if TYPE_CHECKING:
    from .diagnostics import Diagnostic, Severity
    from .errors import ArazzoError
    from .event_stream import EventStream
    from .results import RunResult, StepResult
    from .runner import Runner, load, run, validate
    from .sse import ServerSentEvent


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo_runner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
