"""The mock app under real uvicorn on 127.0.0.1 (``arazzo_runner.mock.serve_app``).

Status codes and headers, ``Accept`` negotiation, ``Prefer``, route specificity with a model
name that holds ``/``, 422 bodies for requests that do not match the description, SSE pacing
and a client that hangs up in the middle of a stream.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_runner.document.openapi.index import OpenAPIIndex, load_openapi
from arazzo_runner.document.yaml_reader import LocatedDocument, load_text
from arazzo_runner.errors import SourceError
from arazzo_runner.mock import build_app, load_indexes, serve_app
from arazzo_runner.mock.examples import generate
from arazzo_runner.streaming.sse import SSEDecoder
from arazzo_runner.wire.serialize import serialize_parameter

ROOT = Path(__file__).resolve().parent.parent
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
TIMEOUT = httpx.Timeout(10.0)

SHOP = """
openapi: 3.1.0
info: {title: shop, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - name: limit
          in: query
          required: true
          schema: {type: integer, minimum: 1, maximum: 100}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              examples:
                two: {value: [{id: 1, name: Fido}, {id: 2, name: Rex}]}
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, minLength: 1}
                age: {type: integer, minimum: 0}
      responses:
        '201':
          description: made
          headers:
            Location: {schema: {type: string}, example: /pets/3}
          content:
            application/json:
              schema:
                type: object
                required: [id, name]
                properties:
                  id: {type: integer, minimum: 3}
                  name: {type: string, example: Tom}
        '422':
          description: invalid
          headers:
            X-Problem: {schema: {type: string}, example: validation}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
        - {name: X-Trace, in: header, schema: {type: string, format: uuid}}
      responses:
        '200':
          description: ok
          headers:
            X-Rate-Limit: {schema: {type: integer}, example: 99}
            X-Cached: {schema: {type: boolean}}
            X-Served-By: {schema: {type: string}, examples: {a: {value: mock-1}}}
          content:
            application/json:
              example: {id: 1, name: Fido}
            application/xml:
              example: <pet><id>1</id><name>Fido</name></pet>
        '404':
          description: missing
          content:
            application/json:
              examples:
                gone: {value: {detail: Pet was adopted}}
                never: {value: {detail: No such pet}}
    delete:
      operationId: deletePet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        '204': {description: deleted}
  /ticks:
    get:
      operationId: ticks
      responses:
        '200':
          description: a paced stream
          headers:
            X-Stream-Id: {schema: {type: string}, example: s-1}
          content:
            text/event-stream:
              schema: {type: string}
              x-arazzo-mock-events:
                - {event: tick, data: {n: 1}, delayMs: 150}
                - {event: tick, data: {n: 2}, delayMs: 150}
                - {event: tick, data: {n: 3}, delayMs: 150}
                - {event: done, data: {n: 4}, delayMs: 150}
  /endless:
    get:
      operationId: endless
      responses:
        '200':
          description: a long stream
          content:
            text/event-stream:
              schema: {type: string}
              x-arazzo-mock-events:
{endless}
"""

ENDLESS_EVENTS = 400


def _no_fetch(url: str) -> LocatedDocument:
    raise SourceError(f"unexpected fetch of {url}")


def shop_index() -> OpenAPIIndex:
    lines = [f"                - {{data: {{n: {n}}}, delayMs: 20}}" for n in range(ENDLESS_EVENTS)]
    text = SHOP.replace("{endless}", "\n".join(lines))
    index, diagnostics = load_openapi(load_text(text, "shop.yaml"), "file:///shop.yaml", _no_fetch)
    assert not [d for d in diagnostics if d.severity.name == "ERROR"], diagnostics
    return index


@dataclass
class Sleeps:
    """The mock's SSE pacing, recorded: each wait asked for, and whether one was cancelled."""

    asked: list[float] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


@dataclass(frozen=True)
class Served:
    url: str
    sleeps: Sleeps


@pytest.fixture(scope="module")
def shop() -> Iterator[Served]:
    sleeps = Sleeps()
    with serve_app(build_app(shop_index(), sleep=sleeps)) as url:
        yield Served(url, sleeps)


@pytest.fixture(scope="module")
def fal() -> Iterator[str]:
    (index,) = load_indexes(str(FAL_OPENAPI)).values()
    with serve_app(build_app(index)) as url:
        yield url


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as shared:
        yield shared


