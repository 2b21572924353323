"""The executor against real servers on 127.0.0.1, driven by the real documents in workflows/.

Parameters and bodies: the echo app (params/bodies workflows, whose criteria state the expected
wire form). Credentials: the pet store and fal apps. Streams: the fal app's modes. Odd
responses (HTML 502, redirects, size cap, timeouts, charsets) come from a small app of this
file behind a description written to tmp_path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from arazzo_runner._missing import MISSING
from arazzo_runner.document.workspace import Workspace, open_workspace
from arazzo_runner.engine.flow import Engine
from arazzo_runner.engine.port import Exchange, OperationCall
from arazzo_runner.errors import (
    CredentialsError,
    DocumentError,
    InputError,
    RunError,
    RunTimeout,
    TransportError,
)
from arazzo_runner.streaming.event_stream import EventStream
from arazzo_runner.wire.executor import (
    HttpExecutor,
    StreamPolicy,
    Timeouts,
    describe_error_response,
)
from arazzo_runner.wire.response import parse_retry_after
from tests.support.apps import NGINX_502, make_echo_app, make_fal_app, make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
FAL_INPUT = {"prompt": "Why is the sky blue?"}
UNTIL_FINAL = "$response.body#/partial == false"


def _open(name: str) -> Workspace:
    ws = open_workspace(str(ROOT / "workflows" / name))
    assert ws.root is not None
    return ws


@pytest.fixture(scope="module")
def params() -> Workspace:
    return _open("params.arazzo.yaml")


@pytest.fixture(scope="module")
def fal() -> Workspace:
    return _open("fal-ai-stream-inference-workflow.yml")


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, Starlette]]:
    app = make_echo_app()
    with serve(app) as base:
        yield base, app


def call(
    ws: Workspace,
    workflow_id: str,
    step_id: str,
    parameters: tuple[tuple[str, str | None, Any], ...] = (),
    payload: Any = MISSING,
    content_type: str | None = None,
    replacements: tuple[tuple[str, Any], ...] = (),
    **step_changes: Any,
) -> OperationCall:
    assert ws.root is not None
    workflow = ws.root.workflow(workflow_id)
    assert workflow is not None
    step = workflow.step(step_id)
    assert step is not None
    if step_changes:
        step = dataclasses.replace(step, **step_changes)
    return OperationCall(
        ws.root, workflow_id, step, parameters, payload, content_type, replacements
    )


def run_once(ws: Workspace, the_call: OperationCall, **settings: Any) -> Exchange:
    with HttpExecutor(ws, **settings) as executor:
        exchange = executor.execute(the_call)
        exchange.close()
    return exchange


# -- parameters and bodies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "workflow_id"),
    [
        ("params.arazzo.yaml", "path-styles"),
        ("params.arazzo.yaml", "query-styles"),
        ("params.arazzo.yaml", "headers"),
        ("params.arazzo.yaml", "workflow-parameters"),
        ("params.arazzo.yaml", "cookies"),
        ("bodies.arazzo.yaml", "json-bodies"),
        ("bodies.arazzo.yaml", "other-bodies"),
    ],
)
def test_real_workflows_put_every_value_on_the_wire(
    echo: tuple[str, Starlette], document: str, workflow_id: str
) -> None:
    ws = _open(document)
    with HttpExecutor(ws, servers={"echo": echo[0]}) as executor:
        result = Engine(ws, executor).run(workflow_id, {"name": "Fido", "age": 3})
    failures = [(s.step_id, [f.reason for f in s.failures]) for s in result.steps if s.failures]
    assert result.passed, failures
    assert all(s.url and s.url.startswith(echo[0]) for s in result.steps)


def test_path_value_is_encoded_and_recorded(params: Workspace, echo: tuple[str, Starlette]) -> None:
    the_call = call(params, "path-styles", "simpleString", (("value", "path", "a b/c?"),))
    exchange = run_once(params, the_call, servers={"echo": echo[0]})
    assert exchange.url == f"{echo[0]}/echo/path/simple/a%20b%2Fc%3F"
    assert exchange.response_body["path"] == "/echo/path/simple/a%20b%2Fc%3F"
    assert exchange.request_path == {"value": "a b/c?"}
    assert exchange.method == "GET" and exchange.status_code == 200


def test_query_header_cookie_and_undeclared_parameters(
    params: Workspace, echo: tuple[str, Starlette]
) -> None:
    parameters = (
        ("color", "query", ["blue", "black"]),
        ("extra", "query", "x y"),
        ("x-person", "header", {"role": "admin", "firstName": "Alex"}),
        ("X-Undeclared", "header", [1, 2]),
        ("session", "cookie", "s 1"),
    )
    exchange = run_once(
        params, call(params, "headers", "headers", parameters), servers={"echo": echo[0]}
    )
    seen = exchange.response_body
    assert seen["rawQuery"] == "color=blue&color=black&extra=x%20y"
    assert seen["headers"]["x-person"] == "role=admin,firstName=Alex"  # explode from the spec
    assert seen["headers"]["x-undeclared"] == "1,2"
    assert seen["rawCookie"] == "session=s%201"
    assert exchange.request_query == {"color": ["blue", "black"], "extra": "x y"}
    assert exchange.request_headers["Cookie"] == "session=s%201"


def test_missing_path_parameter_sends_nothing(
    params: Workspace, echo: tuple[str, Starlette]
) -> None:
    before = len(echo[1].state.calls)
    for parameters in ((), (("value", "path", None),), (("value", "path", MISSING),)):
        exchange = run_once(
            params,
            call(params, "path-styles", "simpleString", parameters),
            servers={"echo": echo[0]},
        )
        assert isinstance(exchange.error, InputError)
        assert "'value'" in str(exchange.error) and "/None" not in exchange.url
        assert exchange.status_code is None
    assert len(echo[1].state.calls) == before


def test_body_content_type_replacements_and_request_body(echo: tuple[str, Starlette]) -> None:
    ws = _open("bodies.arazzo.yaml")
    assert ws.root is not None
    step_id = next(
        s.step_id for w in ws.root.workflows for s in w.steps if s.operation_id == "echoNegotiate"
    )
    workflow_id = next(w.workflow_id for w in ws.root.workflows if w.step(step_id) is not None)
    payload = {"name": "Fido", "tags": ["a"]}
    the_call = call(ws, workflow_id, step_id, (), payload, None, (("/tags/-", "b"),))
    exchange = run_once(ws, the_call, servers={"echo": echo[0]})
    assert exchange.response_body["contentType"] == "application/json"
    assert exchange.response_body["json"] == {"name": "Fido", "tags": ["a", "b"]}
    assert exchange.request_body == {"name": "Fido", "tags": ["a", "b"]}
    assert payload == {"name": "Fido", "tags": ["a"]}


def test_unknown_operation_is_an_error_value(params: Workspace) -> None:
    the_call = call(params, "headers", "headers", operation_id="noSuchOperation")
    exchange = run_once(params, the_call)
    assert isinstance(exchange.error, InputError)
    assert "noSuchOperation" in str(exchange.error) and exchange.status_code is None


# -- credentials on real documents -------------------------------------------------------------


def test_petstore_api_key_from_auth_and_explicit_header_wins() -> None:
    ws = _open("petstore.arazzo.yaml")
    get_pet = call(ws, "login-list-get", "getPet", (("petId", "path", 1),))
    explicit = (("Authorization", "header", "Bearer not-a-token"),)
    list_pets = call(ws, "login-list-get", "listAvailable", explicit)
    with serve(make_petstore_app()) as base:
        servers = {"petstore": base}
        ok = run_once(ws, get_pet, servers=servers, auth={"apiKeyAuth": "test-api-key"})
        missing = run_once(ws, get_pet, servers=servers)
        passed_on = run_once(ws, list_pets, servers=servers, auth={"bearerAuth": "other"})
    assert ok.status_code == 200 and ok.response_body["name"] == "Fido"
    assert ok.request_headers["X-API-Key"] == "test-api-key"
    assert isinstance(missing.error, CredentialsError)
    assert "ARAZZO_AUTH_APIKEYAUTH" in str(missing.error) and missing.status_code is None
    assert passed_on.request_headers["Authorization"] == "Bearer not-a-token"
    assert passed_on.status_code == 401


def fal_call(ws: Workspace, model: str = "any-llm", **step_changes: Any) -> OperationCall:
    parameters = (("model_owner", "path", "fal-ai"), ("model_name", "path", model))
    return call(
        ws,
        "stream-inference",
        "openStream",
        parameters,
        FAL_INPUT,
        "application/json",
        **step_changes,
    )


@pytest.mark.parametrize(
    ("env", "header"),
    [
        ({"FAL_KEY": "kid:ksecret"}, "Key kid:ksecret"),
        ({"FAL_KEY_ID": "kid", "FAL_KEY_SECRET": "ksecret"}, "Key kid:ksecret"),
    ],
)
def test_fal_key_becomes_key_authorization(
    fal: Workspace, env: dict[str, str], header: str
) -> None:
    app = make_fal_app("json")
    with serve(app) as base:
        exchange = run_once(
            fal, fal_call(fal, "flux/schnell"), servers={"falModelApis": base}, env=env
        )
    seen = app.state.fal.requests
    assert [r["authorization"] for r in seen] == [header]
    assert seen[0]["path"] == "/fal-ai/flux/schnell/stream"  # x-allowReserved keeps the /
    assert exchange.request_body == FAL_INPUT


def test_missing_fal_key_message(fal: Workspace) -> None:
    exchange = run_once(fal, fal_call(fal), servers={"falModelApis": "http://127.0.0.1:9"})
    assert isinstance(exchange.error, CredentialsError)
    text = str(exchange.error)
    assert "falKey" in text and "FAL_KEY=" in text and "--mock" in text


# -- streams -----------------------------------------------------------------------------------

FAL_ENV = {"FAL_KEY": "fal-test-key-123"}


def _ended(state: Any, timeout: float = 5.0) -> bool:
    """The server saw the stream end (completed) or the client leave (disconnected)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.disconnected.is_set() or state.completed.is_set():
            return True
        time.sleep(0.01)
    return False


