"""Live progress on a terminal: a status line per running step, replaced by its final line.

``arazzo run`` makes a :class:`LiveProgress` only when stderr is a terminal and the output is
not ``--json``/``--query`` (this module is not even imported otherwise, so pipes, logs and CI
pay nothing). While a step runs, one line on stderr shows it and its elapsed time, redrawn by a
ticker thread; for an event stream also the events so far and their rate, counted as the bytes
arrive (:meth:`LiveProgress.event_hooks` listens on the run's HTTP client, whoever reads the
stream: ``--stream``, ``x-arazzo-stream``). When the step is over the line is cleared and, when
stdout is the terminal too (``final_lines``), the step's own line is printed in its place.

The control sequences (``\\r``, ``ESC [K``) go to the raw terminal; everything taken from the
document or a server is shown with its control characters escaped, as all other output is.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import click
import httpx

from arazzo_runner.errors import StreamError
from arazzo_runner.media import EVENT_STREAM, media_type
from arazzo_runner.redact import Redactor
from arazzo_runner.reporting import result_lines, step_lines
from arazzo_runner.results import RunResult, StepResult
from arazzo_runner.streaming import SSEDecoder

__all__ = ["LiveProgress", "raw_terminal"]

CLEAR = "\r\033[K"
TICK = 0.2  # seconds between redraws
_SPINNER = "-\\|/"


def raw_terminal(stream: TextIO) -> TextIO:
    """The terminal under ``arazzo``'s control-character guard (``_SafeText``), if any."""
    inner = getattr(stream, "raw_stream", None)
    return inner if inner is not None else stream


@dataclass
class _Running:
    label: str
    started: float
    events: int = 0
    first_event: float | None = None


class LiveProgress:
    """The status line; a :class:`~arazzo_runner.engine.StepListener` for the engine."""

    def __init__(
        self,
        terminal: TextIO,
        redactor: Redactor,
        *,
        final_lines: bool,
        clock: Callable[[], float] = time.monotonic,
        visible: Callable[[str], str] = str,
    ) -> None:
        self.terminal = terminal
        self.redactor = redactor
        self.final_lines = final_lines
        self.clock = clock
        self.visible = visible
        self.shown_steps = False  # some step's final line was printed here
        self._running: list[_Running] = []
        self._lock = threading.RLock()
        self._drawn = False
        self._frame = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- lifetime --------------------------------------------------------------------------

    def __enter__(self) -> LiveProgress:
        self._ticker = threading.Thread(target=self._tick, name="arazzo-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
        self.clear()

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            self.redraw()

    # -- the engine's listener -------------------------------------------------------------

    def step_started(self, workflow_id: str, step_id: str) -> None:
        with self._lock:
            self._running.append(_Running(f"{workflow_id}/{step_id}", self.clock()))
            self.redraw()

    def step_finished(self, result: StepResult) -> None:
        with self._lock:
            label = f"{result.workflow_id}/{result.step_id}"
            for index in range(len(self._running) - 1, -1, -1):
                if self._running[index].label == label:
                    del self._running[index]
                    break
            self.clear()
            if self.final_lines:
                self._echo(step_lines(result))
                self.shown_steps = True
            self.redraw()

    def result_lines(self, result: RunResult) -> list[str]:
        """What is left to print of ``result`` after the live lines: the verdict, outputs."""
        lines = result_lines(result)
        return lines[sum(len(step_lines(s)) for s in result.steps) :] if self.shown_steps else lines

    # -- the status line -------------------------------------------------------------------

    def clear(self) -> None:
        """Take the status line away (before anything else is printed on the terminal)."""
        with self._lock:
            if self._drawn:
                self.terminal.write(CLEAR)
                self.terminal.flush()
                self._drawn = False

    def redraw(self) -> None:
        with self._lock:
            if not self._running:
                self.clear()
                return
            self._frame += 1
            line = self._status(self._running[-1])
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self.terminal.write(CLEAR + line[: max(width, 20)])
            self.terminal.flush()
            self._drawn = True

    def _status(self, running: _Running) -> str:
        now = self.clock()
        spin = _SPINNER[self._frame % len(_SPINNER)]
        text = f"  {spin}    {running.label} {now - running.started:.1f} s"
        if running.events:
            text += f"  {running.events} events"
            if running.events > 1 and running.first_event is not None and now > running.first_event:
                rate = (running.events - 1) / (now - running.first_event)
                text += f", {rate:.1f}/s"
        return self.visible(self.redactor.redact_text(text))

    def _echo(self, lines: list[str]) -> None:
        click.echo(self.redactor.redact_text("\n".join(lines)))
        sys.stdout.flush()

    # -- counting events as they arrive ----------------------------------------------------

    def event_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """For the run's ``httpx.Client``: count the events of every event-stream response."""
        return {"response": [self._on_response]}

    def _on_response(self, response: Any) -> None:
        kind = media_type(response.headers.get("content-type"))
        if kind == EVENT_STREAM and isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _Counting(response.stream, self)

    def saw_events(self, count: int) -> None:
        with self._lock:
            if self._running and count:
                running = self._running[-1]
                if running.first_event is None:
                    running.first_event = self.clock()
                running.events += count


class _Counting(httpx.SyncByteStream):
    """A response byte stream that tells the progress how many events passed through it."""

    def __init__(self, inner: httpx.SyncByteStream, progress: LiveProgress) -> None:
        self._inner, self._progress = inner, progress
        self._decoder = SSEDecoder()

    def __iter__(self) -> Iterator[bytes]:
        for data in self._inner:
            try:
                self._progress.saw_events(len(self._decoder.feed(data)))
            except StreamError:  # an oversized event: the stream's own reader reports it
                self._decoder = SSEDecoder()
            yield data

    def close(self) -> None:
        self._inner.close()
