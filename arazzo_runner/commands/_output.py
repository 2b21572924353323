"""How ``arazzo run`` shows a run: live SSE events, then the step list or the JSON result.

Every line passes through the run's :class:`~arazzo_runner.redact.Redactor` (see
:func:`cli_redactor`), so no credential given on the command line or found in the environment,
nor a form derived from one, is ever printed.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import click

from ..auth import Credentials
from ..redact import Redactor
from ..reporting import Outcome
from ..reporting.json_report import report_data
from ..reporting.text import result_lines, summary_table
from ..results import RunResult

__all__ = ["StreamPrinter", "cli_redactor", "print_outcomes", "print_progress", "print_result"]


def cli_redactor(auth: Mapping[str, str], env: Mapping[str, str]) -> Redactor:
    """A Redactor that knows every credential a run could use and how it could be sent.

    The values of ``--auth`` and of the credential variables of the environment, their
    ``id:secret`` halves, and the forms they take on the wire: percent-encoded (query, cookie)
    and base64 (HTTP Basic). Tokens fetched during a run are masked by header name.
    """
    redactor = Redactor()
    for secret in Credentials.from_sources(auth, env).secrets():
        redactor.add(secret)
        redactor.add(quote(secret, safe=""))
        redactor.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
    return redactor


class StreamPrinter:
    """The ``--stream`` consumer: prints each event the moment it arrives."""

    def __init__(self, *, as_json: bool, until: str | None, redactor: Redactor) -> None:
        self.as_json = as_json
        self.redactor = redactor
        self.count = 0
        self.until = None
        if until:
            import jmespath

            self.until = jmespath.compile(until)

    def __call__(self, step_id: str, stream: Any) -> None:
        for event in stream:
            self.count += 1
            self.show(step_id, event)
            if self.until is not None and self._stop(event):
                break

    def _stop(self, event: Any) -> bool:
        try:
            data = json.loads(event.data)
        except ValueError:
            return False
        return bool(self.until.search(data)) if self.until is not None else False

    def show(self, step_id: str, event: Any) -> None:
        if self.as_json:
            line = json.dumps(
                {
                    "type": "event",
                    "step": step_id,
                    "event": event.event,
                    "data": event.data,
                    "id": event.id,
                    "retry": event.retry,
                },
                ensure_ascii=False,
            )
        else:
            line = f"[{step_id}] #{self.count} {event.event}: {event.data}"
        click.echo(self.redactor.redact_text(line))
        sys.stdout.flush()


def _print_data(data: Any, query: str | None, redactor: Redactor) -> None:
    if query:
        import jmespath

        data = jmespath.search(query, data)
    click.echo(redactor.redact_text(json.dumps(data, ensure_ascii=False)))


def print_result(
    result: RunResult,
    *,
    as_json: bool,
    query: str | None,
    redactor: Redactor,
    streamed: bool = False,
) -> None:
    """One workflow's result: the step lines and verdict, or (``--json``/``--query``) JSON."""
    if as_json or query:
        data: Any = redactor.redact_data(result.to_dict())
        if streamed and not query:
            data = {"type": "result", **data}
        _print_data(data, query, redactor)
        return
    click.echo(redactor.redact_text("\n".join(result_lines(result))))


def print_outcomes(
    outcomes: Sequence[Outcome], *, as_json: bool, query: str | None, redactor: Redactor
) -> None:
    """The end of a run of many: the JSON list, or the summary table."""
    if as_json or query:
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
