"""A scripted API for the field cases: answers each path as the case says, records each request.

    app = make_field_app({"/items": {"status": 200, "body": [{"id": 1}]}})
    with serve(app) as base_url:
        ...
    app.state.received  # [{"method", "path", "query", "headers", "json"}, ...]

A path the case does not script answers 200 with ``{"ok": true}``. ``query`` maps each name
to its single value (or the list of values when repeated); ``headers`` are lower-cased.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["make_field_app"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _query(raw: str) -> dict[str, Any]:
    parsed = parse_qs(raw, keep_blank_values=True)
    return {name: values[0] if len(values) == 1 else values for name, values in parsed.items()}


def make_field_app(responses: dict[str, dict[str, Any]] | None = None) -> Starlette:
    scripted = dict(responses or {})
    received: list[dict[str, Any]] = []

    async def answer(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        received.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": _query(request.scope["query_string"].decode("latin-1")),
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "json": body,
            }
        )
        script = scripted.get(request.url.path, {"status": 200, "body": {"ok": True}})
        return JSONResponse(script.get("body"), status_code=script.get("status", 200))

    app = Starlette(routes=[Route("/{path:path}", answer, methods=_METHODS)])
    app.state.received = received
    return app
