"""The one recipe for the runner's HTTP client, and the caller's transport lent to it.

:func:`make_client` is how every part of the package gets an ``httpx.Client``: the executor's
own, one around a caller's transport (:class:`Borrowed`: used, never closed) and the one the HAR
recorder listens on. Each follows no redirects (a 3xx is the step's answer) and verifies TLS
with one SSL context made once per process.
"""

from __future__ import annotations

__all__ = ["Borrowed", "Timeouts", "make_client"]

import functools
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Timeouts:
    """Seconds for the HTTP client; ``None`` disables one."""

    connect: float | None = 10.0
    read: float | None = 30.0
    write: float | None = 30.0
    pool: float | None = 10.0

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once per process: loading the CA bundle takes
    about 25 ms, which every run's new client paid again (``bench/soak.py``)."""
    return httpx.create_ssl_context()


class Borrowed(httpx.BaseTransport):
    """Sends through ``transport``; ``close()`` leaves it open (its owner closes it)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        pass


def make_client(
    timeouts: Timeouts | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
) -> httpx.Client:
    """A client with ``timeouts`` (the defaults when None) that follows no redirects; over a
    borrowed ``transport`` when given (it stays open when the client closes)."""
    hooks = {name: list(found) for name, found in (event_hooks or {}).items()}
    return httpx.Client(
        timeout=(timeouts or Timeouts()).for_httpx(),
        follow_redirects=False,
        transport=None if transport is None else Borrowed(transport),
        verify=_ssl_context(),
        event_hooks=hooks or None,
    )