def stream_exchange(
    fal: Workspace, mode: str, extension: Any = None, **app_options: Any
) -> tuple[Exchange, Any, float]:
    app = make_fal_app(mode, **app_options)  # type: ignore[arg-type]
    extensions = {} if extension is None else {"x-arazzo-stream": extension}
    with serve(app) as base:
        with HttpExecutor(fal, servers={"falModelApis": base}, env=FAL_ENV) as executor:
            started = time.monotonic()
            exchange = executor.execute(fal_call(fal, extensions=extensions))
            elapsed = time.monotonic() - started
            if exchange.stream is not None:
                first = next(iter(exchange.stream))
                assert first.event == "event"
            exchange.close()
            if exchange.response_headers.get("content-type", "").startswith("text/event-stream"):
                assert _ended(app.state.fal)
    return exchange, app.state.fal, elapsed


def test_endless_stream_is_handed_over_unread_and_closed(fal: Workspace) -> None:
    exchange, state, elapsed = stream_exchange(fal, "endless")
    assert elapsed < 10.0  # an endless body read would never return
    assert isinstance(exchange.stream, EventStream)
    assert exchange.response_body is MISSING and exchange.events is None
    assert exchange.status_code == 200 and exchange.failure is None and exchange.error is None
    assert exchange.response_headers["content-type"].startswith("text/event-stream")
    assert state.disconnected.is_set() and not state.completed.is_set()
    assert len(state.requests) == 1


