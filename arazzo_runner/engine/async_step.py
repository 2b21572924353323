"""One AsyncAPI step (Arazzo 1.1 ``action: send`` / ``action: receive``), for the flow.

The step's values are evaluated as for an operation step (parameters, ``requestBody``), then
handed to the injected :class:`~arazzo_runner.engine.port.AsyncExecutor`:

* ``send`` completes once the message is written (the spec: "the step completes immediately
  after the message is sent"; no broker acknowledgement is modelled);
* ``receive`` waits for a message matching the step's ``correlationId`` (evaluated here: a
  value such as ``$steps.start.outputs.requestId``) for at most ``timeout`` milliseconds, and
  never past the run's deadline; none by then fails the step naming it and the timeout
  (``onFailure`` runs as for any failure). The message is ``$message`` for the step's
  ``successCriteria`` and ``outputs``. With ``x-arazzo-stream`` (``until``, ``maxEvents``,
  ``timeout`` in seconds) a receive step reads matching messages until ``until`` holds on one
  (``$message`` is that message) or ``maxEvents`` came; ``$message`` is then the last one.

A receive step with neither ``timeout`` nor a run deadline waits at most
:data:`DEFAULT_RECEIVE_TIMEOUT` seconds: a run never hangs on a silent channel.
"""

from __future__ import annotations

__all__ = ["DEFAULT_RECEIVE_TIMEOUT", "AsyncExecutor", "AsyncSteps"]  # the port, for the flow

from collections.abc import Callable
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document import Step
from arazzo_runner.engine.port import AsyncExchange, AsyncExecutor, OperationCall
from arazzo_runner.engine.scope import Compiler, Scope
from arazzo_runner.engine.values import build_call
from arazzo_runner.errors import ArazzoError, InputError, RunError, RunTimeout
from arazzo_runner.expressions import ExpressionContext, Message
from arazzo_runner.results import Failure, StepResult

DEFAULT_RECEIVE_TIMEOUT = 60.0
"""Seconds a receive step waits when neither its ``timeout`` nor the run bounds it."""


class AsyncSteps:
    """Runs AsyncAPI steps with ``executor`` (None: such a step is an error, saying why)."""

    def __init__(
        self, executor: AsyncExecutor | None, compiler: Compiler, clock: Callable[[], float]
    ) -> None:
        self.executor = executor
        self.compiler = compiler
        self.clock = clock
        self.cause: str | None = None

    def run(
        self, scope: Scope, step: Step, deadline: float | None, result: StepResult
    ) -> tuple[ExpressionContext, str | None]:
        """Send or receive: the step's context (``$message`` set after a receive), and why
        the channel could not be used (``transport``, ``timeout``; the run's exit 3) or None."""
        self.cause = None
        return self._run(scope, step, deadline, result), self.cause

    def _run(
        self, scope: Scope, step: Step, deadline: float | None, result: StepResult
    ) -> ExpressionContext:
        ctx = scope.context()
        if self.executor is None:
            return _error(result, ctx, "AsyncAPI steps need an AsyncExecutor (Runner gives one)")
        try:
            call = build_call(scope, self.compiler, step, ctx, result.notes)
        except InputError as exc:
            return _error(result, ctx, str(exc))
        if step.action == "send":
            exchange = self.executor.send(call, deadline)
            self._record(exchange, result)
            return ctx
        return self._receive(scope, step, call, ctx, deadline, result)

    def _receive(
        self,
        scope: Scope,
        step: Step,
        call: OperationCall,
        ctx: ExpressionContext,
        deadline: float | None,
        result: StepResult,
    ) -> ExpressionContext:
        assert self.executor is not None
        correlation: Any = MISSING
        if step.correlation_id is not None:
            correlation, _ = scope.resolve_value(
                self.compiler, step, "correlationId", step.correlation_id, ctx
            )
            if correlation is MISSING:
                why = f"correlationId {step.correlation_id!r} resolved to nothing"
                return _error(result, ctx, why)
        try:
            from arazzo_runner.streaming import stream_spec

            spec = stream_spec(step)
        except ArazzoError as exc:
            return _error(result, ctx, str(exc))
        until, bound = self._until(step, deadline, spec.timeout if spec else None)
        if spec is None:
            exchange = self.executor.receive(call, correlation, until)
            self._record(exchange, result)
            if exchange.timed_out:
                _timed_out(result, step, correlation, bound, exchange.skipped)
            elif exchange.skipped:
                result.notes.append(
                    f"skipped {exchange.skipped} message(s) of other correlationIds"
                )
            return ctx if exchange.message is None else ctx.with_(message=exchange.message)
        count, last, skipped, met = 0, None, 0, False
        while spec.max_events is None or count < spec.max_events:
            exchange = self.executor.receive(call, correlation, until)
            skipped += exchange.skipped
            self._record(exchange, result)
            if exchange.message is None:
                break
            count, last = count + 1, exchange.message
            if spec.until is not None:
                seen = ctx.with_(message=last, response=Message(body=last.body))
                if spec.until.evaluate(seen).passed:
                    met = True
                    break
        result.events = count
        if result.status == "passed" and count == 0:
            _timed_out(result, step, correlation, bound, skipped)
        elif result.status == "passed" and spec.until is not None and not met:
            why = f"{count} message(s) came before `until` held ({spec.until.source})"
            result.status = "failed"
            result.failures.append(Failure(f"step {step.step_id}: {why}"))
        return ctx if last is None else ctx.with_(message=last)

    def _until(
        self, step: Step, deadline: float | None, stream_seconds: float | None
    ) -> tuple[float | None, str]:
        """The latest instant to wait until, and how to name that bound in a failure."""
        now = self.clock()
        bounds: list[tuple[float, str]] = []
        if step.timeout is not None:
            bounds.append((now + step.timeout / 1000, f"the step's timeout of {step.timeout} ms"))
        if stream_seconds is not None:
            bounds.append(
                (now + stream_seconds, f"x-arazzo-stream timeout of {stream_seconds:g} s")
            )
        if deadline is not None:
            bounds.append((deadline, "the run's deadline"))
        if not bounds:
            seconds = DEFAULT_RECEIVE_TIMEOUT
            bounds.append((now + seconds, f"the default receive timeout of {seconds:g} s"))
        return min(bounds, key=lambda b: b[0])

    def _record(self, exchange: AsyncExchange, result: StepResult) -> None:
        if isinstance(exchange.error, RunError):
            self.cause = "timeout" if isinstance(exchange.error, RunTimeout) else "transport"
        result.url = exchange.url or result.url
        result.notes.extend(n for n in exchange.notes if n not in result.notes)
        exchange.notes.clear()
        if exchange.error is not None and result.status == "passed":
            result.status = "error"
            result.failures.append(Failure(str(exchange.error)))


def _error(result: StepResult, ctx: ExpressionContext, reason: str) -> ExpressionContext:
    result.status = "error"
    result.failures.append(Failure(reason))
    return ctx


def _timed_out(result: StepResult, step: Step, correlation: Any, bound: str, skipped: int) -> None:
    if result.status != "passed":
        return
    matching = "" if correlation is MISSING else f" matching correlationId {correlation!r}"
    others = f" ({skipped} other message(s) skipped)" if skipped else ""
    result.status = "failed"
    result.failures.append(
        Failure(
            f"step {step.step_id}: no message{matching} arrived within {bound}{others}",
            source="timeout",
        )
    )
