"""Semantic validation: broken fixture files, each asserting the code, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner.diagnostics import Diagnostic, Severity, has_errors
from arazzo_runner.document.workspace import open_workspace, pointer_path
from arazzo_runner.validation.rules import RULES, validate_path, validate_workspace

DATA = Path(__file__).parent / "data" / "validate"

PETS_SOURCE = f"""\
arazzo: 1.0.1
info: {{title: t, version: "1"}}
sourceDescriptions:
  - name: pets
    url: {(DATA / "petstore.openapi.yaml").as_uri()}
"""


def _write(tmp_path: Path, body: str, name: str = "doc.arazzo.yaml") -> str:
    path = tmp_path / name
    path.write_text(PETS_SOURCE + body, encoding="utf-8")
    return str(path)


def _only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [str(d) for d in diagnostics]
    return found[0]


def test_valid_fixture_has_no_diagnostics() -> None:
    assert validate_path(str(DATA / "valid.arazzo.yaml"), offline=True) == []


@pytest.mark.parametrize(
    ("fixture", "code", "line", "column", "advice"),
    [
        ("bad-indent.arazzo.yaml", "yaml-syntax", 7, 9, "indentation"),
        ("unknown-operation.arazzo.yaml", "unknown-operation", 12, 22, "did you mean 'listPets'"),
        ("duplicate-step.arazzo.yaml", "duplicate-step-id", 13, 17, "rename one of them"),
        ("goto-missing.arazzo.yaml", "unknown-step", 16, 21, "did you mean 'fetch'"),
        ("missing-in.arazzo.yaml", "missing-field", 14, 13, "add `in: path|query|header|cookie`"),
        ("bad-expression.arazzo.yaml", "expression-syntax", 14, 24, "use '==' to compare"),
    ],
)
def test_broken_fixture(fixture: str, code: str, line: int, column: int, advice: str) -> None:
    diagnostics = validate_path(str(DATA / fixture), offline=True)
    found = [d for d in diagnostics if d.code == code]
    assert found, [str(d) for d in diagnostics]
    first = found[0]
    assert (first.severity, first.line, first.column) == (Severity.ERROR, line, column)
    assert advice in f"{first.message} {first.hint}"
    assert first.file.endswith(fixture)


def test_expression_syntax_message_draws_the_caret() -> None:
    diagnostics = validate_path(str(DATA / "bad-expression.arazzo.yaml"), offline=True)
    syntax = [d for d in diagnostics if d.code == "expression-syntax"]
    assert [d.line for d in syntax] == [14, 16]
    assert syntax[1].message.splitlines()[1:] == ["$response.bdy#/0", "          ^"]


def test_duplicates_workflows_sources_parameters_actions(tmp_path: Path) -> None:
    body = """\
  - name: pets
    url: ./elsewhere.yaml
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: listPets
        parameters:
          - {name: q, in: query, value: 1}
          - {name: q, in: query, value: 2}
          - {name: q, in: header, value: 3}
        onFailure:
          - {name: r, type: end}
          - {name: r, type: retry}
  - workflowId: w
    steps:
      - stepId: a
        operationId: listPets
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    codes = {d.code: d.line for d in diagnostics if d.severity is Severity.ERROR}
    assert codes == {
        "duplicate-source-name": 6,
        "duplicate-parameter": 15,
        "duplicate-action": 19,
        "duplicate-workflow-id": 20,
    }


