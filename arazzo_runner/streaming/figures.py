"""How a stream arrived: time to first byte and first event, and the gaps between events.

:class:`Arrivals` is fed once per read that decoded events (the read's time and how many), not
once per event, so it costs one clock call per read on the hot path. Events decoded from one
read arrived together: their gaps are zero and only counted. The other gaps are kept in a
reservoir of at most :data:`SAMPLE` values (Vitter's algorithm R with a fixed seed), so the
percentiles are exact up to that many reads and an unbiased estimate beyond, and memory stays
flat however long the stream runs; the largest gap is always exact. Percentiles are
nearest-rank (the smallest gap with at least p % of the gaps at or below it).

Times are milliseconds from when the request was sent (``sent_at``): the first byte is the
answer's status line and headers (what ``curl`` calls ``time_starttransfer``), the first event
the first complete event decoded from the body.
"""

from __future__ import annotations

import math
import random

from arazzo_runner.results import StreamFigures

__all__ = ["SAMPLE", "Arrivals"]

SAMPLE = 4096


class Arrivals:
    """Arrival times of a stream's events; see the module docstring."""

    __slots__ = (
        "_last",
        "_random",
        "first",
        "gaps",
        "largest",
        "opened_at",
        "seen",
        "sent_at",
        "zeros",
    )

    def __init__(self, sent_at: float | None, opened_at: float) -> None:
        self.sent_at = sent_at
        self.opened_at = opened_at
        self.first: float | None = None
        self._last = 0.0
        self.gaps: list[float] = []  # the reservoir of non-zero gaps, in seconds
        self.seen = 0  # non-zero gaps observed (kept or not)
        self.zeros = 0  # gaps between events decoded from the same read
        self.largest = 0.0
        self._random: random.Random | None = None

    def arrived(self, now: float, count: int) -> None:
        """``count`` events were decoded from one read at ``now`` (``time.monotonic()``)."""
        if self.first is None:
            self.first = now
        else:
            self._gap(now - self._last)
        self.zeros += count - 1
        self._last = now

    def _gap(self, gap: float) -> None:
        self.seen += 1
        if gap > self.largest:
            self.largest = gap
        if len(self.gaps) < SAMPLE:
            self.gaps.append(gap)
            return
        if self._random is None:
            self._random = random.Random(0)  # noqa: S311 - sampling, not secrecy
        slot = self._random.randrange(self.seen)
        if slot < SAMPLE:
            self.gaps[slot] = gap

    def figures(self, events: int) -> StreamFigures:
        """The figures so far; ``events`` is how many were handed to the consumer."""
        origin = self.opened_at if self.sent_at is None else self.sent_at
        first_byte = None if self.sent_at is None else _ms(self.opened_at - self.sent_at)
        first_event = None if self.first is None else _ms(self.first - origin)
        ordered = sorted(self.gaps)
        return StreamFigures(
            first_byte_ms=first_byte,
            first_event_ms=first_event,
            events=events,
            gap_p50_ms=self._percentile(ordered, 50),
            gap_p99_ms=self._percentile(ordered, 99),
            gap_max_ms=_ms(self.largest) if self.seen or self.zeros else None,
        )

    def _percentile(self, ordered: list[float], percent: float) -> float | None:
        total = self.zeros + self.seen
        if total == 0:
            return None
        rank = max(math.ceil(percent / 100 * total), 1)
        if rank <= self.zeros:
            return 0.0
        share = (rank - self.zeros) / self.seen  # the quantile among the non-zero gaps
        index = min(max(math.ceil(share * len(ordered)) - 1, 0), len(ordered) - 1)
        return _ms(ordered[index])


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
