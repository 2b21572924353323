"""The ``x-arazzo-stream`` step extension: its settings, read and compiled once.

Shared by validation (a bad setting is an ``arazzo validate`` error at the extension) and by
the executor, which consumes the stream as the settings say (:mod:`arazzo_runner.streaming.consume`,
where the keys are described). Raises :class:`~arazzo_runner.errors.DocumentError` for a bad
shape or value, :class:`~arazzo_runner.errors.ExpressionError` for an ``until`` that does not
parse.
"""

from __future__ import annotations

__all__ = ["KEYS", "STREAM_EXTENSION", "StreamSpec", "stream_spec"]

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arazzo_runner.document.model import Step
from arazzo_runner.errors import DocumentError
from arazzo_runner.expressions import Condition, compile_condition

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