def test_step_target_exactly_one(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: none
      - stepId: both
        operationId: listPets
        workflowId: w
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    missing = _only(diagnostics, "missing-step-target")
    both = _only(diagnostics, "conflicting-step-target")
    assert (missing.line, both.line) == (9, 10)
    assert "operationId and workflowId" in both.message and "keep exactly one" in str(both.hint)


def test_operation_lookup_dialects_and_ambiguity(tmp_path: Path) -> None:
    body = f"""\
  - name: more
    url: {(DATA / "petstore.openapi.yaml").as_uri()}#copy
workflows:
  - workflowId: w
    steps:
      - stepId: ambiguous
        operationId: listPets
      - stepId: dotted
        operationId: pets.getPet
      - stepId: item
        operationPath: '{{$sourceDescriptions.pets.url}}#/paths/~1pets'
      - stepId: single
        operationPath: '{{$sourceDescriptions.pets.url}}#/paths/~1pets~1%7BpetId%7D'
      - stepId: qualified
        operationId: $sourceDescriptions.nope.listPets
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    pairs = {(d.code, d.severity.value, d.line) for d in diagnostics}
    assert pairs == {
        ("ambiguous-operation", "error", 12),
        ("operation-id-dialect", "warning", 14),
        ("missing-path-parameter", "error", 13),  # getPet's {petId} is never given
        ("operation-path-item", "error", 16),  # get and post
        ("operation-path-item", "warning", 18),  # only get
        ("unknown-source", "error", 20),
    }
    hint = _only(diagnostics, "operation-id-dialect").hint
    assert hint == "write $sourceDescriptions.pets.getPet"


def test_references_in_expressions(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: first
        operationId: listPets
        parameters:
          - {name: q, in: query, value: $steps.second.outputs.id}
          - {name: limit, in: query, value: "id={$steps.ghost.outputs.id}"}
        outputs:
          id: $response.body#/id
      - stepId: second
        operationId: getPet
        parameters:
          - {name: petId, in: path, value: $steps.first.outputs.missing}
          - {name: c, in: query, value: $components.parameters.nothing}
          - {name: d, in: query, value: $sourceDescriptions.other.url}
        outputs:
          id: $response.body.id
    outputs:
      x: $workflows.nowhere.outputs.y
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    got = {(d.code, d.severity.value, d.line) for d in diagnostics}
    assert got == {
        ("step-not-run", "error", 12),  # second declares id, but can never run before first
        ("unknown-step", "error", 13),
        ("unknown-output", "error", 19),
        ("unknown-component", "error", 20),
        ("unknown-source", "error", 21),
        ("undeclared-parameter", "error", 20),  # getPet declares no query parameter c
        ("undeclared-parameter", "error", 21),
        ("body-dot-path", "warning", 23),
        ("unknown-workflow", "error", 25),
    }
    assert _only(diagnostics, "body-dot-path").hint == "write $response.body#/id"


def test_criteria_regex_jsonpath_and_quotes(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        successCriteria:
          - condition: "[a-"
            context: $statusCode
            type: regex
          - condition: $.status == 'ok'
            context: $response.body
            type: jsonpath
          - condition: $response.body#/status == "ok"
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    regex = _only(diagnostics, "regex-syntax")
    assert regex.line == 12 and regex.message.endswith("[a-\n^")
    assert _only(diagnostics, "jsonpath-comparison").severity is Severity.WARNING
    assert _only(diagnostics, "double-quoted-literal").hint == "write 'ok'"


def test_empty_success_criteria_is_an_error(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        successCriteria: []
"""
    found = _only(validate_path(_write(tmp_path, body), offline=True), "empty-success-criteria")
    assert (found.severity, found.line) == (Severity.ERROR, 11)


def test_reusables_point_into_the_right_map(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        parameters:
          - reference: $components.successActions.done
          - reference: $components.parameters.absent
          - reference: $components.parameters.noIn
        onSuccess:
          - reference: $components.successActions.done
          - reference: $components.successActions.done
components:
  parameters:
    noIn: {name: limit, value: 3}
  successActions:
    done: {name: done, type: end}
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    assert _only(diagnostics, "wrong-reusable-kind").line == 12
    assert "known keys: noIn" in str(_only(diagnostics, "unknown-component").hint)
    assert _only(diagnostics, "missing-parameter-in").line == 14
    assert _only(diagnostics, "duplicate-action").line == 17


def test_workflow_targets_depends_on_and_cycles(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: a
    dependsOn: [b, b, ghost]
    steps:
      - stepId: call
        workflowId: c
        onFailure:
          - {name: away, type: goto, workflowId: $sourceDescriptions.pets.x}
  - workflowId: b
    dependsOn: [a]
    steps:
      - stepId: s
        operationId: listPets
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    errors = {(d.code, d.line) for d in diagnostics if d.severity is Severity.ERROR}
    assert errors == {
        ("duplicate-depends-on", 8),
        ("unknown-workflow", 8),
        ("unknown-workflow", 11),
        ("unknown-workflow", 13),
        ("dependency-cycle", 8),
    }
    assert "a -> b -> a" in _only(diagnostics, "dependency-cycle").message


def test_unreachable_source_is_a_warning_and_skips_operations(tmp_path: Path) -> None:
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(
        """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: remote, url: "https://example.invalid/api.yaml"}
workflows:
  - workflowId: w
    steps:
      - {stepId: s, operationId: anything}
""",
        encoding="utf-8",
    )
    diagnostics = validate_path(str(path), offline=True)
    assert [(d.code, d.severity) for d in diagnostics] == [
        ("checks-skipped", Severity.INFO),  # names step s, whose operation is not checked
        ("source-unreachable", Severity.WARNING),
    ]
    assert "steps s are not checked" in diagnostics[0].message
    assert "--offline" in diagnostics[1].message


def test_arazzo_source_cycle_terminates_and_resolves_workflows(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / f"{name}.arazzo.yaml").write_text(
            f"""\
arazzo: 1.0.1
info: {{title: {name}, version: "1"}}
sourceDescriptions:
  - {{name: {other}, url: ./{other}.arazzo.yaml}}
workflows:
  - workflowId: {name}-flow
    steps:
      - {{stepId: s, workflowId: $sourceDescriptions.{other}.{other}-flow}}
""",
            encoding="utf-8",
        )
    ws = open_workspace(str(tmp_path / "a.arazzo.yaml"), offline=True)
    assert len(ws.documents) == 2
    assert validate_workspace(ws) == []
    root = ws.root
    assert root is not None
    found = ws.find_workflow(root, "$sourceDescriptions.b.b-flow")
    assert found is not None and found[1].workflow_id == "b-flow"


def test_find_operation_for_the_engine() -> None:
    ws = open_workspace(str(DATA / "valid.arazzo.yaml"), offline=True)
    assert ws.root is not None
    steps = ws.root.workflows[0].steps
    found = [ws.find_operation(ws.root, step) for step in steps]
    assert [(op.method, op.path) for _, op in filter(None, found)] == [
        ("get", "/pets"),
        ("get", "/pets/{petId}"),
    ]


def test_rules_table_can_be_narrowed() -> None:
    ws = open_workspace(str(DATA / "goto-missing.arazzo.yaml"), offline=True)
    assert has_errors(validate_workspace(ws))
    quiet = {code: rule for code, rule in RULES.items() if code != "action-targets"}
    assert validate_workspace(ws, rules=quiet) == []


def test_pointer_path_turns_indices_into_ints() -> None:
    data = {"a": [{"b/c": {"0": 1}}]}
    assert pointer_path(data, "/a/0/b~1c/0") == ("a", 0, "b/c", "0")
    assert pointer_path(data, "") == ()


def test_jsonpath_and_xpath_criteria_are_compiled_at_validation(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        successCriteria:
          - condition: $[?@.status == ]
            context: $response.body
            type: jsonpath
          - condition: //pet[@id=
            context: $response.body
            type: xpath
          - condition: $[?@.status == 'ok']
            context: $response.body
            type: jsonpath
          - condition: //pet[@id='1']
            context: $response.body
            type: {type: xpath, version: xpath-10}
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    errors = [d for d in diagnostics if d.code == "expression-syntax"]
    assert [d.line for d in errors] == [12, 15], [str(d) for d in diagnostics]
    assert errors[0].message.startswith("invalid JSONPath")
    assert errors[1].message.startswith("invalid XPath")
    assert not [d for d in diagnostics if d.severity is Severity.ERROR and d not in errors]


@pytest.mark.parametrize(
    ("setting", "code", "fragment"),
    [
        ("{maxEvent: 2}", "stream-extension", "unknown keys: maxEvent"),
        ("{maxEvents: -1}", "stream-extension", "maxEvents must be a positive integer"),
        ("{timeout: soon}", "stream-extension", "timeout must be a positive number"),
        ("[until]", "stream-extension", "must be a mapping"),
        ("{until: '$response.body#/partial =='}", "expression-syntax", "expected"),
        ("{until: '$steps.nope.outputs.x == 1'}", "unknown-step", "no step 'nope'"),
    ],
)
def test_stream_extension_is_checked(
    tmp_path: Path, setting: str, code: str, fragment: str
) -> None:
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        x-arazzo-stream: {setting}
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    found = _only(diagnostics, code)
    assert found.line == 11 and fragment in found.message, str(found)
    assert found.pointer.startswith("/workflows/0/steps/0/x-arazzo-stream")


def test_good_stream_extension_is_clean(tmp_path: Path) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        x-arazzo-stream: {until: "$response.body#/partial == false", maxEvents: 5, timeout: 2.5}
"""
    diagnostics = validate_path(_write(tmp_path, body), offline=True)
    assert not has_errors(diagnostics), [str(d) for d in diagnostics]


@pytest.mark.parametrize(
    ("url", "problem"),
    [("http://[::1:80/", "Invalid IPv6 URL"), ("http://host:{port}/v1", "Port could not be cast")],
)
def test_a_server_url_that_does_not_parse_is_an_error(
    tmp_path: Path, url: str, problem: str
) -> None:
    """Found by validate, not at the first request of a run (it was a traceback there)."""
    api = f"""\
openapi: 3.1.0
info: {{title: t, version: '1'}}
servers: [{{url: '{url}', variables: {{port: {{default: http}}}}}}]
paths:
  /x: {{get: {{operationId: getX, responses: {{'200': {{description: ok}}}}}}}}
"""
    (tmp_path / "api.yaml").write_text(api, encoding="utf-8")
    (tmp_path / "w.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: getX}]}]\n",
        encoding="utf-8",
    )
    found = _only(validate_path(str(tmp_path / "w.arazzo.yaml"), offline=True), "server-url")
    assert problem in found.message and found.pointer == "/sourceDescriptions/0"
    good = api.replace(url, "http://127.0.0.1:{port}/v1").replace("default: http", "default: 80")
    (tmp_path / "api.yaml").write_text(good, encoding="utf-8")
    diagnostics = validate_path(str(tmp_path / "w.arazzo.yaml"), offline=True)
    assert [d for d in diagnostics if d.code == "server-url"] == []