def detail(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "application/json"
    problems: list[dict[str, Any]] = response.json()["detail"]
    assert all(set(p) == {"loc", "msg", "type"} and p["msg"] for p in problems)
    return problems


def sse(text: str) -> list[tuple[str, Any]]:
    decoder = SSEDecoder()
    return [(e.event, json.loads(e.data)) for e in decoder.feed(text.encode()) + decoder.close()]


# --------------------------------------------------------------------------- answers
def test_lowest_2xx_with_its_example_and_declared_headers(
    shop: Served, client: httpx.Client
) -> None:
    response = client.get(f"{shop.url}/pets/1")
    assert response.status_code == 200
    assert response.json() == {"id": 1, "name": "Fido"}
    assert response.headers["x-rate-limit"] == "99"
    assert response.headers["x-cached"] == "true"  # generated from the schema
    assert response.headers["x-served-by"] == "mock-1"  # from `examples`


def test_created_answers_201_with_location_and_generated_body(
    shop: Served, client: httpx.Client
) -> None:
    response = client.post(f"{shop.url}/pets", json={"name": "Tom", "age": 2})
    assert response.status_code == 201
    assert response.headers["location"] == "/pets/3"
    assert response.json() == {"id": 3, "name": "Tom"}


def test_no_content_is_an_empty_204(shop: Served, client: httpx.Client) -> None:
    response = client.delete(f"{shop.url}/pets/1")
    assert (response.status_code, response.content) == (204, b"")


def test_named_examples_give_the_first(shop: Served, client: httpx.Client) -> None:
    response = client.get(f"{shop.url}/pets", params={"limit": 2})
    assert response.json() == [{"id": 1, "name": "Fido"}, {"id": 2, "name": "Rex"}]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/xml", "application/xml"),
        ("application/json", "application/json"),
        ("application/json;q=0.2, application/xml", "application/xml"),
        ("text/html, application/*;q=0.5", "application/json"),
        ("*/*", "application/json"),
        ("application/xml;q=0, */*;q=0.1", "application/json"),
        ("image/png", "application/json"),  # nothing fits: the first declared
        ("", "application/json"),
    ],
)
def test_accept_chooses_the_media_type(
    shop: Served, client: httpx.Client, accept: str, media_type: str
) -> None:
    response = client.get(f"{shop.url}/pets/1", headers={"Accept": accept})
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type == "application/xml":
        assert response.text == "<pet><id>1</id><name>Fido</name></pet>"


def test_prefer_code_and_example(shop: Served, client: httpx.Client) -> None:
    url = f"{shop.url}/pets/1"
    assert client.get(url, headers={"Prefer": "code=404"}).json() == {"detail": "Pet was adopted"}
    chosen = client.get(url, headers={"Prefer": "code=404, example=never"})
    assert (chosen.status_code, chosen.json()) == (404, {"detail": "No such pet"})


def test_prefer_what_is_not_declared_is_a_400_naming_what_is(
    shop: Served, client: httpx.Client
) -> None:
    url = f"{shop.url}/pets/1"
    response = client.get(url, headers={"Prefer": "code=418"})
    assert response.status_code == 400
    (problem,) = detail(response)
    assert problem["loc"] == ["header", "prefer"] and "declared: 200, 404" in problem["msg"]
    response = client.get(url, headers={"Prefer": "example=nope"})
    assert response.status_code == 400 and "'nope'" in detail(response)[0]["msg"]


# --------------------------------------------------------------------------- validation
def test_missing_required_query_parameter(shop: Served, client: httpx.Client) -> None:
    response = client.get(f"{shop.url}/pets")
    assert response.status_code == 422
    assert detail(response) == [
        {"loc": ["query", "limit"], "msg": "field required", "type": "value_error.missing"}
    ]


def test_wrong_parameter_types_and_bounds(shop: Served, client: httpx.Client) -> None:
    (problem,) = detail(client.get(f"{shop.url}/pets/abc"))
    assert problem["loc"] == ["path", "petId"] and problem["type"] == "type_error.integer"
    (problem,) = detail(client.get(f"{shop.url}/pets", params={"limit": 1000}))
    assert problem["loc"] == ["query", "limit"] and problem["type"] == "value_error.maximum"
    (problem,) = detail(client.get(f"{shop.url}/pets/1", headers={"X-Trace": "x"}))
    assert problem["loc"] == ["header", "X-Trace"] and problem["type"] == "value_error.format"
    trace = {"X-Trace": "0b6f5c3e-8d1a-4e7b-9a2c-4f1e2d3c4b5a"}
    assert client.get(f"{shop.url}/pets/1", headers=trace).status_code == 200


