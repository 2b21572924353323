"""Typed loading of Arazzo documents: the model, structural diagnostics and their locations."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.loader import build_document, load_arazzo
from arazzo_runner.document.model import MISSING, Action, ArazzoDocument, Parameter, Reusable
from arazzo_runner.document.yaml_reader import load_text

DATA = Path(__file__).parent / "data" / "loader"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

HEAD = """\
arazzo: 1.0.1
info: {title: t, version: 1.0.0}
sourceDescriptions: [{name: api, url: ./api.yaml}]
"""


def build(text: str) -> tuple[ArazzoDocument | None, list[Diagnostic]]:
    return build_document(load_text(text, "doc.yaml"), "file:///doc.yaml")


def step_doc(step: str) -> str:
    """A document whose one workflow has the given (indented) step body."""
    return HEAD + "workflows:\n  - workflowId: w\n    steps:\n      - " + step.strip() + "\n"


def indent_step(lines: str) -> str:
    return "\n        ".join(lines.strip().splitlines())


def codes(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return [(d.severity.value, d.code, d.line, d.column) for d in diagnostics]


def only_step(text: str) -> tuple[Any, list[Diagnostic]]:
    doc, diagnostics = build(step_doc(indent_step(text)))
    assert doc is not None
    steps = doc.workflows[0].steps
    return (steps[0] if steps else None), diagnostics


# --- a complete document ------------------------------------------------------------------


def test_full_document_builds_every_object_without_diagnostics() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "full.arazzo.yaml"))
    assert diagnostics == []
    assert doc is not None
    assert doc.url == (DATA / "full.arazzo.yaml").resolve().as_uri()
    assert doc.arazzo == "1.0.1"
    assert (doc.info.title, doc.info.version) == ("Pet shop", "1.0")  # YAML number, source text
    assert doc.extensions == {"x-top": {"a": 1}}
    assert [(s.name, s.type) for s in doc.source_descriptions] == [
        ("petStore", "openapi"),
        ("flows", "arazzo"),
    ]
    buy = doc.workflow("buy-pet")
    assert buy is not None and buy.depends_on == ("login",)
    assert buy.inputs is not None
    props = buy.inputs["properties"]
    assert props["since"]["default"] == "2023-02-23"  # YAML 1.2: no timestamps
    assert props["answer"]["default"] == "on"  # YAML 1.2: no yes/no/on/off booleans
    assert buy.parameters == (
        Reusable(
            buy.parameters[0].loc, "/workflows/0/parameters/0", "$components.parameters.page", 2
        ),
    )
    retry = buy.failure_actions[0]
    assert isinstance(retry, Action)
    assert (retry.kind, retry.type, retry.retry_after, retry.retry_limit) == (
        "failure",
        "retry",
        1.5,
        3,
    )
    assert retry.criteria[0].condition == "$statusCode == 503"
    find, order = buy.steps
    assert find.extensions == {"x-stream": {"until": "done"}}
    assert find.target_kind == "operation"
    assert [(c.type, c.version, c.context) for c in find.success_criteria] == [
        ("simple", None, None),
        ("jsonpath", None, "$response.body"),
        ("xpath", "xpath-10", "$response.body"),
    ]
    assert find.outputs == {"pet.id": "$response.body#/0/id"}
    assert isinstance(find.on_success[0], Action) and find.on_success[0].step_id == "order"
    body = order.request_body
    assert body is not None and body.content_type == "application/json"
    assert body.payload == {"petId": "$steps.find.outputs.pet.id", "count": 1}
    assert [(r.target, r.value) for r in body.replacements] == [("/count", 2)]
    assert buy.outputs == {"order_id": "$steps.order.outputs.id"}


def test_full_document_components_and_locations() -> None:
    doc, _ = load_arazzo(str(DATA / "full.arazzo.yaml"))
    assert doc is not None and doc.components is not None
    page = doc.components.parameters["page"]
    assert (page.name, page.in_, page.value) == ("page", "query", 1)
    assert (page.loc.line, page.loc.column, page.pointer) == (84, 7, "/components/parameters/page")
    assert doc.components.success_actions["done"].kind == "success"
    assert doc.components.failure_actions["stop"].kind == "failure"
    assert dict(doc.components.inputs["creds"]) == {"type": "object"}
    login = doc.workflow("login")
    assert login is not None
    sub = login.steps[0]
    assert sub.target_kind == "workflow"
    assert (sub.loc.line, sub.loc.column, sub.pointer) == (74, 9, "/workflows/1/steps/0")
    param = sub.parameters[0]
    assert isinstance(param, Parameter) and param.in_ is None


# --- a broken document: every problem, each at its line --------------------------------------


def test_broken_document_reports_every_problem_where_it_is() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "broken.arazzo.yaml"))
    assert doc is not None
    assert sorted(codes(diagnostics)) == sorted(
        [
            ("error", "missing-field", 2, 1),  # info.version: at the `info:` key
            ("error", "invalid-source-name", 5, 11),
            ("error", "invalid-enum", 7, 11),  # type: asyncapi
            ("error", "missing-field", 8, 5),  # source without name
            ("error", "unknown-field", 11, 5),  # stepz (the 1.0 schema forbids unknown keys)
            ("error", "missing-field", 16, 13),  # parameter `id` without `in`
            ("error", "invalid-enum", 19, 17),  # in: body
            ("error", "missing-field", 22, 13),  # jsonpath criterion without context
            ("error", "invalid-value", 29, 25),  # retryAfter: -1
            ("error", "wrong-type", 30, 25),  # retryLimit: 1.5
            ("error", "invalid-enum", 32, 19),  # type: explode
            ("error", "invalid-output-name", 34, 11),
            ("error", "wrong-type", 35, 15),  # output value 42
            ("error", "missing-field", 36, 9),  # step without stepId
            ("error", "wrong-type", 40, 12),  # steps: not-a-list
            ("error", "invalid-component-name", 44, 5),
        ]
    )
    assert all(d.file == str(DATA / "broken.arazzo.yaml") for d in diagnostics)


def test_broken_document_builds_what_can_be_built() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "broken.arazzo.yaml"))
    assert doc is not None
    assert doc.info.title == "Broken on purpose" and doc.info.version == ""
    assert [s.name for s in doc.source_descriptions] == ["bad name"]
    assert doc.source_descriptions[0].type is None
    first, second = doc.workflows
    (one,) = first.steps  # the step without stepId is left out
    assert [p.name for p in one.parameters if isinstance(p, Parameter)] == ["id"]
    assert len(one.success_criteria) == 2
    wait = one.on_failure[0]
    assert isinstance(wait, Action) and len(one.on_failure) == 1
    assert (wait.retry_after, wait.retry_limit) == (None, None)
    assert dict(one.outputs) == {"bad name": "$response.body"}
    assert (second.workflow_id, second.steps) == ("7", ())
    messages = {d.code + ": " + d.message for d in diagnostics}
    assert "missing-field: add `in: path|query|header|cookie` to parameter `id`" in messages
    hint = next(d.hint for d in diagnostics if d.line == 19)
    assert hint is not None and "requestBody" in hint


# --- versions and the root -----------------------------------------------------------------


def test_arazzo_1_1_loads_with_its_fields() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "v1_1.arazzo.yaml"))
    assert doc is not None and diagnostics == []
    assert doc.self_uri == "https://example.com/arazzo.yaml"
    assert doc.source_descriptions[0].type == "asyncapi"
    step = doc.workflows[0].steps[0]
    assert (step.channel_path, step.action, step.target_kind) == ("orders", "send", "async")


def test_arazzo_1_0_rejects_the_same_fields_as_1_1_only() -> None:
    text = (DATA / "v1_1.arazzo.yaml").read_text(encoding="utf-8")
    doc, diagnostics = build(text.replace("1.1.0", "1.0.1", 1))
    assert doc is not None
    found = sorted({(d.code, d.pointer) for d in diagnostics})
    assert ("arazzo-1.1-field", "/$self") in found
    assert ("arazzo-1.1-field", "/workflows/0/steps/0/channelPath") in found
    assert ("invalid-enum", "/sourceDescriptions/0/type") in found


@pytest.mark.parametrize("key", ["openapi: 3.1.0", "swagger: '2.0'"])
def test_an_openapi_description_is_named_as_such(tmp_path: Path, key: str) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(f"{key}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n", encoding="utf-8")
    doc, diagnostics = load_arazzo(str(path))
    assert doc is None
    assert codes(diagnostics) == [("error", "not-arazzo", 1, key.index(" ") + 2)]
    assert "OpenAPI description" in diagnostics[0].message
    assert diagnostics[0].hint is not None and "arazzo mock" in diagnostics[0].hint


def test_arazzo_2_is_an_invalid_version() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "v2.arazzo.yaml"))
    assert doc is not None and doc.arazzo == "2"
    assert codes(diagnostics) == [("error", "invalid-version", 1, 9)]
    assert "1.0.x and 1.1.x" in diagnostics[0].message


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("1.0.0", None),
        ("1.0.1", None),
        ("1.0.2-rc1", None),
        ("1.0", "invalid-version"),  # a YAML float, kept as its text
        ('"1.0"', "invalid-version"),
        ("1.1.0", None),
        ("1.1.3-rc1", None),
        ("1.2.0", "unsupported-version"),
        ("2.0.0", "unsupported-version"),
        ("true", "invalid-version"),
    ],
)
def test_arazzo_versions(version: str, code: str | None) -> None:
    doc, diagnostics = build(HEAD.replace("1.0.1", version, 1) + "workflows: []\n")
    found = [d.code for d in diagnostics if d.code.endswith("version")]
    assert found == ([code] if code else [])


def test_missing_arazzo_field_is_missing_not_invalid() -> None:
    doc, diagnostics = build(HEAD.replace("arazzo: 1.0.1\n", "") + "workflows: []\n")
    assert doc is not None
    assert ("missing-field", 1, 1) in [(d.code, d.line, d.column) for d in diagnostics]
    assert not [d for d in diagnostics if d.code == "invalid-version"]


def test_root_that_is_not_an_object() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "root-array.yaml"))
    assert doc is None
    assert codes(diagnostics) == [("error", "wrong-type", 1, 1)]


def test_missing_top_level_fields_are_all_reported() -> None:
    doc, diagnostics = build("x-only: 1\n")
    assert doc is not None and doc.workflows == () and doc.info.title == ""
    missing = sorted(d.message for d in diagnostics if d.code == "missing-field")
    assert [m.split("`")[1].split(":")[0] for m in missing] == [
        "arazzo",
        "info",
        "sourceDescriptions",
        "workflows",
    ]


def test_empty_required_lists() -> None:
    _, diagnostics = build(
        "arazzo: 1.0.1\ninfo: {title: t, version: v}\nsourceDescriptions: []\n"
        "workflows:\n  - workflowId: w\n    steps: []\n"
    )
    assert codes(diagnostics) == [("error", "empty-list", 3, 21), ("error", "empty-list", 6, 12)]


def test_yaml_syntax_error_becomes_a_diagnostic() -> None:
    doc, diagnostics = load_arazzo(str(DATA / "bad-syntax.yaml"))
    assert doc is None
    (diag,) = diagnostics
    assert (diag.code, diag.severity, diag.file) == (
        "yaml-syntax",
        Severity.ERROR,
        str(DATA / "bad-syntax.yaml"),
    )
    assert diag.line == 4


def test_unreadable_source_becomes_a_diagnostic(tmp_path: Path) -> None:
    doc, diagnostics = load_arazzo(str(tmp_path / "nope.arazzo.yaml"))
    assert doc is None
    (diag,) = diagnostics
    assert diag.code == "source-unreadable"
    assert str(tmp_path / "nope.arazzo.yaml") in diag.message


def test_json_document_with_number_version() -> None:
    text = (
        '{"arazzo": "1.0.1", "info": {"title": "j", "version": 1.10},'
        ' "sourceDescriptions": [{"name": "a", "url": "a.json"}],'
        ' "workflows": [{"workflowId": "w", "steps": [{"stepId": "s", "operationId": "o"}]}]}'
    )
    doc, diagnostics = build(text)
    assert diagnostics == [] and doc is not None
    assert doc.info.version == "1.10"


# --- YAML 1.2 scalars -----------------------------------------------------------------------


def test_yaml_12_scalars_in_string_and_value_fields() -> None:
    step, diagnostics = only_step(
        """
