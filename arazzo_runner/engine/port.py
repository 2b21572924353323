"""The seam between control flow (the engine) and the wire (the executor).

The engine evaluates a step's expressions and hands an :class:`OperationCall` to a
:class:`StepExecutor`; the executor resolves the OpenAPI operation, sends the request and returns
an :class:`Exchange`. Tests and embedders can inject any executor that keeps this contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from arazzo_runner._missing import MISSING
from arazzo_runner.document import ArazzoDocument, Step
from arazzo_runner.errors import ArazzoError
from arazzo_runner.expressions import Message
from arazzo_runner.results import Failure, StepResult, StreamFigures

__all__ = [
    "AsyncExchange",
    "AsyncExecutor",
    "Exchange",
    "OperationCall",
    "StepExecutor",
    "StepListener",
    "StreamConsumer",
    "Unset",
]


@dataclass(frozen=True, slots=True)
class Unset:
    """A parameter value that resolved to nothing because an optional input was not given
    (``expression`` is ``$inputs.<name>``). The executor leaves the parameter out when the
    operation declares it optional, and notes ``reason``; otherwise the step fails."""

    expression: str
    reason: str


@dataclass(frozen=True, slots=True)
class OperationCall:
    """One operation step, with every value already evaluated."""

    document: ArazzoDocument
    workflow_id: str
    step: Step
    parameters: tuple[tuple[str, str | None, Any], ...]  # (name, in, value or Unset)
    payload: Any = MISSING
    content_type: str | None = None
    replacements: tuple[tuple[str, Any], ...] = ()
    security: tuple[Mapping[str, Any], ...] = ()  # Redocly x-security entries, values evaluated


@dataclass(slots=True)
class Exchange:
    """A request and what came back.

    ``request_*``/``response_*`` feed ``$request.*``/``$response.*``. ``response_body`` is parsed
    JSON when the media type is JSON, text or bytes otherwise, and MISSING for an open stream
    nobody consumed. ``error`` is set when no response arrived (the step fails; ``$statusCode``
    is absent). ``problem`` describes a non-2xx answer in one message (status, the server's
    ``detail``, fal's error type and request id, or "HTML error page from a proxy"); the engine
    adds it to the reasons of a step that fails. ``stream`` is an open event stream the engine
    may hand to a consumer;
    ``close()`` releases the connection and must be called once the step is done with it;
    ``figures()`` (set for an event stream) tells how it arrived, once the step is done with it.
    ``notes`` says what the request left out (``omitted: q ($inputs.filter not set)``).
    ``findings`` are what the description checks found (``validation.contract``): each a
    :class:`~arazzo_runner.results.Failure` with its ``check`` and ``severity``; an ``error`` one
    fails the step, a ``warn`` one is reported. A stream's event checks add to it while the
    stream is read.
    """

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_query: dict[str, Any] = field(default_factory=dict)
    request_path: dict[str, Any] = field(default_factory=dict)
    request_body: Any = MISSING
    status_code: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = MISSING
    retry_after: float | None = None
    error: ArazzoError | None = None
    stream: Any = None
    events: int | None = None
    failure: str | None = None
    problem: str | None = None
    closer: Callable[[], None] | None = None
    figures: Callable[[], StreamFigures] | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[Failure] = field(default_factory=list)

    def close(self) -> None:
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()


class StepExecutor(Protocol):
    def execute(self, call: OperationCall) -> Exchange: ...


@dataclass(slots=True)
class AsyncExchange:
    """One AsyncAPI step on its channel (Arazzo 1.1): the channel's ``url``; for a send, the
    payload ``sent``; for a receive, the ``message`` that matched (``$message``), how many
    messages were ``skipped`` (no matching ``correlationId``) and whether the time was up
    (``timed_out``) first. ``error`` is set when the channel could not be used at all."""

    url: str
    sent: Any = MISSING
    message: Message | None = None
    skipped: int = 0
    timed_out: bool = False
    error: ArazzoError | None = None
    notes: list[str] = field(default_factory=list)


class AsyncExecutor(Protocol):
    """Carries AsyncAPI steps; ``until`` is the latest ``time.monotonic()`` to wait until
    (``None``: no bound). ``correlation`` is the step's evaluated ``correlationId`` or
    ``MISSING``; :meth:`close` ends the run's connections."""

    def send(self, call: OperationCall, until: float | None) -> AsyncExchange: ...

    def receive(
        self, call: OperationCall, correlation: Any, until: float | None
    ) -> AsyncExchange: ...


StreamConsumer = Callable[[str, Any], "str | None"]
"""Called as ``consumer(step_id, event_stream)`` with a step's open stream, after the step's
success criteria passed; the engine closes the stream when the consumer returns. A consumer
that returns a message (e.g. the stream reported an error) fails the step with it; ``None``
leaves the step passed."""


class StepListener(Protocol):
    """Told when each attempt of a step starts and when it is over (after its stream was
    handed over), in the engine's thread: live progress listens here. It must not raise."""

    def step_started(self, workflow_id: str, step_id: str) -> None: ...

    def step_finished(self, result: StepResult) -> None: ...
