"""SSE servers for stream tests, all on 127.0.0.1 and all bounded in time.

* :func:`sse_app` — a starlette app (serve it with ``tests.support.asgi_server.serve``):
  ``/finite`` (three events, then the body ends), ``/endless`` (an event every 10 ms until the
  client goes away; ``SSEAppState.disconnected`` is set then), ``/heartbeat`` (a comment every
  50 ms, no events), ``/validation`` (422 JSON like fal's), ``/bad-gateway`` (502 nginx HTML),
  ``/not-sse`` (200 JSON).
* :func:`raw_server` — a one-connection raw-socket HTTP/1.1 server that plays a script: bytes
  to send (each written separately with TCP_NODELAY, so split points survive), pauses,
  ``HOLD`` (send nothing until the client closes) and ``RESET`` (abort with a TCP RST).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SSE_HEADERS = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream\r\n"
    b"Cache-Control: no-store\r\n"
    b"Connection: close\r\n\r\n"
)
HOLD = "hold"
RESET = "reset"
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*([0-9]+)[ \t]*\r?$")
_MAX_HOLD = 5.0  # a held connection is released after this long whatever the client does


@dataclass(frozen=True)
class Pause:
    seconds: float


Step = bytes | Pause | str


@dataclass
class SSEAppState:
    disconnected: threading.Event = field(default_factory=threading.Event)
    sent: int = 0


def sse_app(state: SSEAppState) -> Starlette:
    async def finite(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f'id: {n}\nevent: tick\ndata: {{"n": {n}}}\n\n'.encode()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def endless(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    state.sent += 1
                    yield f"data: {state.sent}\n\n".encode()
                    await asyncio.sleep(0.01)
            finally:
                state.disconnected.set()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def heartbeat(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for _ in range(200):  # 10 s at most
                yield b": ping\n\n"
                await asyncio.sleep(0.05)

        return StreamingResponse(body(), media_type="text/event-stream")

    async def validation(request: Request) -> Response:
        detail = [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]
        headers = {"x-fal-error-type": "validation_error", "x-fal-request-id": "req-1"}
        return JSONResponse({"detail": detail}, status_code=422, headers=headers)

    async def bad_gateway(request: Request) -> Response:
        html = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
        return HTMLResponse(html, status_code=502)

    async def not_sse(request: Request) -> Response:
        return JSONResponse({"data": "not a stream"})

    return Starlette(
        routes=[
            Route("/finite", finite),
            Route("/endless", endless),
            Route("/heartbeat", heartbeat),
            Route("/validation", validation, methods=["GET", "POST"]),
            Route("/bad-gateway", bad_gateway),
            Route("/not-sse", not_sse),
        ]
    )


@dataclass
class RawServer:
    url: str
    client_closed: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    request: bytes = b""


@contextlib.contextmanager
def raw_server(script: Sequence[Step], *, headers: bytes = SSE_HEADERS) -> Iterator[RawServer]:
    """Serve ``headers`` then ``script`` to the first connection; yields the server's state."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5.0)
    server = RawServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}/")
    thread = threading.Thread(target=_serve_one, args=(listener, server, headers, script))
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        thread.join(timeout=_MAX_HOLD + 1)
        listener.close()


def _serve_one(
    listener: socket.socket, server: RawServer, headers: bytes, script: Sequence[Step]
) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(_MAX_HOLD)
        server.request = _read_request(conn)
        conn.sendall(headers)
        for step in script:
            if not _play(conn, server, step):
                return
        conn.shutdown(socket.SHUT_WR)
        _wait_for_close(conn, server)
    except OSError:
        server.client_closed.set()
    finally:
        conn.close()
        server.finished.set()


def _play(conn: socket.socket, server: RawServer, step: Step) -> bool:
    """Run one step; False when the connection is over."""
    if isinstance(step, bytes):
        conn.sendall(step)
        time.sleep(0.02)  # let the client read this piece on its own
    elif isinstance(step, Pause):
        time.sleep(step.seconds)
    elif step == HOLD:
        _wait_for_close(conn, server)
        return False
    elif step == RESET:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False
    return True


def _read_request(conn: socket.socket) -> bytes:
    """One request: its head and the body its ``Content-Length`` declares (bounded by the
    socket's timeout). The body is read too so that a script closing the connection right
    after ends it with a clean FIN: closing with unread bytes makes Linux send a reset
    instead, and which of the two errors the client then sees depends on timing."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    match = _CONTENT_LENGTH.search(head)
    wanted = int(match.group(1)) if match else 0
    while len(body) < wanted:
        piece = conn.recv(4096)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body


def _wait_for_close(conn: socket.socket, server: RawServer) -> None:
    """Block until the client closes (recv returns b"" or fails), at most ``_MAX_HOLD``."""
    try:
        while conn.recv(4096):
            pass
        server.client_closed.set()
    except TimeoutError:
        pass
    except OSError:
        server.client_closed.set()
