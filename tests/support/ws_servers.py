"""Scripted WebSocket servers on 127.0.0.1 for fault tests (a real ``websockets`` server).

    with ws_server([[RECV, start("r1"), b"data: 1\\n\\n", end("r1")]]) as server:
        ...  # server.url is "ws://127.0.0.1:PORT"; server.handshakes counts connections

Each accepted connection plays the next script of the list (the last one again when the list is
used up): ``RECV`` waits for the client's next message (kept in ``server.received``), ``str``
sends a text message, ``bytes`` a binary one, :class:`Pause` sleeps, :class:`Close` closes with
a code, ``HOLD`` keeps the connection open and silent until the client goes. ``refuse=401``
answers every handshake with that HTTP status instead. The server runs in a daemon thread and is
shut down when the block ends; ``client_closed`` is set once a connection ended from the
client's side.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.sync.server import ServerConnection, serve


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Close:
    code: int = 1000
    reason: str = ""


RECV = "<recv>"
HOLD = "<hold>"
Step = Any  # str | bytes | Pause | Close | RECV | HOLD


def start(request_id: str, status: int = 200, content_type: str = "text/event-stream") -> str:
    """fal's start message."""
    headers = {"Content-Type": content_type}
    return json.dumps(
        {"type": "start", "request_id": request_id, "status": status, "headers": headers}
    )


def end(request_id: str, status: int = 200) -> str:
    """fal's end message."""
    return json.dumps({"type": "end", "request_id": request_id, "status": status})


@dataclass
class WsServer:
    url: str
    handshakes: int = 0
    received: list[str | bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    client_closed: threading.Event = field(default_factory=threading.Event)


def _play(connection: ServerConnection, script: Sequence[Step], server: WsServer) -> None:
    try:
        for step in script:
            if step == RECV:
                server.received.append(connection.recv())
            elif step == HOLD:
                for _ in connection:  # until the client closes
                    pass
            elif isinstance(step, Pause):
                time.sleep(step.seconds)
            elif isinstance(step, Close):
                connection.close(step.code, step.reason)
                return
            else:
                connection.send(step)
        for _ in connection:  # the script is done: wait for the client to go
            pass
    except ConnectionClosed:
        pass
    finally:
        server.client_closed.set()


@contextlib.contextmanager
def ws_server(
    scripts: Sequence[Sequence[Step]], *, refuse: int | None = None, body: bytes = b""
) -> Iterator[WsServer]:
    state = WsServer(url="")
    lock = threading.Lock()

    def process_request(connection: ServerConnection, request: Any) -> Response | None:
        with lock:
            state.headers.append({k.lower(): v for k, v in request.headers.raw_items()})
        if refuse is None:
            return None
        response = connection.respond(refuse, body.decode() if body else "refused\n")
        return response

    def handler(connection: ServerConnection) -> None:
        with lock:
            index = min(state.handshakes, len(scripts) - 1)
            state.handshakes += 1
        _play(connection, scripts[index], state)

    with serve(
        handler, "127.0.0.1", 0, process_request=process_request, compression=None
    ) as server:
        port = server.socket.getsockname()[1]
        state.url = f"ws://127.0.0.1:{port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield state
        finally:
            server.shutdown()
            thread.join(timeout=5)
