"""The HTML report's charts as inline SVG: the run's timeline and a stream's events over time.

Pure functions from numbers to ``<svg>`` text; no script, no external reference. Every text
they write is XML-escaped by the caller's values (ids) passing through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from arazzo_runner.reporting.graph_svg import STATUS_FILL

__all__ = ["Bar", "StreamTrace", "event_chart", "gap_figures", "timeline_svg"]

MAX_TICKS = 2000
"""Events drawn one by one; a longer stream is drawn as its cumulative curve only."""
_LABEL_W, _PLOT_W, _ROW_H = 190, 640, 26


@dataclass(frozen=True, slots=True)
class Bar:
    """One attempt of a step on the timeline (milliseconds from the run's start)."""

    row: str
    start_ms: float
    duration_ms: float
    status: str
    waited_ms: float = 0.0
    attempt: int = 1
    anchor: str = ""  # the id of the attempt's section, for a link
    events_ms: tuple[float, ...] = ()  # event arrival times since the request started


@dataclass(frozen=True, slots=True)
class StreamTrace:
    """What the recording saw of one streamed response."""

    first_byte_ms: float | None
    events_ms: tuple[float, ...]
    complete: bool


def _ticks(total_ms: float) -> list[float]:
    """About five round tick values from 0 to ``total_ms``."""
    if total_ms <= 0:
        return [0.0]
    raw = total_ms / 5
    step = next(s for s in _steps(raw) if s >= raw)
    count = int(total_ms // step) + 1
    return [i * step for i in range(count)]


def _steps(raw: float) -> list[float]:
    scale = 1.0
    while scale * 10 < raw:
        scale *= 10
    while scale > raw and scale > 0.001:
        scale /= 10
    return [scale * m for m in (1, 2, 5, 10, 20, 50)]


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def timeline_svg(bars: Sequence[Bar], total_ms: float, *, uid: str = "t") -> str:
    """A Gantt chart: a row per step, a bar per attempt (status colour), the retry wait
    before an attempt hatched, a tick per stream event on its bar."""
    rows = list(dict.fromkeys(bar.row for bar in bars))
    span = max(total_ms, max((_end(b) for b in bars), default=0.0), 0.001)
    scale = _PLOT_W / span
    height = 30 + len(rows) * _ROW_H + 24
    width = _LABEL_W + _PLOT_W + 110  # room for the last bar's label
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif"'
        f' role="img"><defs><pattern id="{uid}-wait" width="6" height="6"'
        ' patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="3" height="6" fill="#cbd5e1"/></pattern>'
        "</defs>"
    ]
    axis_y = 20 + len(rows) * _ROW_H
    for tick in _ticks(span):
        x = _LABEL_W + tick * scale
        out.append(
            f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{axis_y}" stroke="#e2e8f0"/>'
            f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="10" text-anchor="middle"'
            f' fill="#64748b">{_ms(tick)}</text>'
        )
    for index, row in enumerate(rows):
        y = 20 + index * _ROW_H
        out.append(
            f'<text x="{_LABEL_W - 8}" y="{y + 16}" font-size="11" text-anchor="end"'
            f' fill="#0f172a">{escape(row[-32:])}</text>'
        )
    for bar in bars:
        out.append(_bar(bar, 20 + rows.index(bar.row) * _ROW_H, scale, uid))
    out.append("</svg>")
    return "".join(out)


def _end(bar: Bar) -> float:
    """Where the attempt's bar ends: its own time, or its last event when read after it."""
    return bar.start_ms + max([bar.duration_ms, *bar.events_ms[-1:]])


def _bar_title(bar: Bar) -> str:
    return (
        f"{bar.row} attempt {bar.attempt}: {bar.status}, started at {_ms(bar.start_ms)},"
        f" took {_ms(bar.duration_ms)}"
        + (f", after waiting {_ms(bar.waited_ms)} to retry" if bar.waited_ms else "")
        + (f", {len(bar.events_ms)} events" if bar.events_ms else "")
    )


def _bar(bar: Bar, y: float, scale: float, uid: str) -> str:
    fill, stroke = STATUS_FILL.get(bar.status, STATUS_FILL[None])
    x = _LABEL_W + bar.start_ms * scale
    own = w = max(bar.duration_ms * scale, 2.0)
    parts = [f'<g class="bar {escape(bar.status)}"><title>{escape(_bar_title(bar))}</title>']
    if bar.waited_ms:
        wx = max(_LABEL_W, x - bar.waited_ms * scale)
        parts.append(
            f'<rect class="wait" x="{wx:.1f}" y="{y + 6}" width="{max(x - wx, 1):.1f}"'
            f' height="10" fill="url(#{uid}-wait)"/>'
        )
    streamed = max(bar.events_ms[-1:] or [0.0]) * scale - w  # read after the step's own time
    if streamed > 1:
        parts.append(
            f'<rect class="streaming" x="{x + w:.1f}" y="{y + 6}" width="{streamed:.1f}"'
            f' height="10" fill="#dbeafe" stroke="#93c5fd"/>'
        )
        w += streamed
    link_open = f'<a href="#{escape(bar.anchor)}">' if bar.anchor else ""
    link_close = "</a>" if bar.anchor else ""
    parts.append(
        f'{link_open}<rect x="{x:.1f}" y="{y + 3}" width="{own:.1f}" height="16" rx="3"'
        f' fill="{fill}" stroke="{stroke}"/>{link_close}'
    )
    for at in bar.events_ms[:MAX_TICKS]:
        ex = x + at * scale
        parts.append(
            f'<line x1="{ex:.1f}" y1="{y + 5}" x2="{ex:.1f}" y2="{y + 17}" stroke="#1d4ed8"/>'
        )
    label_x = x + w + 4
    parts.append(
        f'<text x="{label_x:.1f}" y="{y + 15}" font-size="10" fill="#334155">'
        f"{_ms(bar.duration_ms)}{f' #{bar.attempt}' if bar.attempt > 1 else ''}"
        f"{f' ({len(bar.events_ms)} events)' if bar.events_ms else ''}</text></g>"
    )
    return "".join(parts)


def gap_figures(events_ms: Sequence[float]) -> dict[str, float]:
    """Largest and median gap between events, and events per second (empty below 2 events)."""
    if len(events_ms) < 2:
        return {}
    gaps = sorted(b - a for a, b in zip(events_ms, events_ms[1:], strict=False))
    span = events_ms[-1] - events_ms[0]
    figures = {"max_gap": gaps[-1], "median_gap": gaps[len(gaps) // 2]}
    if span > 0:
        figures["rate"] = (len(events_ms) - 1) / (span / 1000)
    return figures


def event_chart(trace: StreamTrace) -> str:
    """Events over time since the request was sent: the cumulative count, a tick per event,
    time to first byte and to first event marked."""
    events = trace.events_ms
    width, height, left, bottom = 660, 150, 46, 26
    plot_w, plot_h = width - left - 14, height - bottom - 14
    span = max([*events[-1:], trace.first_byte_ms or 0.0, 0.001]) * 1.04
    sx, sy = plot_w / span, plot_h / max(len(events), 1)
    base = 14 + plot_h
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="events" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif"'
        ' role="img">',
        f'<rect x="{left}" y="14" width="{plot_w}" height="{plot_h}" fill="#f8fafc"'
        ' stroke="#e2e8f0"/>',
    ]
    for tick in _ticks(span):
        x = left + tick * sx
        out.append(
            f'<text x="{x:.1f}" y="{base + 16}" font-size="10" text-anchor="middle"'
            f' fill="#64748b">{_ms(tick)}</text>'
        )
    out.append(
        f'<text x="{left - 6}" y="20" font-size="10" text-anchor="end" fill="#64748b">'
        f"{len(events)}</text>"
        f'<text x="{left - 6}" y="{base}" font-size="10" text-anchor="end" fill="#64748b">0</text>'
    )
    if trace.first_byte_ms is not None:
        x = left + trace.first_byte_ms * sx
        out.append(
            f'<line class="ttfb" x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{base}" stroke="#a16207"'
            ' stroke-dasharray="3 2"><title>response headers (time to first byte)</title></line>'
        )
    out.append(_curve(events, left, base, sx, sy))
    out.append("</svg>")
    return "".join(out)


def _curve(events: Sequence[float], left: float, base: float, sx: float, sy: float) -> str:
    if not events:
        return ""
    step = max(1, len(events) // 500)  # at most ~500 corners on the curve
    points = [f"M{left:.1f},{base:.1f}"]
    for index in range(0, len(events), step):
        x = left + events[index] * sx
        points.append(f"H{x:.1f}V{base - (index + 1) * sy:.1f}")
    last_x = left + events[-1] * sx
    points.append(f"H{last_x:.1f}V{base - len(events) * sy:.1f}")
    out = [f'<path class="cumulative" d="{"".join(points)}" fill="none" stroke="#1d4ed8"/>']
    if len(events) <= MAX_TICKS:
        ticks = "".join(
            f'<line x1="{left + at * sx:.1f}" y1="{base}" x2="{left + at * sx:.1f}"'
            f' y2="{base - 6}" stroke="#1d4ed8"/>'
            for at in events
        )
        out.append(f'<g class="ticks">{ticks}</g>')
    first = left + events[0] * sx
    out.append(
        f'<line class="first-event" x1="{first:.1f}" y1="14" x2="{first:.1f}" y2="{base}"'
        ' stroke="#16a34a" stroke-dasharray="3 2"><title>first event</title></line>'
    )
    return "".join(out)
