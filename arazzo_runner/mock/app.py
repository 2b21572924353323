"""A starlette app that plays an OpenAPI description: one route per operation.

Path templates become starlette routes (parameter names are mapped to safe identifiers; a
parameter with ``allowReserved``/``x-allowReserved`` matches ``/`` too). Routes are tried
most-literal first, so ``/{owner}/{name}/stream`` wins over ``/{owner}/{name}`` even when
``name`` may hold slashes. A request is validated first (:mod:`.checks`): problems answer
422 ``{"detail": [{loc, msg, type}, ...]}``. Otherwise the answer is the lowest declared 2xx
response (else ``default``, else an empty 200): the media type the ``Accept`` header asks for
(else the first declared), its example or generated data (:mod:`.examples`), and every
declared response header with its example value. ``text/event-stream`` answers stream their
events (:mod:`.events`) with their pacing; a client that disconnects stops the stream.
"""

from __future__ import annotations

__all__ = ["build_app"]

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._missing import MISSING
from ..openapi import MediaTypeSpec, OpenAPIIndex, Operation, ResponseSpec
from .checks import OperationChecks, RequestParts
from .events import Sleep, events_for, paced
from .examples import generate, media_example

_PARAM = re.compile(r"\{([^{}]+)\}")
_SKIP_HEADERS = {"content-type", "content-length", "transfer-encoding", "connection"}


def _status_key(code: str) -> int:
    return int(code.upper().replace("XX", "00")) if code[:1] == "2" else 999


def _pick_response(operation: Operation) -> tuple[int, ResponseSpec | None]:
    success = sorted((c for c in operation.responses if c[:1] == "2"), key=_status_key)
    if success:
        return _status_key(success[0]), operation.responses[success[0]]
    return 200, operation.responses.get("default")


def _pick_media(response: ResponseSpec, accept: str) -> tuple[str, MediaTypeSpec] | None:
    if not response.content:
        return None
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for media_type, media in response.content.items():
        major = media_type.split("/")[0].lower()
        if media_type.lower() in wanted or f"{major}/*" in wanted:
            return media_type, media
    return next(iter(response.content.items()))


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


class _OperationEndpoint:
    """Answers one operation: validate, then the example response."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, names: Mapping[str, str]):
        self.index = index
        self.operation = operation
        self.names = names  # route identifier -> parameter name
        self.checks = OperationChecks(index, operation)
        self.status, self.response = _pick_response(operation)
        self.headers = self._headers(self.response)
        self.sleep: Sleep | None = None

    def _headers(self, response: ResponseSpec | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, header in (response.headers if response else {}).items():
            if name.lower() in _SKIP_HEADERS or not isinstance(header, Mapping):
                continue
            value = header.get("example", MISSING)
            for example in (header.get("examples") or {}).values():
                if value is MISSING and isinstance(example, Mapping) and "value" in example:
                    value = example["value"]
            if value is MISSING:
                value = generate(self.index.resolve_schema(header.get("schema")))
            headers[name] = _header_text(value)
        return headers

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        parts = RequestParts(
            path={self.names.get(k, k): str(v) for k, v in request.path_params.items()},
            query=request.query_params.getlist,
            header={k.lower(): v for k, v in request.headers.items()},
            cookie=dict(request.cookies),
            body=body,
            content_type=request.headers.get("content-type"),
        )
        problems = self.checks.check(parts)
        if problems:
            invalid = self.operation.responses.get("422")
            return Response(
                json.dumps({"detail": problems}),
                status_code=422,
                media_type="application/json",
                headers=self._headers(invalid),
            )
        return self._answer(request.headers.get("accept", ""))

    def _answer(self, accept: str) -> Response:
        picked = _pick_media(self.response, accept) if self.response else None
        if picked is None:
            return Response(status_code=self.status, headers=self.headers)
        media_type, media = picked
        if media_type.split(";")[0].strip().lower() == "text/event-stream":
            events = events_for(self.index, media)
            stream = paced(events, self.sleep) if self.sleep else paced(events)
            headers = {**self.headers, "Cache-Control": "no-cache"}
            return StreamingResponse(
                stream, self.status, headers=headers, media_type="text/event-stream"
            )
        value = media_example(media)
        if value is MISSING:
            value = generate(self.index.resolve_schema(media.schema))
        if isinstance(value, str) and not _is_json(media_type):
            content = value.encode()
        else:
            content = json.dumps(value, ensure_ascii=False).encode()
        return Response(content, self.status, headers=self.headers, media_type=media_type)


def _route_path(operation: Operation) -> tuple[str, dict[str, str]]:
    reserved = {p.name for p in operation.parameters if p.in_ == "path" and p.allow_reserved}
    names: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        ident = f"p{len(names)}"
        names[ident] = match.group(1)
        return "{" + ident + (":path}" if match.group(1) in reserved else "}")

    path = operation.path if operation.path.startswith("/") else "/" + operation.path
    return _PARAM.sub(replace, path), names


def _specificity(template: str) -> tuple[int, int, int]:
    literal = len(_PARAM.sub("", template))
    greedy = template.count(":path}")
    return (-literal, greedy, -template.count("/"))


def build_app(index: OpenAPIIndex, *, sleep: Sleep | None = None) -> Starlette:
    """A starlette app answering every operation of ``index`` (``sleep`` paces SSE)."""
    routes = []
    for operation in index.operations:
        template, names = _route_path(operation)
        endpoint = _OperationEndpoint(index, operation, names)
        endpoint.sleep = sleep
        method = operation.method.upper()
        routes.append((template, Route(template, endpoint.handle, methods=[method])))
    routes.sort(key=lambda pair: _specificity(pair[0]))
    return Starlette(routes=[route for _, route in routes])
