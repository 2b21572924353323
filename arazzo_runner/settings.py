"""Run settings: the bounds of a run, parsed once at the edge and passed down as one value.

:class:`RunSettings` holds the overall deadline (``timeout``), the stream bounds
(``idle_timeout``, ``first_byte_timeout``) and the step budget (``max_steps``). The defaults
are written here and nowhere else; everywhere below the edge ``None`` means *no bound*, never
*the default*. The command line and the Python API build one value (an invalid one raises
:class:`ValueError` naming the field) and the runner hands it to the engine and the wire.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "DEFAULT_FIRST_BYTE_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_STEPS",
    "RunSettings",
]

DEFAULT_IDLE_TIMEOUT = 15.0
"""Seconds of silence allowed inside a stream (fal's own client uses 15 s)."""
DEFAULT_FIRST_BYTE_TIMEOUT = 60.0
"""Seconds from opening a stream to its first body byte."""
DEFAULT_MAX_STEPS = 1000
"""Steps one run may execute (goto loops and retries included)."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    """The bounds of one run; ``None`` for a timeout means no bound."""

    timeout: float | None = None
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT
    first_byte_timeout: float | None = DEFAULT_FIRST_BYTE_TIMEOUT
    max_steps: int = DEFAULT_MAX_STEPS

    def __post_init__(self) -> None:
        for name in ("timeout", "idle_timeout", "first_byte_timeout"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number of seconds or None, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive, finite number of seconds or None")
        steps = self.max_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"max_steps must be a whole number of at least 1, got {steps!r}")

    def due(self, now: float) -> float | None:
        """The run's deadline on the clock that read ``now`` (None: no deadline)."""
        return None if self.timeout is None else now + self.timeout
