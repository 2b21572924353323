"""``arazzo run`` options: inputs (``-i``, ``--inputs FILE``, ``--inputs -``), ``-w``, output.

The command runs in-process through :func:`arazzo_runner.cli.main` (the real entry point, exit
codes included) against the echo app on 127.0.0.1; ``bodies.arazzo.yaml`` has two workflows
whose inputs schema wants ``name`` (string) and ``age`` (integer), and its outputs echo what
the server received, so the parsed type of every input is visible in the result.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from arazzo_runner.cli import main
from tests.support.apps import make_echo_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
BODIES = str(ROOT / "workflows" / "bodies.arazzo.yaml")
PARAMS = str(ROOT / "workflows" / "params.arazzo.yaml")
PETSTORE = str(ROOT / "workflows" / "petstore.arazzo.yaml")


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[Starlette, str]]:
    app = make_echo_app()
    with serve(app) as url:
        yield app, url


def arazzo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(["run", *args])
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


def json_run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> dict[str, Any]:
    code, out, err = arazzo(
        capsys, BODIES, "-w", "json-bodies", "-S", f"echo={url}", "--json", *args
    )
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_input_values_are_json_when_they_parse(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = echo
    data = json_run(capsys, url, "-i", "name=Fido", "-i", "age=3")
    assert data["outputs"]["sent"]["age"] == 3  # a number, not "3"
    assert data["outputs"]["sent"]["name"] == "Fido"  # not JSON: kept as text


def test_a_quoted_number_is_a_string_and_fails_the_schema(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app, url = echo
    before = len(app.state.calls)
    code, out, err = arazzo(
        capsys, BODIES, "-w", "json-bodies", "-S", f"echo={url}", "-i", "name=Fido", "-i", 'age="3"'
    )
    assert code == 2
    assert "age" in err and out == ""
    assert len(app.state.calls) == before


def test_inputs_from_a_file(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, url = echo
    json_file = tmp_path / "in.json"
    json_file.write_text(json.dumps({"name": "Rex", "age": 4}))
    assert json_run(capsys, url, "--inputs", str(json_file))["outputs"]["sent"]["name"] == "Rex"
    yaml_file = tmp_path / "in.yaml"
    yaml_file.write_text("name: Rex\nage: 5\n")
    # -i overrides a value from the file
    data = json_run(capsys, url, "--inputs", str(yaml_file), "-i", "name=Max")
    assert data["outputs"]["sent"]["age"] == 5 and data["outputs"]["sent"]["name"] == "Max"


def test_inputs_from_stdin(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    _, url = echo
    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "Stdin", "age": 9}'))
    data = json_run(capsys, url, "--inputs", "-")
    assert data["outputs"]["sent"]["name"] == "Stdin" and data["outputs"]["sent"]["age"] == 9


def test_inputs_file_must_hold_an_object(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "list.json"
    bad.write_text("[1, 2]")
    code, _, err = arazzo(capsys, BODIES, "-w", "json-bodies", "--inputs", str(bad))
    assert code == 2 and "object" in err


def test_malformed_input_pair_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = arazzo(capsys, BODIES, "-w", "json-bodies", "-i", "noequals")
    assert code == 2 and "NAME=VALUE" in err


def test_workflow_is_required_when_there_are_several(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app, url = echo
    before = len(app.state.calls)
    code, out, err = arazzo(capsys, BODIES, "-S", f"echo={url}", "-i", "name=x", "-i", "age=1")
    assert code == 2
    assert "-w" in err and "json-bodies" in err and "other-bodies" in err
    assert len(app.state.calls) == before
    code, _, err = arazzo(capsys, BODIES, "-w", "nope")
    assert code == 2 and "nope" in err and "json-bodies" in err


def test_human_output_lists_steps_with_timings(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = echo
    code, out, _ = arazzo(capsys, PARAMS, "-w", "workflow-parameters", "-S", f"echo={url}")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r"\s+ok\s+workflow-parameters/inherited 200 \d+\.\d ms", lines[0])
    assert re.fullmatch(r"\s+ok\s+workflow-parameters/overridden 200 \d+\.\d ms", lines[1])
    assert re.fullmatch(r"workflow-parameters: passed in \d+ ms", lines[2])
    assert json.loads(lines[3].removeprefix("outputs: ")) == {
        "inherited": "from-workflow",
        "overridden": "from-step",
    }


def test_human_output_shows_failures(
    echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, url = echo
    doc = Path(PARAMS).read_text().replace("value: from-step", "value: other")
    (tmp_path / "params.arazzo.yaml").write_text(
        doc.replace("../openapi/", (ROOT / "openapi").as_uri() + "/")
    )
    code, out, err = arazzo(
        capsys,
        str(tmp_path / "params.arazzo.yaml"),
        "-w",
        "workflow-parameters",
        "-S",
        f"echo={url}",
    )
    assert code == 1
    assert "FAIL workflow-parameters/overridden 200" in out
    assert "expected == 'from-step'" in out
    assert "FAILED" in out and "overridden" in err


def test_json_shape(echo: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, url = echo
    data = json_run(capsys, url, "-i", "name=Fido", "-i", "age=3")
    assert {"workflowId", "status", "outputs", "steps"} <= set(data)
    assert data["workflowId"] == "json-bodies" and data["status"] == "passed"
    assert len(data["steps"]) == 5
    for step in data["steps"]:
        assert {"stepId", "status", "statusCode", "attempts", "durationMs", "failures"} <= set(step)
        assert step["status"] == "passed" and step["statusCode"] == 200
        assert step["attempts"] == 1 and step["failures"] == []
        assert isinstance(step["durationMs"], (int, float)) and step["durationMs"] >= 0
    assert [s["stepId"] for s in data["steps"]][0] == "jsonObject"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "-1"], "--timeout must be a positive number of seconds, or 0 for no bound"),
        (["--timeout", "nan"], "--timeout must be a positive number"),
        (["--timeout", "inf"], "--timeout must be a positive number"),
        (["--idle-timeout", "1e309"], "--idle-timeout must be a positive number"),
        (["--max-steps", "0"], "--max-steps must be a whole number of at least 1, got 0"),
    ],
)
def test_run_settings_are_checked_at_the_edge(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "run", PETSTORE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_zero_timeout_means_no_bound() -> None:
    from arazzo_runner.cli.run_inputs import run_settings

    settings = run_settings(timeout=0, idle_timeout=0, max_steps=5)
    assert (settings.timeout, settings.idle_timeout, settings.max_steps) == (None, None, 5)
