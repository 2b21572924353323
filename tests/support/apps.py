"""Starlette apps that implement the test APIs described in ``openapi/``.

Serve one with ``tests/support/asgi_server.serve``::

    app = make_fal_app(mode="endless")
    with serve(app) as base_url:
        ...
    assert app.state.fal.disconnected.wait(5)

| factory | serves (description) |
|---|---|
| ``make_echo_app()`` | ``/echo/...`` (params.openapi.yaml, bodies.openapi.yaml) |
| ``make_flow_app()`` | ``/status``, ``/flaky``, ``/counter`` (control-flow); ``/orders``,
  ``/inventory`` (nested); ``/catalog``, ``/accounts``, ``/items``, ``/users`` (multi-source);
  ``/report`` (criteria) |
| ``make_petstore_app()`` | ``/login``, ``/pets`` (petstore.openapi.yaml) |
| ``make_all_app()`` | all three above on one server |
| ``make_fal_app(mode)`` | ``POST /{owner}/{name...}/stream`` (fal-model-apis-openapi.yml) |

Every app logs ``"METHOD /raw/path?query"`` per request in ``app.state.calls`` (a list). State
is per app instance, so a fresh app starts with fresh counters. The echo and fal bodies are
checked for real: a wrong ``Content-Type`` answers 415, an unparseable body 400 (fal: 422).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import parse_qs
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
import yaml
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

JSONDict = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
FAL_OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "fal-model-apis-openapi.yml"


class BadBody(Exception):
    """The request body does not match its declared media type."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _RecordCalls:
    """ASGI middleware: append ``METHOD /raw/path?query`` for each HTTP request."""

    def __init__(self, app: ASGIApp, log: list[str]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope["query_string"].decode("latin-1")
            self.log.append(
                f"{scope['method']} {_raw_path(scope)}" + (f"?{query}" if query else "")
            )
        await self.app(scope, receive, send)


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(scope["path"])


def _app(routes: list[BaseRoute]) -> Starlette:
    calls: list[str] = []
    app = Starlette(routes=routes, middleware=[Middleware(_RecordCalls, log=calls)])
    app.state.calls = calls
    return app


# --------------------------------------------------------------------------------------- echo
def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _parse_json(raw: bytes, media: str) -> Any:
    if not (media == "application/json" or media.endswith("+json")):
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadBody(400, f"invalid JSON body: {exc}") from exc


def _parse_form(raw: bytes, media: str) -> dict[str, list[str]] | None:
    if media != "application/x-www-form-urlencoded":
        return None
    return parse_qs(raw.decode("latin-1"), keep_blank_values=True, strict_parsing=bool(raw))


def _parse_multipart(raw: bytes, content_type: str | None) -> list[JSONDict] | None:
    if not _media_type(content_type).startswith("multipart/"):
        return None
    head = b"Content-Type: " + (content_type or "").encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts or message.defects:
        raise BadBody(400, "malformed multipart body (missing boundary or parts)")
    return [_describe_part(cast(EmailMessage, part)) for part in parts]


def _describe_part(part: EmailMessage) -> JSONDict:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    return {
        "name": part.get_param("name", header="content-disposition"),
        "filename": part.get_filename(),
        "contentType": part.get("content-type"),
        "value": data.decode("utf-8", "replace"),
    }


def _check_xml(raw: bytes, media: str) -> None:
    if media in ("application/xml", "text/xml") or media.endswith("+xml"):
        try:
            SafeET.fromstring(raw)
        except ParseError as exc:
            raise BadBody(400, f"malformed XML body: {exc}") from exc


async def describe_request(request: Request) -> JSONDict:
    """Everything the echo endpoints send back: what arrived, raw and parsed."""
    raw = await request.body()
    content_type = request.headers.get("content-type")
    media = _media_type(content_type)
    _check_xml(raw, media)
    raw_query = request.scope["query_string"].decode("latin-1")
    return {
        "method": request.method,
        "path": _raw_path(request.scope),
        "pathDecoded": request.url.path,
        "rawQuery": raw_query,
        "query": parse_qs(raw_query, keep_blank_values=True),
        "headers": {k: ", ".join(request.headers.getlist(k)) for k in request.headers},
        "rawCookie": request.headers.get("cookie"),
        "cookies": dict(request.cookies),
        "contentType": content_type,
        "body": raw.decode("utf-8", "replace"),
        "bodyBase64": base64.b64encode(raw).decode("ascii"),
        "bodySize": len(raw),
        "json": _parse_json(raw, media),
        "form": _parse_form(raw, media),
        "multipart": _parse_multipart(raw, content_type),
    }


def _echo(expected: tuple[str, ...] | None = None) -> Handler:
    async def endpoint(request: Request) -> Response:
        media = _media_type(request.headers.get("content-type"))
        if expected is not None and media not in expected:
            error = {"error": "unsupported media type", "expected": list(expected), "got": media}
            return JSONResponse(error, status_code=415)
        try:
            return JSONResponse(await describe_request(request))
        except BadBody as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    return endpoint


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _echo_routes() -> list[BaseRoute]:
    typed = {
        "json": ("application/json",),
        "form": ("application/x-www-form-urlencoded",),
        "multipart": ("multipart/form-data",),
        "text": ("text/plain",),
        "xml": ("application/xml", "text/xml"),
        "binary": ("application/octet-stream",),
    }
    routes: list[BaseRoute] = [
        Route(f"/echo/body/{kind}", _echo(media), methods=["POST", "PUT", "PATCH"])
        for kind, media in typed.items()
    ]
    routes.append(Route("/echo/{rest:path}", _echo(), methods=_ANY))
    return routes


def make_echo_app() -> Starlette:
    """``/echo/body/{json,form,multipart,text,xml,binary}`` check the media type; any other
    ``/echo/...`` path answers any method with ``describe_request``."""
    return _app(_echo_routes())


# --------------------------------------------------------------------------------------- flow
@dataclass
class FlowState:
    flaky: dict[str, int] = field(default_factory=dict)
    counter: int = 0
    orders: dict[str, JSONDict] = field(default_factory=dict)


STOCK = {"widget": 7, "gadget": 0}
ITEMS = [
    {"id": "item-1", "name": "Blue mug", "ownerId": "user-7"},
    {"id": "item-2", "name": "Red kettle", "ownerId": "user-9"},
]
USERS = {"user-7": {"id": "user-7", "name": "Ada", "email": "ada@example.com"}}
REPORT_PETS = [
    {"id": 1, "name": "Fido", "status": "available", "tags": ["dog", "small"]},
    {"id": 2, "name": "Tom", "status": "pending", "tags": ["cat"]},
]
REPORT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<pets count="2">'
    + "".join(
        f'<pet id="{p["id"]}"><name>{p["name"]}</name><status>{p["status"]}</status></pet>'
        for p in REPORT_PETS
    )
    + "</pets>\n"
)


