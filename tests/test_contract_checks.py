"""The contract checks on their own: one operation's checks against values, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import OpenAPIIndex, load_openapi
from arazzo_runner.document.yaml_reader import LocatedDocument, load_file
from arazzo_runner.results import Failure
from arazzo_runner.validation.contract import (
    Contract,
    OperationContract,
    RequestValues,
    parse_severity,
)

DATA = Path(__file__).parent / "data" / "openapi"


def _fetch(url: str) -> LocatedDocument:
    return load_file(Path(unquote(urlsplit(url).path)))


def _index(name: str) -> OpenAPIIndex:
    path = DATA / name
    index, diagnostics = load_openapi(load_file(path), path.resolve().as_uri(), _fetch)
    assert not [d for d in diagnostics if d.severity.value == "error"], diagnostics
    return index


def _checks(name: str, operation_id: str, **levels: str) -> OperationContract:
    index = _index(name)
    operation = index.by_id(operation_id)
    assert operation is not None
    settings = parse_severity({k.replace("_", "-"): v for k, v in levels.items()})
    found = Contract(settings).operation(index, operation)
    assert found is not None
    return found


def _response(checks: OperationContract, status: int, body: Any, **headers: str) -> list[Failure]:
    found: list[Failure] = []
    content_type = headers.pop("content_type", "application/json")
    headers = {"content-type": content_type, "x-total": "3", **headers}
    checks.response(status, headers, content_type, body, found)
    return found


def test_a_valid_response_has_no_findings() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    body = {"items": [{"name": "pen", "price": 1.5}], "next": None}
    assert _response(checks, 200, body) == []


def test_a_body_that_breaks_the_schema_names_pointer_keyword_and_line() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    body = {"items": [{"name": "pen", "price": "cheap"}]}
    [finding] = _response(checks, 200, body)
    assert finding.check == "schema" and finding.severity == "error"
    assert finding.pointer == "/items/0/price"
    assert finding.keyword == "type"
    text = (DATA / "shop.openapi.yaml").read_text().splitlines()
    file, line = finding.schema.rsplit(":", 1)  # type: ignore[union-attr]
    assert file.endswith("shop.openapi.yaml")
    assert text[int(line) - 1].strip() == "type: number"
    assert "/items/0/price" in finding.reason and "'cheap'" in finding.reason


def test_a_schema_in_another_file_is_located_there() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    [finding] = _response(
        checks, 404, {"title": "gone", "status": 200}, content_type="application/problem+json"
    )
    assert finding.pointer == "/status" and finding.keyword == "minimum"
    assert finding.schema is not None and "shared.openapi.yaml:" in finding.schema


def test_undeclared_status_and_content_type_fail_their_checks() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    [status] = _response(checks, 500, {"x": 1})
    assert status.check == "status-code" and "500" in status.reason
    [media] = _response(checks, 200, "<html/>", content_type="text/html")
    assert media.check == "content-type" and "text/html" in media.reason


def test_parameters_of_the_content_type_do_not_matter() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    body = {"items": []}
    assert _response(checks, 200, body, content_type="application/json; charset=utf-8") == []


def test_warn_and_off_levels() -> None:
    warn = _checks("shop.openapi.yaml", "listItems", schema="warn")
    [finding] = _response(warn, 200, {"items": "none"})
    assert finding.severity == "warn"
    off = _checks("shop.openapi.yaml", "listItems", schema="off", status_code="off")
    assert _response(off, 200, {"items": "none"}) == []
    assert _response(off, 599, {"items": "none"}) == []


def test_headers_are_required_and_typed() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    found: list[Failure] = []
    checks.response(
        200, {"content-type": "application/json"}, "application/json", {"items": []}, found
    )
    assert [f.check for f in found] == ["headers"] and "X-Total" in found[0].reason
    [typed] = _response(checks, 200, {"items": []}, **{"x-total": "-1"})
    assert typed.check == "headers" and typed.keyword == "minimum"
    [text] = _response(checks, 200, {"items": []}, **{"x-total": "lots"})
    assert text.keyword == "type"


def test_discriminator_picks_the_mapped_schema() -> None:
    checks = _checks("shop.openapi.yaml", "getPet")
    assert _response(checks, 200, {"kind": "Cat", "meows": True}) == []
    found = _response(checks, 200, {"kind": "Dog", "meows": True})
    assert found and all(f.check == "schema" for f in found)
    assert any("barks" in f.reason for f in found)


def test_openapi_3_0_nullable_and_write_only() -> None:
    checks = _checks("legacy.openapi.yaml", "getUser")
    assert _response(checks, 200, {"name": "ann", "nickname": None}) == []  # password writeOnly
    [leak] = _response(checks, 200, {"name": "ann", "password": "s3cret"})
    assert leak.keyword == "writeOnly"
    put = _checks("legacy.openapi.yaml", "putUser")
    sent: list[Failure] = []
    assert not put.request(
        RequestValues(
            path={"id": 1},
            body={"id": 7, "name": "a", "password": "p"},
            content_type="application/json",
        ),
        sent,
    )
    assert [f.keyword for f in sent] == ["readOnly"]


def test_the_request_check() -> None:
    checks = _checks("shop.openapi.yaml", "listItems")
    found: list[Failure] = []
    assert checks.request(RequestValues(query={"limit": "10"}), found) and found == []
    assert not checks.request(RequestValues(query={}), found)
    assert "limit" in found[-1].reason and found[-1].check == "request"
    found.clear()
    assert not checks.request(RequestValues(query={"limit": 99}), found)
    assert found[0].keyword == "maximum" and found[0].schema is not None
    put = _checks("shop.openapi.yaml", "putItem")
    found.clear()
    assert not put.request(RequestValues(path={"id": 1}), found)
    assert "required" in found[0].reason
    found.clear()
    body = {"name": "", "price": 1}
    assert not put.request(
        RequestValues(path={"id": 1}, body=body, content_type="application/json"), found
    )
    assert found[0].pointer == "/name" and found[0].keyword == "minLength"


def test_compiled_once_per_operation() -> None:
    index = _index("shop.openapi.yaml")
    operation = index.by_id("listItems")
    assert operation is not None
    contract = Contract()
    assert contract.operation(index, operation) is contract.operation(index, operation)
    checks = contract.operation(index, operation)
    assert checks is not None
    _response(checks, 200, {"items": []})
    first = checks.responses.status("200").schema("application/json")
    _response(checks, 200, {"items": [1]})
    assert checks.responses.status("200").schema("application/json") is first


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["schema"], "expects CHECK=LEVEL"),
        (["colour=warn"], "unknown check 'colour'"),
        (["schema=loud"], "must be one of error, warn, off"),
    ],
)
def test_bad_severity_settings_name_the_option(pairs: list[str], message: str) -> None:
    from arazzo_runner.errors import InputError

    with pytest.raises(InputError, match=message) as caught:
        parse_severity(pairs)
    assert caught.value.exit_code == 2 and "--severity" in str(caught.value)


def test_all_then_one() -> None:
    settings = parse_severity(["all=off", "schema=warn"])
    assert settings.level("schema") == "warn" and settings.level("request") == "off"
    assert MISSING is not None


def test_each_item_of_a_json_lines_body_is_checked() -> None:
    checks = _checks("lines.openapi.yaml", "getLog")
    good = b'{"level": "info"}\n{"level": "warn"}\n'
    assert _response(checks, 200, good, content_type="application/jsonl") == []
    bad = b'{"level": "info"}\n{"level": "loud"}\nnot json\n'
    found = _response(checks, 200, bad, content_type="application/jsonl")
    assert [(f.check, f.pointer, f.keyword) for f in found] == [
        ("event-schema", "/level", "enum"),
        ("event-schema", None, None),
    ]
    assert "item 2" in found[0].reason and "item 3" in found[1].reason
