"""The ``x-arazzo-stream`` step extension: its settings (read and compiled once) and the
consumption of a step's event stream inside the executor.

Validation reads the settings (a bad setting is an ``arazzo validate`` error at the extension,
:class:`~arazzo_runner.errors.DocumentError` for a bad shape or value,
:class:`~arazzo_runner.errors.ExpressionError` for an ``until`` that does not parse); the
executor consumes the stream as they say.

A step that carries ``x-arazzo-stream`` (a mapping) has its ``text/event-stream`` read right
away instead of being handed over open::

    x-arazzo-stream:
      until: $response.body#/partial == false   # simple condition, tried on each event
      maxEvents: 100                            # stop after this many events
      timeout: 120                              # seconds of reading, then stop

Each event's data is parsed as JSON when it is JSON (else kept as text) and exposed as
``$response.body`` to ``until``. Reading stops at the first of: ``until`` holds, ``maxEvents``
events, ``timeout`` seconds, end of stream, or an event whose JSON object has a non-empty
``error`` (fal's convention: the step fails with that message). The stream is then closed, and
``$response.body`` for criteria and outputs is the last event's data. ``until`` is a completion
predicate: when it is given and no event met it, the step fails (a truncated stream).
"""

from __future__ import annotations

__all__ = [
    "KEYS",
    "STREAM_EXTENSION",
    "StreamOutcome",
    "StreamSpec",
    "consume",
    "stream_spec",
]

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document import Step
from arazzo_runner.errors import DocumentError, RunError, RunTimeout, StreamError
from arazzo_runner.expressions import Condition, ExpressionContext, Message, compile_condition
from arazzo_runner.streaming.sse import ServerSentEvent

STREAM_EXTENSION = "x-arazzo-stream"
KEYS = frozenset({"until", "maxEvents", "timeout"})


@dataclass(frozen=True)
class StreamSpec:
    until: Condition | None = None
    max_events: int | None = None
    timeout: float | None = None


def _bad(step: Step, problem: str) -> DocumentError:
    return DocumentError(
        f"step {step.step_id}: {STREAM_EXTENSION} {problem}",
        file=step.loc.file,
        line=step.loc.line,
        column=step.loc.column,
        step_id=step.step_id,
        hint="see docs/streaming.md (x-arazzo-stream)",
    )


def _positive(step: Step, raw: Mapping[str, Any], key: str, integer: bool) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and not isinstance(value, int))
        or value <= 0
    ):
        raise _bad(step, f"{key} must be a positive {'integer' if integer else 'number'}")
    return value


def stream_spec(step: Step) -> StreamSpec | None:
    """The step's ``x-arazzo-stream`` settings, compiled; None when absent."""
    raw = step.extensions.get(STREAM_EXTENSION)
    if raw is None or raw is False:
        return None
    if raw is True:
        return StreamSpec()
    if not isinstance(raw, Mapping):
        raise _bad(step, "must be a mapping (until, maxEvents, timeout)")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise _bad(step, f"has unknown keys: {', '.join(map(str, unknown))}")
    until = raw.get("until")
    if until is not None and not isinstance(until, str):
        raise _bad(step, "until must be a condition string")
    return StreamSpec(
        until=compile_condition(until) if until else None,
        max_events=_positive(step, raw, "maxEvents", integer=True),
        timeout=_positive(step, raw, "timeout", integer=False),
    )


@dataclass
class StreamOutcome:
    body: Any = MISSING
    events: int = 0
    failure: str | None = None
    error: RunError | None = None


def event_value(event: ServerSentEvent) -> Any:
    """The event's data: parsed JSON when it is JSON, else the text."""
    try:
        return json.loads(event.data)
    except ValueError:
        return event.data


_NULL_ERROR = re.compile(r'"error"\s*:\s*null\b')


def reports_no_error(data: str) -> bool:
    """True when ``data`` cannot be a JSON object with a non-empty top-level ``error`` member,
    decided without parsing it (``reported_error(event_value(...))`` would be ``None``).

    Without a ``\\u`` escape, a member named ``error`` can only be spelled ``"error"``. With
    none of those, there is no such member; with exactly one, followed by ``: null``, that one
    is either the member (whose value is null) or text elsewhere, so the top level has none.
    Anything else (an escape, two occurrences, another value) says False: parse it.
    """
    if "\\u" in data:
        return False
    count = data.count('"error"')
    return count == 0 or (count == 1 and _NULL_ERROR.search(data) is not None)


def reported_error(value: Any) -> str | None:
    """The message of a non-empty ``error`` member of an event's JSON object."""
    if not isinstance(value, Mapping):
        return None
    error = value.get("error")
    if not error:
        return None
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else json.dumps(error)


def consume(
    events: Iterator[ServerSentEvent],
    spec: StreamSpec,
    context: ExpressionContext,
    headers: Mapping[str, str],
) -> StreamOutcome:
    """Read ``events`` as ``spec`` says (the caller closes the stream afterwards)."""
    outcome, met, started = StreamOutcome(), False, time.monotonic()
    try:
        for event in events:
            outcome.events += 1
            outcome.body = event_value(event)
            message = reported_error(outcome.body)
            if message is not None:
                outcome.failure = (
                    f"the stream reported an error in event {outcome.events}: {message}"
                )
                return outcome
            if spec.until is not None:
                seen = context.with_(response=Message(headers=headers, body=outcome.body))
                if spec.until.evaluate(seen).passed:
                    met = True
                    break
            if spec.max_events is not None and outcome.events >= spec.max_events:
                break
    except RunTimeout as exc:
        if spec.timeout is None or time.monotonic() - started < spec.timeout - 0.05:
            outcome.error = exc
    except StreamError as exc:
        outcome.error = exc
    if outcome.error is None and spec.until is not None and not met:
        outcome.failure = (
            f"the stream stopped after {outcome.events} events before"
            f" `until` held: {spec.until.source}"
        )
    return outcome
