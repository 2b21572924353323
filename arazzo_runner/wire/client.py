"""The HTTP client recipes: the executor's own client, and a caller's transport lent to one.

:func:`make_client` is the client a run makes for itself: no redirects followed, and TLS set up
only when it is needed. Loading the CA bundle into a verifying context costs 20-30 ms, which a
run against ``http://`` servers (loopback, ``--mock``, a local service) never needs: the
verifying HTTPS transport is built on the first ``https://`` request, from one context per
process. Plain ``http://`` goes through a transport whose context verifies but knows no CA, so it
could never accept a certificate. When the environment names a proxy (``HTTPS_PROXY``...), the
client is httpx's ordinary one, so proxies keep working exactly as before.

:func:`client_over` wraps a caller's ``httpx.BaseTransport``: used, never closed.
"""

from __future__ import annotations

__all__ = ["Borrowed", "client_over", "make_client", "verifying_context"]

import functools
import ssl
import urllib.request

import httpx


@functools.lru_cache(maxsize=1)
def verifying_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once per process (the CA bundle is read once)."""
    return httpx.create_ssl_context()


class _LazyTLS(httpx.BaseTransport):
    """httpx's HTTPS transport with :func:`verifying_context`, made on the first request."""

    def __init__(self) -> None:
        self._transport: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.HTTPTransport(verify=verifying_context())
        return self._transport.handle_request(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def make_client(timeout: httpx.Timeout) -> httpx.Client:
    """A client for a run: no redirects followed; TLS loaded on the first ``https://`` request
    (an ordinary httpx client when the environment names a proxy)."""
    if urllib.request.getproxies():
        return httpx.Client(timeout=timeout, follow_redirects=False, verify=verifying_context())
    unloaded = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, trusts no CA: plain HTTP only
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        transport=httpx.HTTPTransport(verify=unloaded),
        mounts={"https://": _LazyTLS()},
    )


class Borrowed(httpx.BaseTransport):
    """Sends through ``transport``; ``close()`` leaves it open (its owner closes it)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        pass


def client_over(transport: httpx.BaseTransport, timeout: httpx.Timeout) -> httpx.Client:
    """A client like the executor's own (no redirects followed) that sends through ``transport``."""
    return httpx.Client(transport=Borrowed(transport), timeout=timeout, follow_redirects=False)
