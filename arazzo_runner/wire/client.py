"""A caller's ``httpx.BaseTransport`` lent to the runner's client: used, never closed."""

from __future__ import annotations

__all__ = ["Borrowed", "client_over"]

import httpx


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