def test_consumed_until_final_event(fal: Workspace) -> None:
    exchange, state, _ = stream_exchange(fal, "finite", {"until": UNTIL_FINAL})
    assert exchange.error is None and exchange.failure is None
    assert exchange.events == 7 and exchange.stream is None
    assert exchange.response_body["partial"] is False
    assert exchange.response_body["output"].endswith("(Rayleigh scattering).")


def test_consumed_max_events_disconnects(fal: Workspace) -> None:
    exchange, state, _ = stream_exchange(fal, "endless", {"maxEvents": 3}, interval_ms=5)
    assert exchange.events == 3 and exchange.response_body["output"] == "tick 3"
    assert exchange.failure is None and state.disconnected.is_set()


def test_consumed_timeout_stops_and_until_not_met_fails(fal: Workspace) -> None:
    plain, _, elapsed = stream_exchange(fal, "endless", {"timeout": 0.3})
    assert plain.error is None and plain.failure is None and plain.events
    assert 0.25 < elapsed < 2.0
    truncated, _, _ = stream_exchange(fal, "endless", {"timeout": 0.3, "until": UNTIL_FINAL})
    assert truncated.failure is not None and "`until` held" in truncated.failure


def test_event_error_fails_the_step_redacted(fal: Workspace) -> None:
    exchange, _, _ = stream_exchange(fal, "model-error", {"until": UNTIL_FINAL})
    assert exchange.failure is not None and "CUDA out of memory" in exchange.failure
    leaky = [{"event": "event", "data": {"output": "", "error": "bad key fal-test-key-123"}}]
    exchange, _, _ = stream_exchange(fal, "finite", {}, events=leaky)
    assert exchange.failure is not None
    assert "fal-test-key-123" not in exchange.failure and "***" in exchange.failure


