"""Arazzo 1.1 documents: version dispatch, the official 1.1 schema, 1.1 fields and rules.

The corpus figures (OAI 1.1 fixtures, Redocly's 1.1 tests) are in test_corpus_conformance.py;
this file pins each rule on a small document.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.loader import build_document
from arazzo_runner.document.model import ArazzoDocument, Selector
from arazzo_runner.document.yaml_reader import load_text
from arazzo_runner.validation.rules import validate_path

HEAD = """\
arazzo: {version}
info: {{title: t, version: 1.0.0}}
sourceDescriptions: [{{name: api, url: ./api.yaml}}]
workflows:
  - workflowId: w
    steps:
"""


def build(steps: str, version: str = "1.1.0") -> tuple[ArazzoDocument | None, list[Diagnostic]]:
    text = HEAD.format(version=version) + steps
    return build_document(load_text(text, "doc.yaml"), "file:///doc.yaml")


def errors(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, d.pointer) for d in diagnostics if d.severity is Severity.ERROR]


QUERYSTRING = """\
      - stepId: s
        operationId: o
        parameters: [{name: q, in: querystring, value: 'a=1&b=2'}]
"""


def test_querystring_is_1_1_only() -> None:
    doc, found = build(QUERYSTRING)
    assert doc is not None and errors(found) == []
    assert doc.workflows[0].steps[0].parameters[0].in_ == "querystring"  # type: ignore[union-attr]
    _, old = build(QUERYSTRING, "1.0.1")
    assert errors(old) == [("invalid-enum", "/workflows/0/steps/0/parameters/0/in")]
    assert "arrives in Arazzo 1.1" in (next(d.hint for d in old if d.hint) or "")


@pytest.mark.parametrize(
    ("version", "code"),
    [("1.2.0", "unsupported-version"), ("3.0.0", "unsupported-version"), ("x", "invalid-version")],
)
def test_other_versions_name_the_supported_ones(version: str, code: str) -> None:
    _, found = build(QUERYSTRING, version)
    assert [d.code for d in found if d.code.endswith("-version")] == [code]
    said = next(d for d in found if d.code == code)
    assert "1.0.x and 1.1.x" in said.message + (said.hint or "")


def test_the_official_schema_judges_what_the_loader_does_not() -> None:
    # a `$self` with a fragment: the loader reads a string; the 1.1 schema says no fragment
    text = HEAD.format(version="1.1.0").replace("info:", "$self: https://x.test/a#b\ninfo:", 1)
    doc, found = build_document(load_text(text + QUERYSTRING, "doc.yaml"), "file:///doc.yaml")
    assert doc is not None
    assert [(d.code, d.pointer, d.line) for d in found] == [("schema-1.1", "/$self", 2)]
    assert found[0].hint is not None and "arazzo/1.1/schema/2026-04-15" in found[0].hint


def test_a_loader_error_is_not_repeated_by_the_schema() -> None:
    _, found = build("      - stepId: s\n        operationId: o\n        timeout: soon\n")
    assert errors(found) == [("wrong-type", "/workflows/0/steps/0/timeout")]


ACTION = """\
      - stepId: s
        operationId: o
        onSuccess:
          - name: next
            type: goto
            workflowId: other
            parameters: [{name: id, value: $response.body#/id}]
        onFailure:
          - {name: again, type: retry, parameters: [{name: id, in: query, value: 1}]}
"""


def test_action_parameters_go_to_a_workflow_and_have_no_in() -> None:
    doc, found = build(ACTION)
    assert doc is not None
    action = doc.workflows[0].steps[0].on_success[0]
    assert [p.name for p in action.parameters] == ["id"]  # type: ignore[union-attr]
    assert errors(found) == [
        ("action-parameters-without-workflow", "/workflows/0/steps/0/onFailure/0/parameters"),
        ("invalid-value", "/workflows/0/steps/0/onFailure/0/parameters/0/in"),
    ]
    _, old = build(ACTION, "1.0.1")
    assert {c for c, _ in errors(old)} == {"arazzo-1.1-field"}


SELECTORS = """\
      - stepId: s
        operationId: o
        parameters:
          - name: id
            in: query
            value: {context: $inputs.order, selector: /id, type: jsonpointer}
        requestBody:
          payload:
            note: {plain: object}
            items:
              - context: $inputs.order
                selector: $.items[0]
                type: {type: jsonpath, version: rfc9535}
        outputs:
          first: {context: $response.body, selector: '//item[1]', type: xpath}
"""


def test_selectors_are_read_where_1_1_allows_them() -> None:
    doc, found = build(SELECTORS)
    assert doc is not None and errors(found) == []
    step = doc.workflows[0].steps[0]
    value = step.parameters[0].value  # type: ignore[union-attr]
    assert isinstance(value, Selector) and (value.type, value.version) == ("jsonpointer", None)
    payload = step.request_body.payload  # type: ignore[union-attr]
    assert payload["note"] == {"plain": "object"}
    assert (payload["items"][0].type, payload["items"][0].version) == ("jsonpath", "rfc9535")
    assert isinstance(step.outputs["first"], Selector)


@pytest.mark.parametrize(
    ("kind", "version"),
    [("jsonpath", "rfc9999"), ("xpath", "xpath-40"), ("jsonpointer", "rfc1")],
)
def test_an_expression_version_we_cannot_evaluate_is_an_error(kind: str, version: str) -> None:
    selector = (
        f"{{context: $response.body, selector: x, type: {{type: {kind}, version: {version}}}}}"
    )
    _, found = build(
        f"      - stepId: s\n        operationId: o\n        outputs: {{a: {selector}}}\n"
    )
    assert ("invalid-enum", "/workflows/0/steps/0/outputs/a/type/version") in errors(found)


def test_1_1_criterion_versions() -> None:
    step = (
        "      - stepId: s\n        operationId: o\n        successCriteria:\n"
        "          - {context: $response.body, condition: $.a,\n"
        "             type: {type: jsonpath, version: rfc9535}}\n"
        "          - {context: $response.body, condition: /a,\n"
        "             type: {type: xpath, version: xpath-31}}\n"
    )
    doc, found = build(step)
    assert doc is not None and errors(found) == []
    _, old = build(step, "1.0.1")
    assert len(errors(old)) == 2  # neither version exists in 1.0


ASYNC = """\
arazzo: 1.1.0
info: {title: t, version: 1.0.0}
sourceDescriptions:
  - {name: events, url: ./events.asyncapi.yaml, type: asyncapi}
  - {name: api, url: ./api.openapi.yaml}
workflows:
  - workflowId: w
    steps:
      - {stepId: send, action: send,
         channelPath: '{$sourceDescriptions.events.url}#/channels/orders'}
      - {stepId: gone, action: send,
         channelPath: '{$sourceDescriptions.events.url}#/channels/nope'}
      - {stepId: bare, channelPath: orders, action: receive}
      - {stepId: op, operationId: $sourceDescriptions.events.onOrder, action: receive,
         correlationId: $inputs.id, timeout: 100}
      - {stepId: noaction, operationId: $sourceDescriptions.events.onOrder}
      - {stepId: http, operationId: $sourceDescriptions.api.ping, action: send}
"""
ASYNCAPI = """\
asyncapi: 3.0.0
info: {title: events, version: 1.0.0}
channels:
  orders: {address: orders}
operations:
  onOrder: {action: receive, channel: {$ref: '#/channels/orders'}}
"""
OPENAPI = """\
openapi: 3.1.0
info: {title: api, version: 1.0.0}
paths:
  /ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}
"""


def test_asyncapi_steps_are_validated_for_structure(tmp_path: Path) -> None:
    (tmp_path / "events.asyncapi.yaml").write_text(ASYNCAPI, encoding="utf-8")
    (tmp_path / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (tmp_path / "doc.arazzo.yaml").write_text(ASYNC, encoding="utf-8")
    found = errors(validate_path(str(tmp_path / "doc.arazzo.yaml"), offline=True))
    steps = "/workflows/0/steps/"
    assert sorted(found) == sorted(
        [
            ("bad-channel-path", steps + "1/channelPath"),
            ("bad-channel-path", steps + "2/channelPath"),
            ("async-step-source", steps + "4"),
            ("async-step-source", steps + "5"),
        ]
    )


DEPENDS = """\
arazzo: {version}
info: {{title: t, version: 1.0.0}}
sourceDescriptions: [{{name: api, url: ./api.openapi.yaml}}]
workflows:
  - workflowId: w
    steps:
      - {{stepId: a, operationId: ping, outputs: {{code: $statusCode}}}}
      - stepId: b
        operationId: ping
        dependsOn: [a, $workflows.other.steps.x, c, b, nope, $workflows.other.steps.zz, $bad]
      - stepId: c
        operationId: ping
        parameters: [{{name: q, in: query, value: $steps.d.outputs.code}}]
      - {{stepId: d, operationId: ping, outputs: {{code: $statusCode}}}}
  - workflowId: other
    steps:
      - {{stepId: x, operationId: ping}}
"""


def _validate_depends(tmp_path: Path, version: str) -> list[tuple[str, str]]:
    (tmp_path / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(DEPENDS.format(version=version), encoding="utf-8")
    return [
        (d.code, d.pointer)
        for d in validate_path(str(path), offline=True)
        if d.code.endswith(("dependency", "forward-reference"))
    ]


def test_step_depends_on_and_forward_references(tmp_path: Path) -> None:
    on = "/workflows/0/steps/1/dependsOn/"
    assert sorted(_validate_depends(tmp_path, "1.1.0")) == [
        ("forward-dependency", on + "2"),
        ("forward-reference", "/workflows/0/steps/2/parameters/0/value"),
        ("self-dependency", on + "3"),
        ("unknown-dependency", on + "4"),
        ("unknown-dependency", on + "5"),
        ("unknown-dependency", on + "6"),
    ]


def test_a_1_0_document_keeps_the_1_0_reference_rule(tmp_path: Path) -> None:
    (tmp_path / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    lines = DEPENDS.format(version="1.0.1").splitlines(keepends=True)
    text = "".join(line for line in lines if "dependsOn" not in line)
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    found = [(d.severity, d.code) for d in validate_path(str(path), offline=True)]
    assert (Severity.ERROR, "step-not-run") in found  # d never runs before c in 1.0 either


@pytest.mark.parametrize(
    ("selector", "kind"),
    [("items/0", "jsonpointer"), ("$.items[", "jsonpath"), ("//item[", "xpath")],
)
def test_a_selector_that_does_not_compile_is_refused(
    tmp_path: Path, selector: str, kind: str
) -> None:
    (tmp_path / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    text = HEAD.format(version="1.1.0").replace("./api.yaml", "./api.openapi.yaml")
    text += (
        "      - stepId: s\n        operationId: ping\n        outputs:\n"
        f"          a: {{context: $response.body, selector: '{selector}', type: {kind}}}\n"
    )
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    found = errors(validate_path(str(path), offline=True))
    assert found == [("bad-selector", "/workflows/0/steps/0/outputs/a")]


MAIN = """\
arazzo: 1.1.0
$self: https://flows.example/flows/main.arazzo.yaml
info: {title: main, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: ../apis/api.openapi.yaml}
  - {name: shared, url: https://flows.example/flows/shared.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: main
    steps:
      - {stepId: one, workflowId: $sourceDescriptions.shared.helper}
"""
SHARED = """\
arazzo: 1.1.0
$self: https://flows.example/flows/shared.arazzo.yaml
info: {title: shared, version: 1.0.0}
sourceDescriptions:
  - {name: back, url: ./main.arazzo.yaml, type: arazzo}
  - {name: api, url: https://flows.example/apis/api.openapi.yaml}
workflows:
  - workflowId: helper
    steps:
      - {stepId: ping, operationId: ping}
"""


def test_self_is_the_base_uri_and_the_identity(tmp_path: Path) -> None:
    """Relative and absolute references in $self's space are read where the set lies; a
    reference to a loaded document's $self is that document (no fetch: offline here)."""
    from arazzo_runner.document import document_identity, open_workspace

    (tmp_path / "flows").mkdir()
    (tmp_path / "apis").mkdir()
    (tmp_path / "apis" / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (tmp_path / "flows" / "main.arazzo.yaml").write_text(MAIN, encoding="utf-8")
    (tmp_path / "flows" / "shared.arazzo.yaml").write_text(SHARED, encoding="utf-8")
    ws = open_workspace(str(tmp_path / "flows" / "main.arazzo.yaml"), offline=True)
    assert [d.code for d in ws.diagnostics] == []
    main = ws.root
    assert main is not None
    assert document_identity(main) == "https://flows.example/flows/main.arazzo.yaml"
    sources = ws.sources(main)
    assert sources["api"].openapi is not None and sources["api"].openapi.by_id("ping")
    shared = sources["shared"].arazzo
    assert shared is not None and shared.url.endswith("/flows/shared.arazzo.yaml")
    assert ws.sources(shared)["back"].arazzo is main  # identity: the loaded main document
    assert ws.sources(shared)["api"].openapi is not None
    found = validate_path(str(tmp_path / "flows" / "main.arazzo.yaml"), offline=True)
    assert errors(found) == []


@pytest.mark.parametrize(
    ("condition", "passed"),
    [
        ("$response.body#/s == 'placed'", True),  # string comparisons are case-insensitive
        ("$response.body#/n == 5", True),  # numeric strings are coerced
        ("$response.body#/n > 4", True),
        ("$response.body#/z == null", True),  # null equals only null
        ("$response.body#/n == null", False),
        ("$response.body#/missing == null", False),
        ("$response.body#/t", True),
    ],
)
def test_1_1_simple_condition_semantics(condition: str, passed: bool) -> None:
    """1.1's Criterion Object text (comparison rules), which the 1.0 evaluator already
    followed; pinned here so a 1.1 document keeps them."""
    from arazzo_runner.expressions import ExpressionContext, Message, compile_condition

    body = {"s": "Placed", "n": "5", "z": None, "t": True}
    ctx = ExpressionContext(status_code=200, response=Message(body=body))
    assert compile_condition(condition).evaluate(ctx).passed is passed


COMPONENTS = """\
arazzo: {version}
info: {{title: t, version: 1.0.0}}
sourceDescriptions: [{{name: api, url: ./api.openapi.yaml}}]
workflows:
  - workflowId: w
    inputs: {{type: object, additionalProperties: false, properties: {{first: {{type: string}}}}}}
    steps:
      - stepId: a
        operationId: ping
        successCriteria:
          - condition: $response.body#/name == '{{$inputs.first}} {{$inputs.nobody}}'
        outputs:
          page: $components.parameters.page
          nothing: $components.parameters.nope
          action: $components.failureActions.gone
          schema: $components.inputs.pagination
components:
  inputs:
    pagination: {{type: object}}
  parameters:
    page: {{name: page, in: query, value: 1}}
"""


def _validate_components(tmp_path: Path, version: str) -> list[tuple[str, str, int]]:
    (tmp_path / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(COMPONENTS.format(version=version), encoding="utf-8")
    found = validate_path(str(path), offline=True)
    for diagnostic in found:
        assert diagnostic.file is not None and diagnostic.file.endswith("doc.arazzo.yaml")
    return [(d.code, d.pointer, d.line) for d in found if d.severity is Severity.ERROR]


def test_components_expressions_outside_reusable_objects(tmp_path: Path) -> None:
    """1.1's grammar: $components.(parameters|successActions|failureActions).<name> anywhere an
    expression goes; one naming nothing is an error at its line; $components.inputs is not in
    1.1's grammar (inputs are JSON Schema $refs); an expression string inside a 1.1 condition's
    literal is checked like any other expression."""
    outputs = "/workflows/0/steps/0/outputs/"
    criterion = "/workflows/0/steps/0/successCriteria/0/condition"
    assert _validate_components(tmp_path, "1.1.0") == [
        ("unknown-input", criterion, 11),
        ("unknown-component", outputs + "nothing", 14),
        ("unknown-component", outputs + "action", 15),
        ("expression-syntax", outputs + "schema", 16),
    ]
    assert _validate_components(tmp_path, "1.0.1") == [  # 1.0: literals are text, inputs known
        ("unknown-component", outputs + "nothing", 14),
        ("unknown-component", outputs + "action", 15),
    ]
