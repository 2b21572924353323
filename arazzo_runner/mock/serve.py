"""Run mock apps under uvicorn in background threads on 127.0.0.1.

    with start_mocks(workspace) as servers:      # {"falModelApis": "http://127.0.0.1:53121"}
        Runner(servers=servers).run(workspace)

Each server listens on its own port (a free one unless asked), runs in a daemon thread and is
stopped and joined when the block ends. uvicorn is given no logging configuration (library
code configures no logging) and installs no signal handlers (it is not on the main thread), so
Ctrl-C stays with the caller.
"""

from __future__ import annotations

__all__ = [
    "load_asyncapi",
    "load_indexes",
    "mock_credentials",
    "serve_app",
    "serve_asyncapi",
    "serve_indexes",
    "start_mocks",
]

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from arazzo_runner.errors import RunError, SourceError

if TYPE_CHECKING:
    from arazzo_runner.document import Workspace
    from arazzo_runner.document.openapi import OpenAPIIndex

HOST = "127.0.0.1"


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise RunError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc
    return sock


@contextlib.contextmanager
def serve_app(
    app: Any,
    *,
    port: int = 0,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    startup_timeout: float = 10.0,
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (``port`` 0 = a free one); yield its base URL."""
    import uvicorn

    sock = _listen(port)
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=None,
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",  # fal's HTTP over WebSockets (mock.websocket)
        timeout_graceful_shutdown=1,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RunError(f"the mock server on {HOST}:{sock.getsockname()[1]} did not start")
            time.sleep(0.005)
        scheme = "https" if ssl_certfile else "http"
        yield f"{scheme}://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@contextlib.contextmanager
def serve_indexes(
    indexes: Mapping[str, OpenAPIIndex], *, port: int = 0
) -> Iterator[dict[str, str]]:
    """One mock server per index; ``port`` (when not 0) is the first of consecutive ports."""
    from arazzo_runner.mock.app import build_app

    with contextlib.ExitStack() as stack:
        urls = {}
        for offset, (name, index) in enumerate(indexes.items()):
            wanted = port + offset if port else 0
            urls[name] = stack.enter_context(serve_app(build_app(index), port=wanted))
        yield urls


def _workspace_indexes(workspace: Workspace) -> dict[str, OpenAPIIndex]:
    if workspace.root is None:
        raise SourceError("the Arazzo document could not be loaded")
    indexes = {}
    for name, source in workspace.sources(workspace.root).items():
        if source.kind != "openapi":
            continue
        if source.openapi is None or source.error:
            raise SourceError(f"source {name!r} cannot be mocked: {source.error or 'not loaded'}")
        indexes[name] = source.openapi
    return indexes


def _workspace_asyncapi(workspace: Workspace) -> dict[str, Mapping[str, Any]]:
    assert workspace.root is not None
    return {
        name: source.asyncapi
        for name, source in workspace.sources(workspace.root).items()
        if source.kind == "asyncapi" and source.asyncapi is not None
    }


@contextlib.contextmanager
def serve_asyncapi(
    documents: Mapping[str, Mapping[str, Any]], *, port: int = 0
) -> Iterator[dict[str, str]]:
    """One WebSocket mock per AsyncAPI document (:mod:`.asyncapi`): ``{name: ws://...}``."""
    from arazzo_runner.mock.asyncapi import build_asyncapi_app

    with contextlib.ExitStack() as stack:
        urls = {}
        for offset, (name, data) in enumerate(documents.items()):
            wanted = port + offset if port else 0
            base = stack.enter_context(serve_app(build_asyncapi_app(data), port=wanted))
            urls[name] = "ws://" + base.split("://", 1)[1]
        yield urls


@contextlib.contextmanager
def start_mocks(workspace: Workspace, *, port: int = 0) -> Iterator[dict[str, str]]:
    """Mock every OpenAPI source of the workspace's root document, and every AsyncAPI 3.0
    one's WebSocket channels (:mod:`.asyncapi`): ``{source name: base URL}`` (``ws://`` for
    an AsyncAPI source)."""
    indexes = _workspace_indexes(workspace)
    later = port + len(indexes) if port else 0
    with (
        serve_indexes(indexes, port=port) as urls,
        serve_asyncapi(_workspace_asyncapi(workspace), port=later) as channels,
    ):
        yield {**urls, **channels}


def mock_credentials(workspace: Workspace) -> dict[str, str]:
    """A placeholder credential for every security scheme of the mocked sources.

    The mock never checks credentials, and a real key must not be needed (nor sent) to run
    against it.
    """
    schemes: dict[str, str] = {}
    for index in _workspace_indexes(workspace).values():
        for key in index.security_schemes:
            schemes.setdefault(key, "mock")
    assert workspace.root is not None
    for source in workspace.sources(workspace.root).values():
        components = (source.asyncapi or {}).get("components")
        declared = components.get("securitySchemes") if isinstance(components, dict) else None
        for key in declared if isinstance(declared, dict) else ():
            schemes.setdefault(str(key), "mock")
    return schemes


def load_indexes(path: str) -> dict[str, OpenAPIIndex]:
    """An OpenAPI file -> ``{its title or file name: index}``; an Arazzo file -> its sources."""
    from arazzo_runner.document import Fetcher, open_workspace, to_url
    from arazzo_runner.document.openapi import load_openapi

    fetcher = Fetcher()
    url = to_url(path)
    located = fetcher.fetch(url)
    data = located.data
    if isinstance(data, dict) and "arazzo" in data:
        return _workspace_indexes(open_workspace(path, fetcher=fetcher))
    if isinstance(data, dict) and "asyncapi" in data and "openapi" not in data:
        return {}  # load_asyncapi's
    index, diagnostics = load_openapi(located, url, fetcher.fetch)
    errors = [d for d in diagnostics if d.severity.name == "ERROR"]
    if errors:
        raise SourceError(errors[0].message, file=path, line=errors[0].line)
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return {name: index}


def load_asyncapi(path: str) -> dict[str, Mapping[str, Any]]:
    """An AsyncAPI file -> ``{its file name: document}``; an Arazzo file -> its AsyncAPI
    sources; anything else -> ``{}``."""
    from arazzo_runner.document import Fetcher, open_workspace, to_url

    fetcher = Fetcher()
    url = to_url(path)
    data = fetcher.fetch(url).data
    if isinstance(data, dict) and "arazzo" in data:
        return _workspace_asyncapi(open_workspace(path, fetcher=fetcher))
    if isinstance(data, dict) and "asyncapi" in data and "openapi" not in data:
        return {url.rstrip("/").rsplit("/", 1)[-1]: data}
    return {}