def test_bad_stream_extension_is_a_document_error(fal: Workspace) -> None:
    exchange = run_once(fal, fal_call(fal, extensions={"x-arazzo-stream": {"maxEvents": 0}}))
    assert isinstance(exchange.error, DocumentError) and "maxEvents" in str(exchange.error)


def test_json_where_only_a_stream_is_declared(fal: Workspace) -> None:
    exchange, _, _ = stream_exchange(fal, "json")
    assert exchange.failure == "expected text/event-stream, got application/json"
    assert exchange.response_body["partial"] is False


def test_fal_422_and_html_502_descriptions(fal: Workspace) -> None:
    invalid, _, _ = stream_exchange(fal, "validation-error")
    assert invalid.status_code == 422 and invalid.failure is None
    text = describe_error_response(422, invalid.response_headers, invalid.response_body)
    assert "HTTP 422 Unprocessable" in text and "body.prompt: field required" in text
    assert "X-Fal-Error-Type: validation_error" in text and "x-fal-request-id: 0000" in text
    gateway, _, _ = stream_exchange(fal, "bad-gateway")
    text = describe_error_response(502, gateway.response_headers, gateway.response_body)
    assert gateway.response_body == NGINX_502
    assert "HTML error page from a proxy" in text and "502 Bad Gateway" in text


def test_describe_error_response_lines_and_plain_bodies() -> None:
    detail = {"detail": [{"loc": ["body", "a"], "msg": "m1"}, {"loc": ["q"], "msg": "m2"}]}
    assert describe_error_response(422, {}, detail) == (
        "HTTP 422 Unprocessable Entity:\n  body.a: m1\n  q: m2"
    )
    headers = {"X-Fal-Error-Type": "request_timeout", "X-Fal-Request-Timeout-Type": "user"}
    text = describe_error_response(504, headers, {"detail": "took too long"})
    assert text.startswith("HTTP 504 Gateway Timeout: took too long (X-Fal-Error-Type: request_")
    assert "a timeout the request asked for" in text
    assert describe_error_response(500, {}, "  boom \n") == "HTTP 500 Internal Server Error: boom"
    assert describe_error_response(599, {}, MISSING) == "HTTP 599"


# -- transport, timeouts, odd responses --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_a_transport_error(params: Workspace) -> None:
    port = free_port()
    the_call = call(params, "headers", "headers")
    exchange = run_once(params, the_call, servers={"echo": f"http://127.0.0.1:{port}"})
    assert isinstance(exchange.error, TransportError)
    assert f"127.0.0.1:{port}" in str(exchange.error) and exchange.status_code is None


MISC_OPENAPI = """\
openapi: 3.1.0
info: {title: misc, version: '1'}
servers: [{url: /v1}]
paths:
  /html: {get: {operationId: html, responses: {'502': {description: proxy}}}}
  /big: {get: {operationId: big, responses: {'200': {description: ok}}}}
  /slow: {get: {operationId: slow, responses: {'200': {description: ok}}}}
  /redirect: {get: {operationId: redirect, responses: {'302': {description: moved}}}}
  /latin: {get: {operationId: latin, responses: {'200': {description: ok}}}}
  /octets: {get: {operationId: octets, responses: {'200': {description: ok}}}}
  /badjson: {get: {operationId: badjson, responses: {'200': {description: ok}}}}
  /busy: {get: {operationId: busy, responses: {'503': {description: busy}}}}
"""
MISC_OPERATIONS = ("html", "big", "slow", "redirect", "latin", "octets", "badjson", "busy")


