"""Our response checks agree with openapi-core's ``validate_response`` (the reference, slow but
complete) on the same descriptions and bodies: same verdict, valid or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from arazzo_runner.results import Failure
from tests.test_contract_checks import DATA, _checks

ITEM = {"name": "pen", "price": 1.5}
CASES: list[tuple[str, str, str, str, int, Any]] = [
    # (description, operationId, method, path, status, body)
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [ITEM]}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [], "next": None}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [ITEM], "next": 3}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [{"name": "pen"}]}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [{**ITEM, "price": -1}]}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [{**ITEM, "name": ""}]}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"items": [{**ITEM, "tags": [1]}]}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, {"next": None}),
    ("shop.openapi.yaml", "listItems", "get", "/items", 200, [ITEM]),
    ("shop.openapi.yaml", "getPet", "get", "/pets/1", 200, {"kind": "Cat", "meows": True}),
    ("shop.openapi.yaml", "getPet", "get", "/pets/1", 200, {"kind": "Dog", "barks": False}),
    ("shop.openapi.yaml", "getPet", "get", "/pets/1", 200, {"kind": "Dog", "meows": True}),
    ("legacy.openapi.yaml", "getUser", "get", "/users/1", 200, {"name": "ann"}),
    ("legacy.openapi.yaml", "getUser", "get", "/users/1", 200, {"name": "a", "nickname": None}),
    ("legacy.openapi.yaml", "getUser", "get", "/users/1", 200, {"name": None}),
    ("legacy.openapi.yaml", "getUser", "get", "/users/1", 200, {"name": "a", "id": "x"}),
]


def _reference(name: str, method: str, path: str, status: int, body: Any) -> bool:
    app = OpenAPI.from_file_path(str(DATA / name))
    prefix = "/unused" if name == "shop.openapi.yaml" else ""  # the shop's server URL
    request = MockRequest("http://127.0.0.1:9", method, prefix + path)
    response = MockResponse(
        json.dumps(body).encode(),
        status_code=status,
        content_type="application/json",
        headers={"X-Total": "1"},
    )
    try:
        app.validate_response(request, response)
    except Exception:  # openapi-core's own error tree: any of it means "not valid"
        return False
    return True


@pytest.mark.parametrize(("name", "operation_id", "method", "path", "status", "body"), CASES)
def test_same_verdict_as_openapi_core(
    name: str, operation_id: str, method: str, path: str, status: int, body: Any
) -> None:
    checks = _checks(name, operation_id)
    found: list[Failure] = []
    headers = {"content-type": "application/json", "x-total": "1"}
    checks.response(status, headers, "application/json", body, found)
    ours = not found
    assert ours == _reference(name, method, path, status, body), [f.reason for f in found]


def test_the_cases_are_not_one_sided() -> None:
    verdicts = {_reference(n, m, p, s, b) for n, _, m, p, s, b in CASES}
    assert verdicts == {True, False}
    assert Path(DATA).is_dir()