stepId: 0o17
operationId: yes
description: 2024-01-02
parameters:
  - {name: on, in: query, value: 0o17}
  - {name: flag, in: query, value: true}
  - {name: octal, in: query, value: 017}
  - {name: n, in: query, value: null}
  - {name: date, in: query, value: 2023-02-23}
"""
    )
    assert diagnostics == []
    assert (step.step_id, step.operation_id, step.description) == ("0o17", "yes", "2024-01-02")
    values = {p.name: p.value for p in step.parameters}
    assert values == {"on": 15, "flag": True, "octal": 17, "n": None, "date": "2023-02-23"}


# --- one rule at a time ---------------------------------------------------------------------


def test_unknown_field_error_with_suggestion_at_the_key() -> None:
    step, diagnostics = only_step("stepId: s\noperationID: getPet\n")
    (diag,) = diagnostics
    assert (diag.severity, diag.code, diag.line, diag.column) == (
        Severity.ERROR,
        "unknown-field",
        8,
        9,
    )
    assert diag.hint == "did you mean `operationId`?"
    assert diag.pointer == "/workflows/0/steps/0/operationID"
    assert step.operation_id is None


def test_extensions_are_allowed_on_every_object_but_ignored_on_reusables() -> None:
    text = """\
arazzo: 1.0.1
x-a: 1
info: {title: t, version: v, x-a: 1}
sourceDescriptions: [{name: api, url: ./a.yaml, x-a: 1}]
workflows:
  - workflowId: w
    x-a: 1
    parameters:
      - {reference: $components.parameters.p, x-a: 1, other: 2}
    steps:
      - stepId: s
        x-a: 1
        operationId: o
        requestBody:
          x-a: 1
          replacements: [{target: /a, value: 1, x-a: 1}]
        successCriteria:
          - {condition: $statusCode == 200, x-a: 1}
          - condition: $
            context: $response.body
            type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00, x-a: 1}
        onFailure:
          - {name: r, type: retry, x-a: 1}
        parameters: [{name: p, in: query, value: 1, x-a: 1}]
