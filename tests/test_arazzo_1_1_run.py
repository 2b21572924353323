"""workflows/cafe-1.1.arazzo.yaml runs against a cafe on 127.0.0.1 (Arazzo 1.1 at run time).

The app records what it received, so each 1.1 feature is checked on the server side: the
whole query string (querystring), the body built from Selector Objects and ``$self``, the
order of requests (dependsOn), and the notify workflow's inputs (action parameters).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arazzo_runner.runner import Runner
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
CAFE = ROOT / "workflows" / "cafe-1.1.arazzo.yaml"
MENU = [
    {"id": "m-cake", "name": "Cake", "category": "food"},
    {"id": "m-tea", "name": "Tea", "category": "beverage"},
    {"id": "m-coffee", "name": "Coffee", "category": "beverage"},
]


def make_cafe_app() -> Starlette:
    calls: list[tuple[str, str, Any]] = []
    orders: dict[str, dict[str, Any]] = {}

    async def menu(request: Request) -> JSONResponse:
        calls.append(("GET /menu", request.url.query, None))
        category = request.query_params.get("category")
        limit = int(request.query_params.get("limit", "10"))
        items = [m for m in MENU if category in (None, m["category"])][:limit]
        return JSONResponse({"items": items})

    async def create(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        calls.append(("POST /orders", "", body))
        order = {"id": f"o-{len(orders) + 1}", "status": "placed", **body}
        orders[order["id"]] = order
        return JSONResponse(order, status_code=201)

    async def get_order(request: Request) -> JSONResponse:
        order_id = request.path_params["orderId"]
        calls.append(("GET /orders/{id}", order_id, None))
        if order_id not in orders:
            return JSONResponse({"error": "no such order"}, status_code=404)
        return JSONResponse(orders[order_id])

    async def notify(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        calls.append(("POST /notifications", "", body))
        return JSONResponse({"queued": True}, status_code=202)

    app = Starlette(
        routes=[
            Route("/menu", menu),
            Route("/orders", create, methods=["POST"]),
            Route("/orders/{orderId}", get_order),
            Route("/notifications", notify, methods=["POST"]),
        ]
    )
    app.state.calls = calls
    return app


@pytest.fixture
def cafe() -> Iterator[tuple[Starlette, str]]:
    app = make_cafe_app()
    with serve(app) as url:
        yield app, url


INPUTS = {"customer": {"name": "Ada"}, "category": "beverage", "quantity": 2}


def test_the_1_1_workflow_runs(cafe: tuple[Starlette, str]) -> None:
    app, url = cafe
    result = Runner(servers={"cafe": url}, env={}, timeout=20).run(str(CAFE), "place-order", INPUTS)
    assert result.status == "passed", [(s.step_id, s.failures) for s in result.steps]
    assert [s.step_id for s in result.steps] == [
        "find-item",
        "create-order",
        "confirm-order",
        "send",
    ]
    calls = app.state.calls
    # querystring: the whole query string, from name/value pairs, form encoded
    assert calls[0] == ("GET /menu", "category=beverage&limit=2", None)
    # selectors (JSONPath with a version, JSON Pointer) in payload and outputs; $self;
    # a replacement whose target is a JSONPath (targetSelectorType)
    assert calls[1] == (
        "POST /orders",
        "",
        {
            "customerName": "Ada",
            "placedBy": "https://cafe.example/workflows/cafe-1.1.arazzo.yaml",
            "items": [{"menuItemId": "m-tea", "quantity": 2}],  # the JSONPath replacement
        },
    )
    assert result.steps[0].outputs == {"itemId": "m-tea", "itemName": "Tea"}
    assert calls[2] == ("GET /orders/{id}", "o-1", None)
    # action parameters: the notify workflow's inputs come from the goto's parameters
    assert calls[3] == (
        "POST /notifications",
        "",
        {"orderId": "o-1", "message": "Tea is on its way"},
    )
    assert result.outputs == {"queued": True, "orderId": "o-1"}


def test_a_dependency_that_did_not_pass_stops_the_step(
    cafe: tuple[Starlette, str], tmp_path: Path
) -> None:
    """find-item jumps over create-order (goto), so confirm-order's dependsOn is unmet."""
    app, url = cafe
    (tmp_path / "openapi").mkdir()
    openapi = ROOT / "openapi" / "cafe-1.1.openapi.yaml"
    (tmp_path / "openapi" / openapi.name).write_text(openapi.read_text("utf-8"), "utf-8")
    (tmp_path / "workflows").mkdir()
    text = CAFE.read_text(encoding="utf-8")
    text = text.replace(
        "            type: {type: jsonpath, version: rfc9535}\n        outputs:\n          itemId:",
        "            type: {type: jsonpath, version: rfc9535}\n"
        "        onSuccess: [{name: skip, type: goto, stepId: confirm-order}]\n"
        "        outputs:\n          itemId:",
    )
    text = text.replace(
        "            value: $steps.create-order.outputs.orderId\n        success",
        "            value: o-1\n        success",
    )
    path = tmp_path / "workflows" / "skip.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    result = Runner(servers={"cafe": url}, env={}, timeout=20).run(str(path), "place-order", INPUTS)
    assert result.status != "passed"
    confirm = result.steps[-1]
    assert confirm.step_id == "confirm-order" and confirm.status == "error"
    assert "dependsOn create-order" in confirm.failures[0].reason
    assert [c[0] for c in app.state.calls] == ["GET /menu"]  # nothing sent for confirm-order


