"""A starlette app that plays an OpenAPI description: one route per operation.

Path templates become starlette routes (parameter names are mapped to safe identifiers; a
parameter with ``allowReserved``/``x-allowReserved`` matches ``/`` too). Routes are tried
most-literal first, so ``/{owner}/{name}/stream`` wins over ``/{owner}/{name}`` even when
``name`` may hold slashes. A request is validated first (:mod:`.checks`): problems answer
422 ``{"detail": [{loc, msg, type}, ...]}``. Otherwise the answer is the lowest declared 2xx
response (else ``default``, else an empty 200), or the one ``Prefer: code=N`` asks for
(:mod:`.choice`; 400 when none is declared): the media type the ``Accept`` header asks for
(else the first declared), the chosen named example, else its example or generated data
(:mod:`.examples`), and every declared response header with its example value.
``text/event-stream`` answers stream their events (:mod:`.events`) with their pacing; a
client that disconnects stops the stream.
"""

from __future__ import annotations

__all__ = ["build_app"]

import json
import re
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import (
    MediaTypeSpec,
    OpenAPIIndex,
    Operation,
    ResponseSpec,
)
from arazzo_runner.media import EVENT_STREAM, is_json
from arazzo_runner.media import media_type as essence
from arazzo_runner.mock.checks import OperationChecks, Problem, RequestParts
from arazzo_runner.mock.choice import (
    Preference,
    choose_example,
    parse_prefer,
    pick_response,
    text_of,
)
from arazzo_runner.mock.events import Sleep, events_for, paced
from arazzo_runner.mock.examples import generate, media_example
from arazzo_runner.mock.websocket import SocketEndpoint

_PARAM = re.compile(r"\{([^{}]+)\}")
_SKIP_HEADERS = {"content-type", "content-length", "transfer-encoding", "connection"}


def _accepted(accept: str) -> list[str]:
    """The media ranges of an ``Accept`` header, most wanted first (``q=0`` left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media_range, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range and quality > 0:
            ranked.append((-quality, position, media_range.lower()))
    return [media_range for _, _, media_range in sorted(ranked)]


def _pick_media(response: ResponseSpec, accept: str) -> tuple[str, MediaTypeSpec] | None:
    """The declared media type the client prefers; the first declared when none fits."""
    if not response.content:
        return None
    declared = list(response.content.items())
    for media_range in _accepted(accept):
        for media_type, media in declared:
            base = essence(media_type)
            major = base.split("/")[0]
            if media_range in (base, f"{major}/*", "*/*"):
                return media_type, media
    return declared[0]


def _is_json(media_type: str) -> bool:
    base = essence(media_type)
    return is_json(base) or base == "*/*"


def _problem_response(status: int, problems: list[Problem], headers: Mapping[str, str]) -> Response:
    body = json.dumps({"detail": problems}, ensure_ascii=False)
    return Response(body, status, headers=dict(headers), media_type="application/json")


def _prefer_problem(msg: str) -> list[Problem]:
    return [{"loc": ["header", "prefer"], "msg": msg, "type": "value_error.prefer"}]


class _OperationEndpoint:
    """Answers one operation: validate, then the chosen response's example."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, names: Mapping[str, str]):
        self.index = index
        self.operation = operation
        self.names = names  # route identifier -> parameter name
        self.checks = OperationChecks(index, operation)
        self.sleep: Sleep | None = None
        self._headers_of: dict[int, dict[str, str]] = {}

    def _headers(self, response: ResponseSpec | None) -> dict[str, str]:
        key = id(response)
        if key not in self._headers_of:
            self._headers_of[key] = self._example_headers(response)
        return self._headers_of[key]

    def _example_headers(self, response: ResponseSpec | None) -> dict[str, str]:
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
            headers[name] = text_of(value)
        return headers

    async def parts(self, request: Request) -> RequestParts:
        """What the checks and the example choice read from ``request``."""
        return RequestParts(
            path={self.names.get(k, k): str(v) for k, v in request.path_params.items()},
            query=request.query_params.getlist,
            header={k.lower(): v for k, v in request.headers.items()},
            cookie=dict(request.cookies),
            body=await request.body(),
            content_type=request.headers.get("content-type"),
            query_items=request.query_params.multi_items(),
        )

    async def handle(self, request: Request) -> Response:
        parts = await self.parts(request)
        problems = self.checks.check(parts)
        if problems:
            invalid = self.operation.responses.get("422")
            return _problem_response(422, problems, self._headers(invalid))
        prefer = parse_prefer(request.headers.getlist("prefer"))
        picked = pick_response(self.operation, prefer.code)
        if picked is None:
            declared = ", ".join(self.operation.responses) or "none"
            msg = f"no response is declared for status {prefer.code}; declared: {declared}"
            return _problem_response(400, _prefer_problem(msg), {})
        return self.answer(picked, request.headers.get("accept", ""), parts, prefer)

    def answer(
        self,
        picked: tuple[int, ResponseSpec | None],
        accept: str,
        parts: RequestParts,
        prefer: Preference,
    ) -> Response:
        status, response = picked
        headers = self._headers(response)
        media_picked = _pick_media(response, accept) if response else None
        if media_picked is None:
            return Response(status_code=status, headers=headers)
        media_type, media = media_picked
        example = choose_example(media, parts, prefer.example)
        if prefer.example is not None and example is None:
            names = ", ".join(media.examples) or "none"
            msg = f"{media_type} has no example named {prefer.example!r}; declared: {names}"
            return _problem_response(400, _prefer_problem(msg), {})
        if essence(media_type) == EVENT_STREAM:
            events = events_for(self.index, media, example)
            stream = paced(events, self.sleep) if self.sleep else paced(events)
            headers = {**headers, "Cache-Control": "no-cache"}
            return StreamingResponse(stream, status, headers=headers, media_type=media_type)
        value = example.get("value", MISSING) if example is not None else media_example(media)
        if value is MISSING:
            value = generate(self.index.resolve_schema(media.schema))
        if isinstance(value, str) and not _is_json(media_type):
            content = value.encode()
        else:
            content = json.dumps(value, ensure_ascii=False).encode()
        return Response(content, status, headers=headers, media_type=media_type)


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
    """A starlette app answering every operation of ``index`` (``sleep`` paces SSE); POST
    operations also answer fal's HTTP over WebSockets (:mod:`.websocket`)."""
    routes: list[tuple[str, BaseRoute]] = []
    for operation in index.operations:
        template, names = _route_path(operation)
        endpoint = _OperationEndpoint(index, operation, names)
        endpoint.sleep = sleep
        method = operation.method.upper()
        routes.append((template, Route(template, endpoint.handle, methods=[method])))
        if method == "POST":  # fal's HTTP over WebSockets carries request bodies
            socket = SocketEndpoint(index, operation, endpoint)
            routes.append((template, WebSocketRoute(template, socket.session)))
    routes.sort(key=lambda pair: _specificity(pair[0]))
    handlers = {404: _not_declared, 405: _not_declared}
    app = Starlette(routes=[route for _, route in routes], exception_handlers=handlers)
    app.router.redirect_slashes = False  # a path the description lacks is a 404, not a redirect
    return app


async def _not_declared(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    what = "path" if status == 404 else "method for this path"
    msg = f"{request.method} {request.url.path}: this {what} is not in the description"
    headers = getattr(exc, "headers", None) or {}
    return Response(
        json.dumps({"detail": msg}), status, headers=headers, media_type="application/json"
    )