@pytest.fixture(scope="module")
def misc(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder = tmp_path_factory.mktemp("misc")
    (folder / "misc.yaml").write_text(MISC_OPENAPI, encoding="utf-8")
    steps = "".join(f"      - {{stepId: {op}, operationId: {op}}}\n" for op in MISC_OPERATIONS)
    (folder / "misc.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: misc, version: '1'}\n"
        "sourceDescriptions: [{name: misc, url: misc.yaml, type: openapi}]\n"
        "workflows:\n  - workflowId: misc\n    steps:\n" + steps,
        encoding="utf-8",
    )
    return open_workspace(str(folder / "misc.arazzo.yaml"))


def _latin(request: Request) -> Response:
    response = Response(b"h\xe9llo", media_type="text/plain; charset=latin-1")
    response.raw_headers += [(b"x-multi", b"a"), (b"X-Multi", b"b")]
    return response


def _misc_app() -> Starlette:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(1.0)
        return JSONResponse({})

    routes = {
        "/v1/html": lambda r: HTMLResponse(NGINX_502, status_code=502),
        "/v1/big": lambda r: JSONResponse(list(range(100))),
        "/v1/redirect": lambda r: Response(status_code=302, headers={"Location": "/v1/html"}),
        "/v1/latin": _latin,
        "/v1/octets": lambda r: Response(b"\x00\xff", media_type="application/octet-stream"),
        "/v1/badjson": lambda r: Response(b"{not json", media_type="application/json"),
        "/v1/busy": lambda r: JSONResponse(
            {}, status_code=503, headers={"Retry-After": "Wed, 21 Oct 2065 07:28:00 GMT"}
        ),
    }

    def sync(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            return handler(request)  # type: ignore[no-any-return]

        return endpoint

    return Starlette(
        routes=[Route("/v1/slow", slow)] + [Route(p, sync(h)) for p, h in routes.items()]
    )


@pytest.fixture(scope="module")
def misc_server() -> Iterator[str]:
    with serve(_misc_app()) as base:
        yield base + "/v1"


def misc_call(ws: Workspace, op: str) -> OperationCall:
    return call(ws, "misc", op)


def test_relative_server_without_override_asks_for_server(misc: Workspace) -> None:
    exchange = run_once(misc, misc_call(misc, "html"))
    assert isinstance(exchange.error, RunError)
    assert "--server misc=" in str(exchange.error) and "file://" in str(exchange.error)


def test_override_must_be_http(misc: Workspace) -> None:
    exchange = run_once(misc, misc_call(misc, "html"), servers={"misc": "ftp://x"})
    assert isinstance(exchange.error, InputError)


def test_odd_responses(misc: Workspace, misc_server: str) -> None:
    servers = {"misc": misc_server}
    redirect = run_once(misc, misc_call(misc, "redirect"), servers=servers)
    assert redirect.status_code == 302 and redirect.response_headers["location"] == "/v1/html"
    latin = run_once(misc, misc_call(misc, "latin"), servers=servers)
    assert latin.response_body == "héllo" and latin.response_headers["x-multi"] == "a, b"
    assert run_once(misc, misc_call(misc, "octets"), servers=servers).response_body == b"\x00\xff"
    assert run_once(misc, misc_call(misc, "badjson"), servers=servers).response_body == "{not json"
    busy = run_once(misc, misc_call(misc, "busy"), servers=servers)
    assert busy.status_code == 503 and busy.retry_after is not None and busy.retry_after > 1e8


def test_body_cap_and_read_timeout(misc: Workspace, misc_server: str) -> None:
    servers = {"misc": misc_server}
    big = run_once(misc, misc_call(misc, "big"), servers=servers, max_body_bytes=10)
    assert isinstance(big.error, RunError) and "larger than" in str(big.error)
    assert big.status_code == 200
    slow = run_once(misc, misc_call(misc, "slow"), servers=servers, timeouts=Timeouts(read=0.2))
    assert isinstance(slow.error, RunTimeout)
    assert "waiting for an answer from 127.0.0.1:" in str(slow.error)


def test_retry_after_from_a_real_workflow() -> None:
    from tests.support.apps import make_flow_app

    ws = _open("control-flow.arazzo.yaml")
    parameters = (("key", "path", "k-1"), ("failures", "query", 1), ("retryAfter", "query", "2"))
    with serve(make_flow_app()) as base:
        exchange = run_once(
            ws, call(ws, "retry-after-header", "callFlaky", parameters), servers={"flow": base}
        )
    assert exchange.status_code == 503 and exchange.retry_after == 2.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 1.5 ", 1.5),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 40.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("-1", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=60.0) == seconds


def test_idle_timeout_of_a_handed_over_stream(fal: Workspace) -> None:
    app = make_fal_app("stall")
    with serve(app) as base:
        policy = StreamPolicy(idle_timeout=0.2)
        with HttpExecutor(
            fal, servers={"falModelApis": base}, env=FAL_ENV, stream_policy=policy
        ) as executor:
            exchange = executor.execute(fal_call(fal))
            assert exchange.stream is not None
            with pytest.raises(RunTimeout, match="idle_timeout"):
                list(exchange.stream)
            exchange.close()
        assert app.state.fal.disconnected.wait(5)
