"""How long an SSE stream's next read may wait, and the watchdog that enforces it (sync).

:class:`Bounds` turns ``first_byte_timeout``, ``idle_timeout`` and ``deadline`` into the wait
for the next read and the bound's description; :class:`Watchdog` is the per-stream thread that
shuts the socket down when a blocked read outlives it. Used by
:mod:`arazzo_runner.streaming.event_stream`, which documents the behaviour.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx

__all__ = ["Bounds", "Watchdog", "start_watchdog"]


class Bounds:
    """Computes how long the next read may wait, and which bound that is."""

    def __init__(
        self, first_byte: float | None, idle: float | None, deadline: float | None
    ) -> None:
        for name, value in (("first_byte_timeout", first_byte), ("idle_timeout", idle)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive or None")
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be positive or None")
        self.first_byte, self.idle, self.deadline = first_byte, idle, deadline
        self.started = 0.0
        self.got_byte = False

    def next_read(self, now: float) -> tuple[float | None, str]:
        """Seconds the next read may wait (``None``: forever) and the bound's description."""
        limits: list[tuple[float, str]] = []
        if self.deadline is not None:
            limits.append(
                (self.started + self.deadline - now, f"deadline={self.deadline:g} s passed")
            )
        if self.got_byte and self.idle is not None:
            limits.append((self.idle, f"idle_timeout={self.idle:g} s: no byte arrived in time"))
        elif not self.got_byte and self.first_byte is not None:
            limits.append(
                (
                    self.started + self.first_byte - now,
                    f"first_byte_timeout={self.first_byte:g} s: the body did not start in time",
                )
            )
        if not limits:
            return None, ""
        wait, label = min(limits)
        return max(wait, 0.0), label


class Watchdog:
    """One thread per sync stream: shuts the socket down if a read outlives its bound.

    ``arm`` notifies the thread only when the new due time is earlier than the one it waits
    for, so a busy stream costs a lock per read and no wake-ups.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._cond = threading.Condition()
        self._due: float | None = None
        self._target: float | None = None
        self._stopped = False
        self.fired = False
        self._thread = threading.Thread(target=self._run, name="arazzo-sse-watchdog", daemon=True)
        self._thread.start()

    def arm(self, due: float) -> None:
        with self._cond:
            self._due = due
            if self._target is None or due < self._target:
                self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._due = None

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                due = self._due
                self._target = due
                if due is None:
                    self._cond.wait()
                    continue
                remaining = due - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self.fired = True
                self._stopped = True
                try:  # the base-class method: an SSLSocket's own shutdown drops its SSL object
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
                except OSError:
                    pass


def start_watchdog(response: httpx.Response, bounds: Bounds) -> Watchdog | None:
    if bounds.first_byte is None and bounds.idle is None and bounds.deadline is None:
        return None
    stream = response.extensions.get("network_stream")
    get_info = getattr(stream, "get_extra_info", None)
    sock = get_info("socket") if callable(get_info) else None
    return Watchdog(sock) if isinstance(sock, socket.socket) else None
