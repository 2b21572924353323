"""``arazzo run`` over many workflows: ``--all``, a folder, several files; table and exit code.

Runs in-process through the real entry point against the flow app on 127.0.0.1
(``criteria.arazzo.yaml``: one workflow that passes, four that fail a criterion).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apps import make_flow_app
from tests.support.asgi_server import serve
from tests.support.reports import run_cli

ROOT = Path(__file__).resolve().parents[1]
CRITERIA = ROOT / "workflows" / "criteria.arazzo.yaml"
FAL = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
PETSTORE = ROOT / "workflows" / "petstore.arazzo.yaml"


@pytest.fixture(scope="module")
def flow() -> Iterator[str]:
    with serve(make_flow_app()) as url:
        yield url


def _copy(doc: Path, target: Path, *, keep: str | None = None) -> None:
    """``doc`` at ``target`` with its sources made absolute, optionally one workflow only."""
    text = doc.read_text().replace("../openapi/", (ROOT / "openapi").as_uri() + "/")
    if keep is not None:
        head, _, rest = text.partition("workflows:\n")
        blocks = re.split(r"\n(?=  - workflowId: )", "\n" + rest)
        kept = "".join("\n" + b for b in blocks if f"workflowId: {keep}\n" in b)
        text = head + "workflows:" + kept + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_all_runs_every_workflow_and_prints_a_table(
    flow: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "run", str(CRITERIA), "--all", "-S", f"reports={flow}")
    assert code == 1
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("workflow ")))
    assert lines[start].split() == ["workflow", "status", "steps", "duration", "file"]
    rows = [line.split() for line in lines[start + 1 : start + 6]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("all-pass", "passed", "6"),
        ("jsonpath-empty-fails", "failed", "1"),
        ("xpath-false-fails", "failed", "1"),
        ("regex-no-match-fails", "failed", "1"),
        ("simple-false-fails", "failed", "1"),
    ]
    assert all(r[4] == "ms" and r[5] == str(CRITERIA) for r in rows)
    assert lines[start + 6].startswith("5 workflows: 1 passed, 4 failed, 0 error(s)")
    # each workflow's steps came first, under its name
    assert f"{CRITERIA}#simple-false-fails" in lines[:start]
    assert any("expected == 'sold'" in line for line in lines[:start])


def test_a_passing_suite_exits_0(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _copy(CRITERIA, tmp_path / "only-pass.arazzo.yaml", keep="all-pass")
    code, out, _ = run_cli(capsys, "run", str(tmp_path), "-S", f"reports={flow}")
    assert code == 0
    assert "1 workflow: 1 passed, 0 failed, 0 error(s)" in out


def test_a_folder_is_searched_for_arazzo_files(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _copy(CRITERIA, tmp_path / "b" / "criteria.yml", keep="all-pass")
    _copy(CRITERIA, tmp_path / "a.arazzo.yaml", keep="simple-false-fails")
    shutil.copy(ROOT / "openapi" / "criteria.openapi.yaml", tmp_path / "b" / "api.yaml")
    _copy(CRITERIA, tmp_path / ".hidden" / "skipped.arazzo.yaml")
    (tmp_path / "notes.json").write_text('{"openapi": "3.1.0"}')
    code, out, _ = run_cli(capsys, "run", str(tmp_path), "-S", f"reports={flow}", "--json")
    assert code == 1
    data = json.loads(out)
    assert [(Path(d["file"]).relative_to(tmp_path).as_posix(), d["workflowId"]) for d in data] == [
        ("a.arazzo.yaml", "simple-false-fails"),
        ("b/criteria.yml", "all-pass"),
    ]


def test_several_files_run_in_the_order_given(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _copy(CRITERIA, tmp_path / "one.arazzo.yaml", keep="regex-no-match-fails")
    _copy(CRITERIA, tmp_path / "two.arazzo.yaml", keep="all-pass")
    args = [str(tmp_path / "two.arazzo.yaml"), str(tmp_path / "one.arazzo.yaml")]
    code, out, _ = run_cli(capsys, "run", *args, "-S", f"reports={flow}", "--json")
    assert code == 1
    assert [d["workflowId"] for d in json.loads(out)] == ["all-pass", "regex-no-match-fails"]


def test_a_missing_file_is_an_error_row_and_exit_2(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.arazzo.yaml")
    code, out, _ = run_cli(capsys, "run", str(CRITERIA), missing, "-S", f"reports={flow}")
    assert code == 2
    assert re.search(r"^\(file\)\s+error\s+-\s+-\s+" + re.escape(missing) + "$", out, re.M)
    assert f"{missing}: error:" in out
    assert "5 workflows" not in out and "6 workflows: 1 passed, 4 failed, 1 error(s)" in out


def test_inputs_a_workflow_refuses_make_its_row_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "run", str(FAL), str(PETSTORE), "--mock", "--json")
    assert code == 2
    data = json.loads(out)
    assert [(d["workflowId"], d["status"], d["exitCode"]) for d in data] == [
        ("stream-inference", "error", 2),
        ("login-list-get", "error", 2),
    ]
    assert "modelOwner" in data[0]["error"] and "username" in data[1]["error"]


def test_mock_serves_each_file_its_own_sources(capsys: pytest.CaptureFixture[str]) -> None:
    inputs = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "x"}']
    code, out, err = run_cli(capsys, "run", str(FAL), str(FAL), "--mock", *inputs, "--json")
    assert code == 0, err  # one file given twice runs once
    (item,) = json.loads(out)
    assert item["status"] == "passed" and item["steps"][0]["statusCode"] == 200


@pytest.mark.parametrize(
    "args, message",
    [
        (["--all", "-w", "all-pass"], "-w/--workflow picks one workflow"),
        ([], "no Arazzo file in this folder"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = str(CRITERIA) if args else str(tmp_path)
    code, out, err = run_cli(capsys, "run", target, *args)
    assert code == 2 and out == "" and message in err
