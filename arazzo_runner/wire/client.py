"""The one recipe for the runner's HTTP client, and the caller's transport lent to it.

:func:`make_client` is how every part of the package gets an ``httpx.Client``: the executor's
own, one around a caller's transport (:class:`Borrowed`: used, never closed) and the one the HAR
recorder listens on. Each follows no redirects (a 3xx is the step's answer) and verifies TLS
with one SSL context made once per process.

TLS is set up only when it is needed: loading the CA bundle costs 20-30 ms, which a run against
``http://`` servers (loopback, ``--mock``, a local service) never needs. Unless a transport is
lent, the verifying HTTPS transport is built on the first ``https://`` request; plain
``http://`` goes through a transport whose context verifies but trusts no CA, so it could never
accept a certificate. When the environment names a proxy (``HTTPS_PROXY``...), the client is
httpx's ordinary one, so proxies keep working as before.
"""

from __future__ import annotations

__all__ = ["Borrowed", "Timeouts", "make_client"]

import functools
import ssl
import urllib.request
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


class _LazyTLS(httpx.BaseTransport):
    """httpx's HTTPS transport with the process's verifying context, made on the first request."""

    def __init__(self) -> None:
        self._transport: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.HTTPTransport(verify=_ssl_context())
        return self._transport.handle_request(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _tls_when_needed() -> dict[str, Any]:
    """``httpx.Client`` arguments that load TLS on the first ``https://`` request (none when
    the environment names a proxy: then httpx's own client, with the verifying context)."""
    if urllib.request.getproxies():
        return {"verify": _ssl_context()}
    unloaded = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, trusts no CA: plain HTTP only
    return {"transport": httpx.HTTPTransport(verify=unloaded), "mounts": {"https://": _LazyTLS()}}


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
    tls: dict[str, Any] = (
        _tls_when_needed()
        if transport is None
        else {"transport": Borrowed(transport), "verify": _ssl_context()}
    )
    return httpx.Client(
        timeout=(timeouts or Timeouts()).for_httpx(),
        follow_redirects=False,
        event_hooks=hooks or None,
        **tls,
    )
