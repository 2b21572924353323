"""How ``arazzo run`` shows a run: live SSE events, then the step list or the JSON result.

Every line passes through :func:`_mask` so no credential given on the command line or found in
the environment is ever printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..results import RunResult


class StreamPrinter:
    """The ``--stream`` consumer: prints each event the moment it arrives."""

    def __init__(self, *, as_json: bool, until: str | None, secrets: Sequence[str]) -> None:
        self.as_json = as_json
        self.secrets = [s for s in secrets if s]
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
        click.echo(_mask(line, self.secrets))
        sys.stdout.flush()


def print_result(
    result: RunResult,
    *,
    as_json: bool,
    query: str | None,
    secrets: Sequence[str],
    streamed: bool = False,
) -> None:
    data: Any = result.to_dict()
    if query:
        import jmespath

        data = jmespath.search(query, data)
    if as_json or query:
        if streamed and isinstance(data, dict) and not query:
            data = {"type": "result", **data}
        click.echo(_mask(json.dumps(data, ensure_ascii=False), secrets))
        return
    click.echo(_mask(_human(result), secrets))


def _human(result: RunResult) -> str:
    lines = []
    for step in result.steps:
        mark = "ok  " if step.status == "passed" else "FAIL"
        code = "" if step.status_code is None else f" {step.status_code}"
        extra = f" ({step.events} events)" if step.events is not None else ""
        tries = f" x{step.attempts}" if step.attempts > 1 else ""
        lines.append(
            f"  {mark} {step.workflow_id}/{step.step_id}{code}{tries}"
            f" {step.duration_ms:.1f} ms{extra}"
        )
        lines.extend(
            f"       - {f.condition + ': ' if f.condition else ''}{f.reason}" for f in step.failures
        )
    verdict = "passed" if result.passed else "FAILED"
    lines.append(f"{result.workflow_id}: {verdict} in {result.duration_ms:.0f} ms")
    if result.outputs:
        lines.append("outputs: " + json.dumps(result.to_dict()["outputs"], ensure_ascii=False))
    return "\n".join(lines)


def _mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return text
