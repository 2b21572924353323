"""The floors a runner is measured against: N sequential GETs with no workflow engine at all.

    python bench/floor.py httpx|socket BASE_URL N

``httpx``: a hand-written ``httpx.Client`` loop (status check, JSON parse, keep-alive; one
client per run, its TLS context made once per process).
``socket``: a bare keep-alive HTTP/1.1 reader on one socket (``Content-Length`` framing only,
JSON parse), the least a Python client can do per request. Standard library plus httpx only,
and no import of ``bench``, so any interpreter can run it as a whole process.
"""

from __future__ import annotations

import functools
import json
import socket
import sys
from typing import Any
from urllib.parse import urlsplit


@functools.cache
def _tls() -> Any:
    """The verifying TLS context, made once per process (as the runner's executor does):
    loading the CA bundle costs tens of milliseconds per client otherwise."""
    import httpx

    return httpx.create_ssl_context()


def httpx_loop(base: str, n: int) -> Any:
    import httpx

    last = None
    with httpx.Client(verify=_tls()) as client:
        for i in range(n):
            response = client.get(f"{base}/items/{i}")
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}")
            last = response.json()["id"]
    return last


def socket_loop(base: str, n: int) -> Any:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    last = None
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        for i in range(n):
            request = f"GET {url.path}/items/{i} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
            sock.sendall(request.encode())
            status = reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"status line {status!r}")
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            last = json.loads(reader.read(length))["id"]
    return last


LOOPS = {"httpx": httpx_loop, "socket": socket_loop}

if __name__ == "__main__":
    kind, base, steps = sys.argv[1:4]
    print(LOOPS[kind](base, int(steps)))
