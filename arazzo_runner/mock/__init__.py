"""A local mock of OpenAPI descriptions: examples (SSE included) served on 127.0.0.1.

``build_app(index)`` makes a starlette app from an
:class:`~arazzo_runner.document.openapi.OpenAPIIndex`; ``serve_app`` runs any ASGI app in a
background thread; ``start_mocks(workspace)`` mocks every OpenAPI source of a workflow file
and yields ``{source name: base URL}`` for ``Runner(servers=)``; ``build_asyncapi_app(data)``
plays an AsyncAPI 3.0 document's WebSocket channels (``ws://`` URLs for its sources).
Needs the ``mock`` extra (starlette, uvicorn).
"""

from __future__ import annotations

__all__ = [
    "build_app",
    "build_asyncapi_app",
    "load_asyncapi",
    "load_indexes",
    "mock_credentials",
    "serve_app",
    "serve_asyncapi",
    "serve_indexes",
    "start_mocks",
]

from arazzo_runner.mock.app import build_app
from arazzo_runner.mock.asyncapi import build_asyncapi_app
from arazzo_runner.mock.serve import (
    load_asyncapi,
    load_indexes,
    mock_credentials,
    serve_app,
    serve_asyncapi,
    serve_indexes,
    start_mocks,
)
