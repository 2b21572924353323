"""A scripted raw-socket HTTP server for fault tests: several connections, each its own script.

:func:`scripted_server` accepts connections one after another; connection *n* plays
``connections[n]`` (the last script repeats for any further connection). A script is what
:mod:`tests.support.sse_servers` plays (bytes written separately, :class:`Pause`, ``HOLD``,
``RESET``) plus :data:`READ`, which waits for the next request on the same connection (a
keep-alive connection). The first request of a connection is read before its script starts.
When a script ends the server closes its side at once (a FIN, like a server that drops an idle
keep-alive connection). Everything is bounded: a held connection is released after a few
seconds and the accept loop gives up when the block ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tests.support.sse_servers import Step, _play, _read_request

READ = "read"
_ACCEPT_POLL = 0.1
_MAX_IDLE = 5.0


@dataclass
class ScriptedServer:
    url: str
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    client_closed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


def http_response(
    status: str = "200 OK",
    body: bytes = b"",
    *,
    headers: Sequence[tuple[str, str]] = (("Content-Type", "application/json"),),
    length: int | None = None,
    keep_alive: bool = False,
) -> bytes:
    """Status line, headers (Content-Length is ``length`` or the body's) and the body."""
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def sse_head(*extra: tuple[str, str]) -> bytes:
    """Headers of an open-ended ``text/event-stream`` answer (no length, Connection: close)."""
    lines = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream", "Cache-Control: no-store"]
    lines += [f"{name}: {value}" for name, value in extra]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def scripted_server(connections: Sequence[Sequence[Step]]) -> Iterator[ScriptedServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(_ACCEPT_POLL)
    server = ScriptedServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    thread = threading.Thread(target=_accept_loop, args=(listener, server, connections))
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(timeout=_MAX_IDLE + 2)
        listener.close()


def _accept_loop(
    listener: socket.socket, server: ScriptedServer, scripts: Sequence[Sequence[Step]]
) -> None:
    while not server.stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        script = scripts[min(server.connections, len(scripts) - 1)]
        server.connections += 1
        worker = threading.Thread(target=_serve, args=(conn, server, script), daemon=True)
        worker.start()


def _serve(conn: socket.socket, server: ScriptedServer, script: Sequence[Step]) -> None:
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(_MAX_IDLE)
        server.requests.append(_read_request(conn))
        for step in script:
            if step == READ:
                request = _read_request(conn)
                if not request:
                    return
                server.requests.append(request)
            elif not _play(conn, _Closed(server), step):
                return
    except OSError:
        server.client_closed.set()
    finally:
        conn.close()


class _Closed:
    """What ``_play`` records a client close on (it sets ``client_closed``)."""

    def __init__(self, server: ScriptedServer) -> None:
        self.client_closed = server.client_closed