CRITERIA = """\
arazzo: {version}
info: {{title: 1.1 criteria at run time, version: 1.0.0}}
sourceDescriptions:
  - {{name: cafe, url: ../openapi/cafe-1.1.openapi.yaml, type: openapi}}
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        category: {{type: string}}
        limit: {{type: string}}
    steps:
      - stepId: find
        operationId: listMenu
        parameters:
          - {{name: filter, in: querystring, value: [[category, $inputs.category]]}}
        successCriteria:
          - condition: $response.body#/items/0/category == '{{$inputs.category}}'
          - condition: $inputs.limit > '9'
        onSuccess:
          - name: broken
            type: end
            criteria:
              - context: $response.header.content-type
                condition: $.x
                type: jsonpath
          - {{name: next, type: goto, stepId: check}}
      - stepId: check
        operationId: listMenu
        parameters:
          - {{name: filter, in: querystring, value: [[category, $inputs.category]]}}
        successCriteria:
          - context: $response.header.content-type
            condition: $.items
            type: jsonpath
"""


def test_1_1_criteria_at_run_time(cafe: tuple[Starlette, str], tmp_path: Path) -> None:
    """Expression strings in a condition's literal, numeric strings ordered as numbers, and an
    evaluation error: in an action's criteria it is reported (a note), in successCriteria it
    fails the step and its reason is the step's failure message."""
    _, url = cafe
    (tmp_path / "openapi").mkdir()
    openapi = ROOT / "openapi" / "cafe-1.1.openapi.yaml"
    (tmp_path / "openapi" / openapi.name).write_text(openapi.read_text("utf-8"), "utf-8")
    (tmp_path / "workflows").mkdir()
    path = tmp_path / "workflows" / "criteria.arazzo.yaml"
    path.write_text(CRITERIA.format(version="1.1.0"), encoding="utf-8")
    inputs = {"category": "beverage", "limit": "10"}
    result = Runner(servers={"cafe": url}, env={}, timeout=20).run(str(path), "w", inputs)
    find, check = result.steps
    assert find.status == "passed", find.failures
    assert len(find.notes) == 1
    assert "action 'broken' not taken" in find.notes[0]
    assert "could not be evaluated" in find.notes[0] and "not JSON" in find.notes[0]
    assert check.status == "failed"
    assert "$response.header.content-type" in check.failures[0].reason
    assert "not JSON" in check.failures[0].reason
    assert result.error is not None and check.failures[0].reason in result.error
