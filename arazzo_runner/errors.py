"""The one exception tree of arazzo-runner.

Every error the package raises on purpose is an ``ArazzoError``. Each class carries the exit
code the command line uses for it, so only the CLI boundary turns an exception into text and a
process status::

    ArazzoError                      exit 1  (root; never raised directly)
    ├── DocumentError                exit 2  a workflow or OpenAPI file cannot be used
    │   ├── YamlError                        not parseable, duplicate keys, alias bombs, too deep
    │   ├── SourceError                      a source description cannot be read or resolved
    │   └── ValidationFailed                 the document has error diagnostics (``.diagnostics``)
    ├── ExpressionError              exit 2  a runtime expression or condition does not parse
    ├── InputError                   exit 2  workflow inputs are missing or do not match the schema
    ├── RunError                     exit 3  the run cannot go on
    │   ├── TransportError                   connection refused, reset, protocol error
    │   ├── RunTimeout                       connect/first-byte/idle timeout, overall deadline
    │   ├── CredentialsError                 a security scheme needs a credential nobody gave
    │   └── StreamError                      an SSE stream broke or was not an SSE stream
    └── Interrupted                  exit 130 Ctrl-C / SIGINT (``signal_exit`` 143 for SIGTERM)

    Terminated (a KeyboardInterrupt, not an ArazzoError): SIGTERM inside ``arazzo``, exit 143

Expected outcomes (a criterion that fails, a step that answers 404) are *values* in the run
result, never exceptions.

Structured fields (``file``, ``line``, ``column``, ``pointer``, ``step_id``, ``expression``,
``position``) are optional keyword arguments on every class; ``str(error)`` is the message and
``error.location()`` renders ``file:line:col`` when known. Messages never contain secrets: code
that builds a message from request data runs it through :mod:`arazzo_runner.redact` first.
"""

from __future__ import annotations

__all__ = [
    "ArazzoError",
    "CredentialsError",
    "DocumentError",
    "ExpressionError",
    "InputError",
    "Interrupted",
    "RunError",
    "RunTimeout",
    "SourceError",
    "StreamError",
    "Terminated",
    "TransportError",
    "ValidationFailed",
    "YamlError",
]

from typing import Any


class ArazzoError(Exception):
    """Root of every error arazzo-runner raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
        step_id: str | None = None,
        expression: str | None = None,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.step_id = step_id
        self.expression = expression
        self.position = position
        self.hint = hint

    def location(self) -> str:
        """``file:line:col`` (as much as is known), or an empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class DocumentError(ArazzoError):
    """A workflow or OpenAPI document cannot be used."""

    exit_code = 2


class YamlError(DocumentError):
    """The text is not YAML/JSON we accept (syntax, duplicate keys, aliases, depth, size)."""


class SourceError(DocumentError):
    """A source description cannot be read, fetched or resolved."""


class ValidationFailed(DocumentError):
    """The document has one or more error diagnostics."""

    def __init__(self, message: str, diagnostics: Any, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.diagnostics = diagnostics


class ExpressionError(ArazzoError):
    """A runtime expression, template or condition does not parse.

    ``position`` is the 0-based offset into ``expression``; :meth:`caret` draws it.
    """

    exit_code = 2

    def caret(self) -> str:
        """The expression with a caret under the failing position."""
        if self.expression is None or self.position is None:
            return ""
        return f"{self.expression}\n{' ' * self.position}^"


class InputError(ArazzoError):
    """Workflow inputs are missing or do not match the workflow's inputs schema."""

    exit_code = 2


class RunError(ArazzoError):
    """The run cannot go on (network, timeout, credentials)."""

    exit_code = 3


class TransportError(RunError):
    """The server could not be reached or broke the connection."""


class RunTimeout(RunError):
    """A connect, first-byte or idle timeout fired, or the overall deadline passed."""


class CredentialsError(RunError):
    """A security scheme needs a credential that was not given."""


class StreamError(RunError):
    """An SSE stream broke, exceeded a limit, or was not an SSE stream."""


class Interrupted(ArazzoError):
    """The user interrupted the run (SIGINT: 130; SIGTERM: 143)."""

    exit_code = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the ``arazzo`` command in the main thread like Ctrl-C, so every
    ``finally`` closes what it opened; a run it stops ends with exit code 143."""