components:
  x-a: 1
  successActions: {e: {name: e, type: end, x-a: 1}}
"""
    doc, diagnostics = build(text)
    assert diagnostics == []
    assert doc is not None and doc.extensions == {"x-a": 1}
    reusable = doc.workflows[0].parameters[0]
    assert isinstance(reusable, Reusable) and reusable.value is MISSING


def test_step_target_fields_are_all_kept() -> None:
    step, diagnostics = only_step("stepId: s\noperationId: a\noperationPath: b\nworkflowId: c\n")
    assert diagnostics == []  # exactly-one is the validator's job
    assert (step.operation_id, step.operation_path, step.workflow_id) == ("a", "b", "c")


def test_workflow_step_parameters_with_in_are_a_warning() -> None:
    step, diagnostics = only_step(
        "stepId: s\nworkflowId: w2\nparameters: [{name: a, in: query, value: 1}]\n"
    )
    assert codes(diagnostics) == [("warning", "ignored-field", 9, 32)]  # at the `in` key
    assert step.parameters[0].in_ == "query"


def test_parameter_without_value() -> None:
    step, diagnostics = only_step("stepId: s\noperationId: o\nparameters: [{name: a, in: query}]\n")
    assert codes(diagnostics) == [("error", "missing-field", 9, 22)]  # at the `{`
    assert step.parameters[0].value is MISSING


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("{condition: $statusCode == 200, type: simple}", []),
        ("{condition: '^2', type: regex}", [("error", "missing-field")]),
        ("{condition: '^2', type: regex, context: $statusCode}", []),
        ("{condition: x, type: JSONPath, context: $response.body}", [("error", "invalid-enum")]),
        (
            "{condition: x, type: {type: simple, version: v}, context: $response.body}",
            [("error", "invalid-enum")],
        ),
        (
            "{condition: x, type: {type: xpath, version: xpath-31}, context: $response.body}",
            [("error", "invalid-enum")],
        ),
        (
            "{condition: x, type: {type: xpath}, context: $response.body}",
            [("error", "missing-field")],
        ),
        ("{type: simple}", [("error", "missing-field")]),
        ("{condition: [x]}", [("error", "wrong-type")]),
    ],
)
def test_criteria(criterion: str, expected: list[tuple[str, str]]) -> None:
    _, diagnostics = only_step(f"stepId: s\noperationId: o\nsuccessCriteria: [{criterion}]\n")
    assert [(d.severity.value, d.code) for d in diagnostics] == expected


def test_empty_success_criteria_is_a_warning() -> None:
    _, diagnostics = only_step("stepId: s\noperationId: o\nsuccessCriteria: []\n")
    assert codes(diagnostics) == [("warning", "empty-list", 9, 26)]


@pytest.mark.parametrize(
    ("field", "action", "expected"),
    [
        ("onFailure", "{name: a, type: retry, retryAfter: 0, retryLimit: 0}", []),
        ("onFailure", "{name: a, type: retry, retryAfter: '5'}", ["wrong-type"]),
        ("onFailure", "{name: a, type: retry, retryAfter: .inf}", ["invalid-value"]),
        ("onFailure", "{name: a, type: retry, retryLimit: -1}", ["invalid-value"]),
        ("onFailure", "{name: a, type: retry, retryLimit: true}", ["wrong-type"]),
        ("onFailure", "{name: a, type: goto, stepId: s, retryAfter: 1}", ["ignored-field"]),
        ("onSuccess", "{name: a, type: retry}", ["invalid-enum"]),
        ("onSuccess", "{name: a, type: end, retryLimit: 1}", ["unknown-field"]),
        ("onSuccess", "{type: end}", ["missing-field"]),
        ("onSuccess", "{name: a}", ["missing-field"]),
        ("onSuccess", "{reference: $components.successActions.x, value: 1}", []),
    ],
)
def test_actions(field: str, action: str, expected: list[str]) -> None:
    _, diagnostics = only_step(f"stepId: s\noperationId: o\n{field}: [{action}]\n")
    assert [d.code for d in diagnostics] == expected


def test_action_kind_and_types() -> None:
    step, _ = only_step(
        "stepId: s\noperationId: o\nonSuccess: [{name: a, type: goto, stepId: s}]\n"
        "onFailure: [{name: b, type: end}, {type: end}]\n"
    )
    assert [(a.kind, a.type, a.name) for a in step.on_success + step.on_failure] == [
        ("success", "goto", "a"),
        ("failure", "end", "b"),
        ("failure", "end", ""),  # name missing: reported, the action is still usable
    ]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("query", []),
        ("path", []),
        ("header", []),
        ("cookie", []),
        ("body", ["invalid-enum"]),
        ("Query", ["invalid-enum"]),
    ],
)
def test_parameter_locations(location: str, expected: list[str]) -> None:
    step, diagnostics = only_step(
        f"stepId: s\noperationId: o\nparameters: [{{name: p, in: {location}, value: 1}}]\n"
    )
    assert [d.code for d in diagnostics] == expected
    assert len(step.parameters) == (0 if expected else 1)


def test_output_names() -> None:
    step, diagnostics = only_step(
        "stepId: s\noperationId: o\noutputs:\n"
        "  a.b-c_D9: $statusCode\n  'a b': $statusCode\n  'a/b': $statusCode\n"
    )
    assert codes(diagnostics) == [
        ("error", "invalid-output-name", 11, 11),
        ("error", "invalid-output-name", 12, 11),
    ]
    assert list(step.outputs) == ["a.b-c_D9", "a b", "a/b"]


def test_component_names_and_reusable_in_components() -> None:
    doc, diagnostics = build(
        HEAD
        + "workflows: [{workflowId: w, steps: [{stepId: s, operationId: o}]}]\n"
        + "components:\n  inputs: {'x y': {type: object}, ok: 3}\n"
        + "  parameters: {p: {reference: $components.parameters.q}}\n"
    )
    assert doc is not None and doc.components is not None
    assert [(d.code, d.line, d.column) for d in diagnostics] == [
        ("invalid-component-name", 6, 12),  # the key 'x y'
        ("wrong-type", 6, 39),  # ok: 3
        ("missing-field", 7, 16),  # a Reusable is no component: no `name`
        ("missing-field", 7, 16),  # ... and no `value`
        ("unknown-field", 7, 20),  # ... and `reference` is unknown
    ]
    assert list(doc.components.inputs) == ["x y"]
    assert dict(doc.components.parameters) == {}


def test_wrong_types_are_reported_at_the_value() -> None:
    doc, diagnostics = build(
        HEAD.replace("info: {title: t, version: 1.0.0}", "info: [1]")
        + "workflows:\n  - workflowId: w\n    dependsOn: [a, {b: 1}]\n    inputs: [x]\n"
        + "    steps: [{stepId: s, operationId: o}]\n"
    )
    assert doc is not None
    assert codes(diagnostics) == [
        ("error", "wrong-type", 2, 7),
        ("error", "wrong-type", 7, 13),
        ("error", "wrong-type", 6, 20),
    ]
    assert doc.workflows[0].depends_on == ("a",)
    assert doc.workflows[0].inputs is None


# --- the corpus ---------------------------------------------------------------------------


def _corpus_rows() -> list[Any]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return [pytest.param("", "", marks=pytest.mark.skip(reason="no ../shared/corpus"))]
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    wrong = _labels_called_wrong()
    flip = {"valid": "invalid", "invalid": "valid"}
    return [
        pytest.param(r[0], flip.get(r[4], r[4]) if r[0] in wrong else r[4], id=r[0])
        for r in rows
        if len(r) > 4 and r[4] != "n/a"
    ]


def _labels_called_wrong() -> set[str]:
    """The documents tests/data/corpus_disagreements.tsv says are mislabelled."""
    table = Path(__file__).parent / "data" / "corpus_disagreements.tsv"
    rows = [line.split("\t") for line in table.read_text(encoding="utf-8").splitlines()[1:]]
    return {r[0] for r in rows if len(r) > 3 and r[3].startswith("label wrong: ")}


@pytest.mark.corpus
@pytest.mark.parametrize(("local_path", "validity"), _corpus_rows())
def test_corpus_document_loads(local_path: str, validity: str) -> None:
    from arazzo_runner.document.sources import Fetcher

    started = time.perf_counter()
    doc, diagnostics = load_arazzo(str(CORPUS / local_path), fetcher=Fetcher(offline=True))
    assert time.perf_counter() - started < 1.0
    errors = [d.code for d in diagnostics if d.severity is Severity.ERROR]
    if validity == "valid":  # the label is a second opinion; structure must agree with it
        assert doc is not None
        assert errors == [], diagnostics
