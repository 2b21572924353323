"""How ``arazzo run`` shows a run: live SSE events, then the step list or the JSON result.

Every line passes through the run's :class:`~arazzo_runner.redact.Redactor` (see
:func:`cli_redactor`), so no credential given on the command line or found in the environment,
nor a form derived from one, is ever printed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _string
from typing import Any

import click

from arazzo_runner.cli.jmespath_options import truthy
from arazzo_runner.redact import Redactor
from arazzo_runner.reporting import Outcome, report_data, result_lines, summary_table
from arazzo_runner.results import RunResult
from arazzo_runner.streaming import event_value, reported_error, reports_no_error
from arazzo_runner.wire import Credentials

__all__ = ["StreamPrinter", "cli_redactor", "print_outcomes", "print_progress", "print_result"]


def cli_redactor(auth: Mapping[str, str], env: Mapping[str, str]) -> Redactor:
    """A Redactor that knows every credential a run could use and how it could be sent.

    The values of ``--auth`` and of the credential variables of the environment, their
    ``id:secret`` halves, and the forms they take on the wire: percent-encoded (query, cookie)
    and base64 (HTTP Basic). Tokens fetched during a run are masked by header name.
    """
    redactor = Redactor()
    for secret in Credentials.from_sources(auth, env).secrets():
        redactor.add_forms(secret)
    return redactor


class StreamPrinter:
    """The ``--stream`` consumer: prints each event the moment it arrives.

    ``until`` is a compiled JMESPath expression (:mod:`._jmespath`): reading stops at the first
    event whose JSON data makes it true. ``status`` (on a terminal: the live progress of
    :mod:`.progress`, which counts the events) has its status line cleared before each event
    line and drawn again after it.
    """

    def __init__(
        self, *, as_json: bool, until: Any, redactor: Redactor, status: Any = None
    ) -> None:
        self.as_json = as_json
        self.redactor = redactor
        self.until = until
        self.status = status
        self.count = 0
        self.received = 0

    def __call__(self, step_id: str, stream: Any) -> str | None:
        """Print the stream's events; an event whose JSON ``error`` is set (fal's convention)
        ends it and fails the step with that message."""
        started, seen = time.monotonic(), 0
        try:
            for event in stream:
                seen += 1
                self.count += 1
                self.received += len(event.data)
                self._clear()
                self.show(step_id, event, flush=False)
                # a burst leaves in one write; an event that has arrived is never held back
                if self.status is not None or not getattr(stream, "pending", 0):
                    sys.stdout.flush()
                if self.until is None and reports_no_error(event.data):
                    self._counter(step_id, time.monotonic() - started)
                    continue  # nothing to look for in the data: no need to parse it
                data = event_value(event)
                message = reported_error(data)
                if message is not None:
                    return f"the stream reported an error in event {seen}: {message}"
                if self.until is not None and not isinstance(data, str):
                    if truthy(self.until.search(data)):
                        break
                self._counter(step_id, time.monotonic() - started)
        finally:
            sys.stdout.flush()
            self._clear()
        return None

    def _counter(self, step_id: str, elapsed: float) -> None:
        if self.status is not None:
            self.status.redraw()

    def _clear(self) -> None:
        if self.status is not None:
            self.status.clear()

    def show(self, step_id: str, event: Any, *, flush: bool = True) -> None:
        if self.as_json:
            # Exactly the text json.dumps(..., ensure_ascii=False) gives for the same dict, built
            # with its own C string encoder (a stream of small events is bound by this line).
            # JSON escapes every control character, so nothing is left for click.echo to strip.
            retry = "null" if event.retry is None else repr(event.retry)
            line = (
                f'{{"type": "event", "step": {_string(step_id)}, "event": {_string(event.event)}, '
                f'"data": {_string(event.data)}, "id": {_string(event.id)}, "retry": {retry}}}'
            )
            sys.stdout.write(self.redactor.redact_text(line) + "\n")
        else:
            line = f"[{step_id}] #{self.count} {event.event}: {event.data}"
            click.echo(self.redactor.redact_text(line))
        if flush:
            sys.stdout.flush()


_JSON = json.JSONEncoder(ensure_ascii=False)
"""Makes exactly the text ``json.dumps(data, ensure_ascii=False)`` makes, without a new
encoder for every call."""


def _print_data(data: Any, query: Any, redactor: Redactor, text: str | None = None) -> None:
    """``text``, when given, is the JSON of ``data`` (used as is when there is no query)."""
    if query is not None:
        data, text = query.search(data), None
    click.echo(redactor.redact_text(_JSON.encode(data) if text is None else text))


def _redacted(data: Any, redactor: Redactor) -> tuple[Any, str | None]:
    """``redactor.redact_data(data)``, with its JSON text when that is known already.

    The common case skips the walk: when the JSON of ``data`` holds no secret (see
    :meth:`Redactor.clean_json`), ``redact_data`` would return ``data`` unchanged."""
    try:
        text = _JSON.encode(data)
    except (TypeError, ValueError, RecursionError):
        return redactor.redact_data(data), None  # not JSON as it is: as before, the walk first
    if redactor.clean_json(text):
        return data, text
    return redactor.redact_data(data), None


def print_result(
    result: RunResult,
    *,
    as_json: bool,
    query: Any,
    redactor: Redactor,
    streamed: bool = False,
    shown: Any = None,
) -> None:
    """One workflow's result: the step lines and verdict, or (``--json``/``--query``) JSON.

    ``query`` is a compiled JMESPath expression (or None); ``shown`` is the live progress that
    already printed some of the step lines (it says what is left)."""
    if as_json or query is not None:
        data, text = _redacted(result.to_dict(), redactor)
        if streamed and query is None:
            data, text = {"type": "result", **data}, None
        _print_data(data, query, redactor, text)
        return
    lines = shown.result_lines(result) if shown is not None else result_lines(result)
    click.echo(redactor.redact_text("\n".join(lines)))


def print_outcomes(
    outcomes: Sequence[Outcome], *, as_json: bool, query: Any, redactor: Redactor
) -> None:
    """The end of a run of many: the JSON list, or the summary table."""
    if as_json or query is not None:
        _print_data(report_data(outcomes, redactor, many=True), query, redactor)
        return
    click.echo(redactor.redact_text("\n".join(["", *summary_table(outcomes)])))


def print_progress(outcome: Outcome, redactor: Redactor) -> None:
    """In a run of many (not ``--json``): one workflow's lines as soon as it is done."""
    where = f"{outcome.file}#{outcome.workflow_id}" if outcome.workflow_id else outcome.file
    if outcome.result is not None:
        lines = [where, *result_lines(outcome.result)]
    else:
        lines = [f"{where}: error: {outcome.message}"]
    click.echo(redactor.redact_text("\n".join(lines)))