def _int_query(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except ValueError:
        return -1


def _flow_routes(state: FlowState) -> list[BaseRoute]:
    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        return JSONResponse({"code": code, "ok": 200 <= code < 300}, status_code=code)

    async def flaky(request: Request) -> Response:
        key, failures = request.path_params["key"], _int_query(request, "failures", 2)
        if failures < 0:
            return JSONResponse({"error": "failures must be an integer >= 0"}, status_code=400)
        attempt = state.flaky[key] = state.flaky.get(key, 0) + 1
        if attempt > failures:
            return JSONResponse({"key": key, "attempt": attempt, "ok": True})
        retry_after = request.query_params.get("retryAfter")
        headers = {"Retry-After": retry_after} if retry_after else None
        body = {"key": key, "attempt": attempt, "ok": False, "error": "temporarily unavailable"}
        return JSONResponse(body, status_code=503, headers=headers)

    async def counter(request: Request) -> Response:
        state.counter += 1
        return JSONResponse({"count": state.counter})

    async def create_order(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("item"), str):
            return JSONResponse({"error": "body must be {item: string, quantity: int}"}, 400)
        quantity = body.get("quantity")
        if type(quantity) is not int or quantity < 1:
            return JSONResponse({"error": "quantity must be an integer >= 1"}, 400)
        order_id = f"ord-{len(state.orders) + 1:04d}"
        order = {"orderId": order_id, "item": body["item"], "quantity": quantity}
        state.orders[order_id] = {**order, "status": "placed"}
        location = {"Location": f"/orders/{order_id}"}
        return JSONResponse(state.orders[order_id], status_code=201, headers=location)

    def lookup(table: dict[str, Any], param: str) -> Handler:
        async def endpoint(request: Request) -> Response:
            found = table.get(request.path_params[param])
            if found is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(found)

        return endpoint

    async def inventory(request: Request) -> Response:
        item = request.path_params["item"]
        if item not in STOCK:
            return JSONResponse({"error": "unknown item"}, status_code=404)
        return JSONResponse({"item": item, "available": STOCK[item]})

    def health(service: str) -> Handler:
        async def endpoint(request: Request) -> Response:
            return JSONResponse({"service": service, "status": "ok"})

        return endpoint

    async def items(request: Request) -> Response:
        return JSONResponse(ITEMS)

    async def report_json(request: Request) -> Response:
        headers = {"X-Request-Id": "req-1a2b3c4d"}
        return JSONResponse({"count": len(REPORT_PETS), "pets": REPORT_PETS}, headers=headers)

    async def report_xml(request: Request) -> Response:
        return Response(REPORT_XML, media_type="application/xml")

    return [
        Route("/status/{code:int}", status, methods=["GET", "POST"]),
        Route("/flaky/{key}", flaky),
        Route("/counter", counter),
        Route("/orders", create_order, methods=["POST"]),
        Route("/orders/{orderId}", lookup(state.orders, "orderId")),
        Route("/inventory/{item}", inventory),
        Route("/catalog/health", health("catalog")),
        Route("/accounts/health", health("accounts")),
        Route("/items", items),
        Route("/items/{id}", lookup({i["id"]: i for i in ITEMS}, "id")),
        Route("/users/{userId}", lookup(USERS, "userId")),
        Route("/report/json", report_json),
        Route("/report/xml", report_xml),
    ]


def make_flow_app() -> Starlette:
    """Control-flow, nested, multi-source and criteria APIs; state in ``app.state.flow``."""
    state = FlowState()
    app = _app(_flow_routes(state))
    app.state.flow = state
    return app


# ----------------------------------------------------------------------------------- petstore
@dataclass
class PetstoreState:
    api_key: str
    users: dict[str, str]
    tokens: set[str] = field(default_factory=set)
    pets: list[JSONDict] = field(
        default_factory=lambda: [
            {"id": 1, "name": "Fido", "status": "available", "tag": "dog"},
            {"id": 2, "name": "Tom", "status": "pending", "tag": "cat"},
            {"id": 3, "name": "Bubbles", "status": "available", "tag": "fish"},
        ]
    )


def _petstore_routes(state: PetstoreState) -> list[BaseRoute]:
    def unauthorized(message: str, scheme: str) -> Response:
        headers = {"WWW-Authenticate": scheme}
        return JSONResponse({"code": 401, "message": message}, status_code=401, headers=headers)

    async def login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"code": 400, "message": "body must be JSON"}, status_code=400)
        fields = body if isinstance(body, dict) else {}
        user, password = fields.get("username"), fields.get("password")
        if not isinstance(user, str) or state.users.get(user) != password:
            return unauthorized("invalid username or password", 'Basic realm="petstore"')
        token = f"tok-{user}-{len(state.tokens) + 1}"
        state.tokens.add(token)
        headers = {"X-Expires-After": "2030-01-01T00:00:00Z", "X-Rate-Limit": "100"}
        return JSONResponse({"token": token, "expiresIn": 3600}, headers=headers)

    async def list_pets(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in state.tokens:
            return unauthorized("missing or invalid bearer token", "Bearer")
        wanted, limit = request.query_params.get("status"), _int_query(request, "limit", 20)
        pets = [p for p in state.pets if wanted is None or p["status"] == wanted]
        return JSONResponse(pets[: max(limit, 0)])

    async def get_pet(request: Request) -> Response:
        if request.headers.get("x-api-key") != state.api_key:
            return unauthorized("missing or invalid X-API-Key", "ApiKey")
        pet_id = int(request.path_params["petId"])
        pet = next((p for p in state.pets if p["id"] == pet_id), None)
        if pet is None:
            return JSONResponse({"code": 404, "message": "pet not found"}, status_code=404)
        return JSONResponse(pet)

    return [
        Route("/login", login, methods=["POST"]),
        Route("/pets", list_pets),
        Route("/pets/{petId:int}", get_pet),
    ]


def make_petstore_app(
    *, api_key: str = "test-api-key", username: str = "alice", password: str = "wonderland"
) -> Starlette:
    """Login issues a bearer token for ``/pets``; ``/pets/{id}`` wants ``X-API-Key``."""
    state = PetstoreState(api_key=api_key, users={username: password})
    app = _app(_petstore_routes(state))
    app.state.petstore = state
    return app


def make_all_app() -> Starlette:
    """Echo, flow and pet store (default credentials) on one server."""
    flow, pets = FlowState(), PetstoreState(api_key="test-api-key", users={"alice": "wonderland"})
    app = _app(_echo_routes() + _flow_routes(flow) + _petstore_routes(pets))
    app.state.flow, app.state.petstore = flow, pets
    return app


# ---------------------------------------------------------------------------------------- fal
FalMode = Literal[
    "finite",
    "endless",
    "stall",
    "heartbeat",
    "model-error",
    "validation-error",
    "bad-gateway",
    "json",
]
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def load_mock_events() -> list[JSONDict]:
    """The ``x-arazzo-mock-events`` of ``streamRequest``'s 200 in the fal description."""
    doc = yaml.safe_load(FAL_OPENAPI.read_text(encoding="utf-8"))
    post = doc["paths"]["/{model_owner}/{model_name}/stream"]["post"]
    return list(post["responses"]["200"]["content"]["text/event-stream"]["x-arazzo-mock-events"])


@dataclass
class FalState:
    mode: FalMode
    interval: float
    events: list[JSONDict]
    disconnected: threading.Event = field(default_factory=threading.Event)
    completed: threading.Event = field(default_factory=threading.Event)
    requests: list[JSONDict] = field(default_factory=list)
    events_sent: int = 0
    ids: itertools.count[int] = field(default_factory=itertools.count)


def sse_frame(data: Any, event: str | None = None) -> bytes:
    """One SSE event: optional ``event:`` line, one ``data:`` line of JSON, blank line."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


async def _frames(state: FalState) -> AsyncGenerator[bytes, None]:
    if state.mode in ("finite", "model-error"):
        events = state.events
        if state.mode == "model-error":
            failure = {"output": events[0]["data"]["output"], "partial": False}
            events = [events[0], {**events[-1], "data": {**failure, "error": "CUDA out of memory"}}]
        for spec in events:
            await asyncio.sleep(spec.get("delayMs", 0) / 1000)
            yield sse_frame(spec["data"], spec.get("event"))
        return
    if state.mode == "stall":
        yield sse_frame({"output": "", "partial": True, "error": None}, "event")
        await asyncio.Event().wait()
    for n in itertools.count(1):  # endless, heartbeat
        await asyncio.sleep(state.interval)
        tick = {"output": f"tick {n}", "partial": True, "error": None}
        yield b": keep-alive\n\n" if state.mode == "heartbeat" else sse_frame(tick, "event")


async def _guarded(request: Request, state: FalState) -> AsyncIterator[bytes]:
    """Relay ``_frames``; record completion, or a disconnect (cancellation or early close)."""
    finished = False
    try:
        async with contextlib.aclosing(_frames(state)) as frames:
            async for chunk in frames:
                if await request.is_disconnected():
                    return
                yield chunk
                state.events_sent += chunk.startswith((b"event:", b"data:"))
        finished = True
    finally:
        (state.completed if finished else state.disconnected).set()


def _fal_error(status: int, body: JSONDict, request_id: str, error_type: str) -> Response:
    headers = {"x-fal-request-id": request_id, "X-Fal-Error-Type": error_type}
    return JSONResponse(body, status_code=status, headers=headers)


def _json_object(raw: bytes, content_type: str | None) -> JSONDict | None:
    if _media_type(content_type) != "application/json":
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def _fal_stream(request: Request) -> Response:
    state: FalState = request.app.state.fal
    raw = await request.body()
    request_id = f"00000000-0000-4000-8000-{next(state.ids):012d}"
    body = _json_object(raw, request.headers.get("content-type"))
    seen = {"path": _raw_path(request.scope), "body": body}
    seen["authorization"] = request.headers.get("authorization")
    state.requests.append({**request.path_params, **seen})
    if state.mode == "bad-gateway":
        return HTMLResponse(NGINX_502, status_code=502)
    if state.mode == "validation-error" or not isinstance((body or {}).get("prompt"), str):
        detail = [
            {"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"}
        ]
        return _fal_error(422, {"detail": detail}, request_id, "validation_error")
    if state.mode == "json":
        result = {"output": state.events[-1]["data"]["output"], "partial": False, "error": None}
        return JSONResponse(result, headers={"x-fal-request-id": request_id})
    headers = {"x-fal-request-id": request_id, "Cache-Control": "no-cache"}
    return StreamingResponse(
        _guarded(request, state), media_type="text/event-stream", headers=headers
    )


def make_fal_app(
    mode: FalMode = "finite", *, interval_ms: int = 20, events: list[JSONDict] | None = None
) -> Starlette:
    """A fal-like ``POST /{owner}/{name...}/stream``. Modes:

    - ``finite``: replays ``events`` (default: the description's ``x-arazzo-mock-events``);
    - ``model-error``: two events, the last with ``partial: false`` and a non-null ``error``;
    - ``endless``: an any-llm style event every ``interval_ms`` until the client leaves;
    - ``stall``: one event, then no bytes at all (idle-timeout tests);
    - ``heartbeat``: only ``: keep-alive`` comments every ``interval_ms`` (deadline tests);
    - ``validation-error``: 422 ``{"detail": [{loc, msg, type}]}`` + ``X-Fal-Error-Type``;
    - ``bad-gateway``: nginx's HTML 502; ``json``: a 200 ``application/json`` result.

    Any mode but ``bad-gateway`` answers 422 when the body is not a JSON object with a string
    ``prompt``. ``app.state.fal`` (``FalState``) records requests, ``events_sent``, and sets
    ``completed`` or ``disconnected`` (threading.Event) when a stream ends.
    """
    chosen = events if events is not None else load_mock_events()
    state = FalState(mode=mode, interval=interval_ms / 1000, events=chosen)
    app = _app([Route("/{owner}/{name:path}/stream", _fal_stream, methods=["POST"])])
    app.state.fal = state
    return app