def test_array_query_parameters_are_accepted(shop: Served, client: httpx.Client) -> None:
    response = client.get(f"{shop.url}/pets", params=[("limit", "2"), ("tags", "a"), ("tags", "b")])
    assert response.status_code == 200


def test_bad_json_body(shop: Served, client: httpx.Client) -> None:
    response = client.post(
        f"{shop.url}/pets", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["x-problem"] == "validation"  # the declared 422's headers
    (problem,) = detail(response)
    assert problem["loc"] == ["body"] and problem["type"] == "value_error.jsondecode"
    assert problem["msg"].startswith("invalid JSON")


def test_wrong_content_type(shop: Served, client: httpx.Client) -> None:
    response = client.post(
        f"{shop.url}/pets", content=b"name=Tom", headers={"Content-Type": "text/plain"}
    )
    (problem,) = detail(response)
    assert response.status_code == 422
    assert problem["loc"] == ["header", "content-type"]
    assert "text/plain" in problem["msg"] and "application/json" in problem["msg"]


def test_body_against_its_schema(shop: Served, client: httpx.Client) -> None:
    problems = detail(client.post(f"{shop.url}/pets", json={"age": -1}))
    assert [(p["loc"], p["type"]) for p in problems] == [
        (["body", "name"], "value_error.missing"),
        (["body", "age"], "value_error.minimum"),
    ]
    assert "minimum of 0" in problems[1]["msg"]
    (problem,) = detail(client.post(f"{shop.url}/pets"))
    assert problem == {"loc": ["body"], "msg": "field required", "type": "value_error.missing"}


# --------------------------------------------------------------------------- routes (fal)
def test_stream_route_wins_over_the_queue_route_for_a_slashy_model_name(
    fal: str, client: httpx.Client
) -> None:
    body = {"prompt": "A lighthouse"}
    streamed = client.post(f"{fal}/fal-ai/flux/schnell/stream", json=body)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = sse(streamed.text)
    assert "progress" in events[0][1] and "images" in events[-1][1]  # flux's own events
    queued = client.post(f"{fal}/fal-ai/flux/schnell", json=body)
    assert queued.status_code == 200 and queued.json()["request_id"]
    assert queued.headers["content-type"] == "application/json"


def test_any_llm_gets_the_default_stream(fal: str, client: httpx.Client) -> None:
    response = client.post(f"{fal}/fal-ai/any-llm/stream", json={"prompt": "hi"})
    events = sse(response.text)
    assert {name for name, _ in events} == {"event"}
    assert events[-1][1]["partial"] is False
    assert response.headers["x-fal-request-id"] == "764cabcf-b745-4b3e-ae38-1200304cf45b"
    assert response.headers["cache-control"] == "no-cache"


def test_queue_routes_with_a_slashy_model_name(fal: str, client: httpx.Client) -> None:
    request_id = "764cabcf-b745-4b3e-ae38-1200304cf45b"
    base = f"{fal}/fal-ai/flux/schnell/requests/{request_id}"
    assert client.get(f"{base}/status").json()["status"] == "COMPLETED"
    with client.stream("GET", f"{base}/status/stream") as response:
        statuses = [data["status"] for _, data in sse(response.read().decode())]
    assert statuses == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert client.get(base).json()["partial"] is False
    assert client.put(f"{base}/cancel").status_code == 202
    (problem,) = detail(client.get(f"{fal}/fal-ai/any-llm/requests/not-a-uuid/status"))
    assert problem["loc"] == ["path", "request_id"]


def test_undeclared_paths_and_methods(fal: str, client: httpx.Client) -> None:
    missing = client.get(f"{fal}/fal-ai")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "GET /fal-ai: this path is not in the description"}
    wrong = client.get(f"{fal}/fal-ai/any-llm/stream")
    assert wrong.status_code == 405 and "method" in wrong.json()["detail"]
    assert wrong.headers["allow"] == "POST"


