"""Workflow inputs: command-line parsing and the schema check that runs before any request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.cli.pairs import parse_input_pairs
from arazzo_runner.document.loader import load_arazzo
from arazzo_runner.errors import InputError
from arazzo_runner.validation.inputs import check_inputs

DOC = """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml}]
components:
  inputs:
    login:
      type: object
      required: [username, password]
      properties:
        username: {type: string}
        password: {type: string, minLength: 12}
workflows:
  - workflowId: direct
    inputs:
      type: object
      required: [username, password]
      properties:
        username: {type: string}
        password: {type: string, minLength: 12}
        count: {type: integer}
    steps: [{stepId: s, operationId: op}]
  - workflowId: shared
    inputs: {$ref: "#/components/inputs/login"}
    steps: [{stepId: s, operationId: op}]
  - workflowId: whole
    inputs:
      type: object
      maxProperties: 1
      additionalProperties: false
      anyOf: [{required: [token]}, {required: [apiKey]}]
      properties: {username: {type: string}, pin: {type: string}, tags: {type: array, maxItems: 1}}
    steps: [{stepId: s, operationId: op}]
"""


def _check(tmp_path: Path, workflow_id: str, inputs: dict[str, Any]) -> str:
    path = tmp_path / "w.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    document, _ = load_arazzo(str(path))
    assert document is not None
    workflow = document.workflow(workflow_id)
    assert workflow is not None
    with pytest.raises(InputError) as info:
        check_inputs(document, workflow, inputs)
    return info.value.message


@pytest.mark.parametrize("workflow_id", ["direct", "shared"])
def test_each_missing_input_is_named_once(tmp_path: Path, workflow_id: str) -> None:
    message = _check(tmp_path, workflow_id, {})
    assert message == (
        f"workflow {workflow_id!r} inputs: missing required input 'username',"
        " missing required input 'password'"
    )


def test_a_credential_like_input_is_never_quoted(tmp_path: Path) -> None:
    message = _check(tmp_path, "direct", {"username": "ada", "password": "hunter2", "count": "x"})
    assert "hunter2" not in message
    assert "password: the value given fails `minLength` of its schema" in message
    assert "count: 'x' is not of type 'integer'" in message


def test_errors_on_the_whole_object_never_quote_a_value(tmp_path: Path) -> None:
    """maxProperties, anyOf, additionalProperties: jsonschema's messages quote every input."""
    given = {"username": "ada", "pin": "canary-pin-1234", "extra": "canary-x", "tags": ["a", "b"]}
    message = _check(tmp_path, "whole", given)
    assert "canary" not in message and "'a', 'b'" not in message, message
    assert "inputs: more than 1 inputs given" in message
    assert "inputs: unexpected input(s) 'extra'" in message
    assert "inputs: the value given fails `anyOf` of its schema" in message
    assert "tags: more than 1 items" in message


def test_valid_inputs_pass(tmp_path: Path) -> None:
    path = tmp_path / "w.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    document, _ = load_arazzo(str(path))
    assert document is not None
    for workflow in document.workflows[:2]:
        check_inputs(document, workflow, {"username": "ada", "password": "correct horse battery"})


def test_pairs_are_json_when_they_parse() -> None:
    values = parse_input_pairs(["n=42", "s=rex", 'q="42"', 'o={"a": [1]}', "e="])
    assert values == {"n": 42, "s": "rex", "q": "42", "o": {"a": [1]}, "e": ""}
    with pytest.raises(InputError):
        parse_input_pairs(["novalue"])
