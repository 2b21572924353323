"""A run whose stream events are iterated by the caller, as they arrive.

    with runner.stream("workflows/fal-ai-stream-inference-workflow.yml", inputs=...) as run:
        for step_id, event in run:
            print(step_id, event.json())
    print(run.result.status)

The workflow runs in a worker thread with a stream consumer that hands each event over through a
small bounded queue (so a slow reader holds the stream back instead of buffering it). Leaving
the loop early, ``close()`` or leaving the ``with`` block stops the hand-over: the worker
closes the step's stream at its next event (or when a stream bound fires) and the workflow
goes on as it would after a callback consumer returned. ``result`` waits for the run to end and
returns its :class:`~arazzo_runner.results.RunResult`; an exception that stopped the run
(invalid document or inputs, could not run) is raised from the loop and from ``result``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arazzo_runner.results import RunResult
    from arazzo_runner.streaming.sse import ServerSentEvent

Consumer = Callable[[str, Any], None]
"""What a run calls with ``(step_id, open stream)`` for each streaming step."""

__all__ = ["StreamingRun"]

_DONE = object()
_HAND_OVER_SECONDS = 0.1  # how often a blocked hand-over looks for close()


class StreamingRun:
    """Iterate ``(step_id, event)`` pairs of a run's streaming steps; then read ``result``.

    ``start(consumer)`` runs the workflow (in a worker thread) with ``consumer`` as its stream
    consumer and returns the run's result: :meth:`arazzo_runner.Runner.stream` passes a copy
    of the runner's own ``run``. This module never sees the runner itself.
    """

    def __init__(self, start: Callable[[Consumer], RunResult], *, buffer: int = 64) -> None:
        self._items: queue.Queue[Any] = queue.Queue(maxsize=max(1, buffer))
        self._stopped = threading.Event()
        self._finished = False
        self._result: RunResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(start,), daemon=True)
        self._thread.start()

    def _consume(self, step_id: str, stream: Any) -> None:
        for event in stream:
            if not self._hand_over((step_id, event)):
                return  # the caller stopped: returning closes the stream

    def _hand_over(self, item: Any) -> bool:
        while not self._stopped.is_set():
            try:
                self._items.put(item, timeout=_HAND_OVER_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, start: Callable[[Consumer], RunResult]) -> None:
        try:
            self._result = start(self._consume)
        except BaseException as exc:  # handed to the caller's thread, raised there
            self._error = exc
        finally:
            self._hand_over(_DONE)

    def __iter__(self) -> Iterator[tuple[str, ServerSentEvent]]:
        return self

    def __next__(self) -> tuple[str, ServerSentEvent]:
        if self._finished or self._stopped.is_set():
            raise StopIteration
        item = self._items.get()
        if item is _DONE:
            self._finished = True
            if self._error is not None:
                raise self._error
            raise StopIteration
        step_id, event = item
        return step_id, event

    def close(self) -> None:
        """Stop receiving events; the workflow itself runs on to its end."""
        self._stopped.set()
        while True:
            try:
                self._items.get_nowait()
            except queue.Empty:
                return

    @property
    def result(self) -> RunResult:
        """The run's result, once it ended (waits for it)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def __enter__(self) -> StreamingRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