def test_fal_validation_error_shape(fal: str, client: httpx.Client) -> None:
    response = client.post(f"{fal}/fal-ai/any-llm/stream", json=["not", "an", "object"])
    assert response.status_code == 422
    assert response.headers["x-fal-request-id"]  # the declared 422's headers
    (problem,) = detail(response)
    assert problem["loc"] == ["body"] and problem["type"] == "value_error.type"
    bad_owner = client.post(f"{fal}/fal%20ai/any-llm/stream", json={})
    assert detail(bad_owner)[0]["loc"] == ["path", "model_owner"]


# --------------------------------------------------------------------------- SSE pacing
def test_events_arrive_in_order_spread_over_time(shop: Served, client: httpx.Client) -> None:
    arrivals: list[tuple[float, str]] = []
    decoder = SSEDecoder()
    with client.stream("GET", f"{shop.url}/ticks") as response:
        assert response.headers["x-stream-id"] == "s-1"
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_raw():
            now = time.monotonic()
            arrivals += [(now, e.data) for e in decoder.feed(chunk)]
    assert [json.loads(data)["n"] for _, data in arrivals] == [1, 2, 3, 4]
    times = [t for t, _ in arrivals]
    assert times == sorted(times)
    # The server waits 150 ms before each event: the last one cannot come with the first.
    assert times[-1] - times[0] > 0.2
    assert len(set(times)) > 1


def test_a_client_that_hangs_up_stops_the_stream(shop: Served, client: httpx.Client) -> None:
    shop.sleeps.cancelled.clear()
    received = 0
    decoder = SSEDecoder()
    with client.stream("GET", f"{shop.url}/endless") as response:
        for chunk in response.iter_raw():
            received += len(decoder.feed(chunk))
            if received >= 3:
                break
    assert shop.sleeps.cancelled.wait(5), "the mock kept streaming after the client left"
    asked = len(shop.sleeps.asked)
    assert asked < ENDLESS_EVENTS


# --------------------------------------------------------------------------- parameter styles
PARAMS_OPENAPI = ROOT / "openapi" / "params.openapi.yaml"


def _param_samples() -> list[tuple[str, str]]:
    """(operationId, parameter name) for every parameter of params.openapi.yaml."""
    (index,) = load_indexes(str(PARAMS_OPENAPI)).values()
    return [(op.operation_id or "", p.name) for op in index.operations for p in op.parameters]


def _request_for(index: OpenAPIIndex, operation_id: str, value_of: Any) -> httpx.Request:
    """The request our serializer builds for every parameter of one operation."""
    operation = index.by_id(operation_id)
    assert operation is not None
    path, query, headers, cookies = operation.path, [], {}, []
    for spec in operation.parameters:
        value = value_of(spec, index.resolve_schema(spec.schema))
        pairs = serialize_parameter(spec.raw, value)
        if spec.in_ == "path":
            path = path.replace("{" + spec.name + "}", pairs[0][1])
        elif spec.in_ == "query":
            query += [f"{k}={v}" for k, v in pairs]
        elif spec.in_ == "header":
            headers.update(pairs)
        else:
            cookies += [f"{k}={v}" for k, v in pairs]
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    url = path + ("?" + "&".join(query) if query else "")
    return httpx.Request(operation.method.upper(), url, headers=headers)


def _sample(spec: Any, schema: dict[str, Any]) -> Any:
    """A valid value with more than one item or member, so delimiters are exercised."""
    value = generate(schema)
    if isinstance(value, list):
        return value * 3
    return value


def _wrong(spec: Any, schema: dict[str, Any]) -> Any:
    """A value of the wrong type for integers (and integer items), else a valid one."""
    value = _sample(spec, schema)
    if isinstance(value, list) and value and isinstance(value[0], int):
        return [*value, "x"]
    return "x" if isinstance(value, int) and not isinstance(value, bool) else value


@pytest.fixture(scope="module")
def params_mock() -> Iterator[tuple[OpenAPIIndex, str]]:
    (index,) = load_indexes(str(PARAMS_OPENAPI)).values()
    with serve_app(build_app(index)) as url:
        yield index, url


@pytest.mark.parametrize(
    "operation_id", sorted({op for op, _ in _param_samples()}), ids=lambda op: op
)
def test_every_style_our_serializer_writes_is_read_back_and_accepted(
    params_mock: tuple[OpenAPIIndex, str], client: httpx.Client, operation_id: str
) -> None:
    index, url = params_mock
    request = _request_for(index, operation_id, _sample)
    response = client.send(
        client.build_request(request.method, url + str(request.url), headers=request.headers)
    )
    assert response.status_code != 422, (str(request.url), response.text)
