"""Documents as users bring them, from data files: ``tests/field/*.yaml`` (issue 16).

Each file holds an OpenAPI description (``openapi``, written as ``openapi.yaml`` beside each
document) and ``cases``; a case is one Arazzo document (``document``, naming its source
``./openapi.yaml``) or a file of ``../shared/corpus`` (``corpus``, skipped when the corpus is
absent), and says what ``arazzo validate --offline`` must report and, optionally, what a run
against a scripted API on 127.0.0.1 must do::

    validate:
      errors: [[code, line], ...]      # exactly these errors (line 0: any line)
      warnings: [code, ...]            # at least these warnings
      infos: [code, ...]               # at least these infos
      absent: [code, ...]              # none of these, at any severity
    run:
      workflow: w
      inputs: {...}
      responses: {/path: {status: 200, body: ...}}   # what the API answers (default 200 {ok})
      status: passed | failed
      sent: [{path, query, headers, json}, ...]      # each request, in order (subsets compared)
      requests: 2                                    # how many requests arrived
      notes: {stepId: [text, ...]}                   # what each step says it left out
      failure: text                                  # a substring of the run's error
      outputs: {name: value}                         # the workflow's outputs
      masked: [text, ...]                            # never shown in explain() or excerpts
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.results import jsonable
from arazzo_runner.runner import Runner
from arazzo_runner.validation import validate_path
from tests.support.asgi_server import serve
from tests.support.field_app import make_field_app

FIELD = Path(__file__).parent / "field"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _cases() -> list[Any]:
    params = []
    for path in sorted(FIELD.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            params.append(pytest.param(data, case, id=f"{path.stem}:{case['id']}"))
    return params


def _document(data: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> Path:
    if "corpus" in case:
        path = CORPUS / case["corpus"]
        if not path.is_file():
            pytest.skip(f"../shared/corpus is not present ({case['corpus']})")
        return path
    (tmp_path / "openapi.yaml").write_text(data["openapi"], encoding="utf-8")
    path = tmp_path / "case.arazzo.yaml"
    path.write_text(case["document"], encoding="utf-8")
    return path


def _by(diagnostics: list[Diagnostic], severity: Severity) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is severity]


def _check_validate(expected: dict[str, Any], diagnostics: list[Diagnostic]) -> None:
    shown = [str(d) for d in diagnostics]
    errors = sorted((d.code, d.line) for d in _by(diagnostics, Severity.ERROR))
    wanted = sorted((code, line) for code, line in expected.get("errors", []))
    anywhere = [(code, 0) for code, line in wanted if line == 0]
    found = sorted((code, 0) if (code, 0) in anywhere else (code, line) for code, line in errors)
    assert found == wanted, shown
    for severity, key in ((Severity.WARNING, "warnings"), (Severity.INFO, "infos")):
        codes = {d.code for d in _by(diagnostics, severity)}
        assert set(expected.get(key, [])) <= codes, shown
    assert not {d.code for d in diagnostics} & set(expected.get("absent", [])), shown


def _subset(wanted: Any, got: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(got, dict) and all(
            k in got and _subset(v, got[k]) for k, v in wanted.items()
        )
    return bool(wanted == got)


def _check_run(run: dict[str, Any], path: Path, data: dict[str, Any]) -> None:
    app = make_field_app(run.get("responses"))
    with serve(app) as base_url:
        runner = Runner(servers={"api": base_url}, env={}, offline=True, timeout=10.0)
        result = runner.run(str(path), run["workflow"], run.get("inputs") or {})
    received = app.state.received
    assert result.status == run["status"], (result.error, received)
    if "requests" in run:
        assert len(received) == run["requests"], received
    for wanted, got in zip(run.get("sent", []), received, strict=False):
        assert _subset(wanted, got), (wanted, got)
    assert len(received) >= len(run.get("sent", [])), received
    notes = {step.step_id: step.notes for step in result.steps if step.notes}
    assert notes == run.get("notes", {}), notes
    if "failure" in run:
        assert result.error is not None and run["failure"] in result.error, result.error
    for name, value in (run.get("outputs") or {}).items():
        assert jsonable(result.outputs.get(name)) == value, (name, result.outputs)
    if "masked" in run:
        assert any(step.excerpt is not None for step in result.steps)
        shown = result.explain() + "".join(repr(step.excerpt) for step in result.steps)
        assert [secret for secret in run["masked"] if secret in shown] == [], shown


@pytest.mark.parametrize(("data", "case"), _cases())
def test_field_case(data: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    path = _document(data, case, tmp_path)
    _check_validate(case.get("validate", {}), validate_path(str(path), offline=True))
    if "run" in case:
        _check_run(case["run"], path, data)


def test_every_item_of_issue_16_has_cases() -> None:
    topics = {path.stem for path in FIELD.glob("*.yaml")}
    assert {
        "values",
        "indexes",
        "parameters",
        "conditions",
        "embedded-criteria",
        "jsonpath-root",
        "replacements",
        "versions",
        "offline",
        "x-security",
        "spec-examples",
    } <= topics
    assert len(_cases()) >= 40


def test_what_was_left_out_is_shown_and_reported() -> None:
    from arazzo_runner.reporting.text import step_lines
    from arazzo_runner.results import StepResult

    step = StepResult(
        "list", "w", "passed", 200, notes=["omitted: filter ($inputs.filter not set)"]
    )
    assert step_lines(step)[1:] == ["       . omitted: filter ($inputs.filter not set)"]
    assert step.to_dict()["notes"] == ["omitted: filter ($inputs.filter not set)"]
    assert "notes" not in StepResult("list", "w", "passed").to_dict()
