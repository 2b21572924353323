"""``arazzo validate`` and ``arazzo list``: exit codes and every output format."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import arazzo_runner
from arazzo_runner.cli import main

DATA = Path(__file__).parent / "data" / "validate"
VALID = str(DATA / "valid.arazzo.yaml")
GOTO = str(DATA / "goto-missing.arazzo.yaml")


def _run(*args: str) -> tuple[int, str, str]:
    """The real entry point (``arazzo_runner.cli.main``), output captured, exit code kept."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue().decode(), err.getvalue().decode()


def test_valid_file_exits_0_with_summary() -> None:
    code, out, _ = _run("validate", VALID)
    assert (code, out) == (0, "ok: 1 file valid\n")


def test_text_format_has_location_code_frame_and_summary() -> None:
    code, out, err = _run("validate", GOTO)
    lines = out.splitlines()
    assert code == 2
    assert lines[0] == (
        f"{GOTO}:16:21: error unknown-step action 'next' goes to step 'fecth', "
        "which is not in workflow 'adopt'"
    )
    assert lines[1] == "   16 |             stepId: fecth"
    assert lines[2] == "      |                     ^"
    assert lines[3] == "  hint: did you mean 'fetch'? (ids are case-sensitive)"
    assert lines[-1] == "1 error(s), 0 warning(s) in 1 file"
    assert "1 of 1 file(s) failed" in err


def test_json_format_is_an_array_of_diagnostics() -> None:
    code, out, _ = _run("validate", "--format", "json", GOTO, VALID)
    items = json.loads(out)
    assert code == 2
    assert [(i["input"], i["code"], i["line"], i["severity"]) for i in items] == [
        (GOTO, "unknown-step", 16, "error")
    ]
    assert items[0]["pointer"] == "/workflows/0/steps/0/onSuccess/0/stepId"


def test_github_format_annotations() -> None:
    code, out, _ = _run("validate", "--format", "github", GOTO)
    first = out.splitlines()[0]
    assert code == 2
    assert first.startswith(f"::error file={GOTO},line=16,col=21,title=unknown-step::")
    assert first.endswith("(did you mean 'fetch'? (ids are case-sensitive))")


def test_junit_format_one_testcase_per_file() -> None:
    code, out, _ = _run("validate", "--format", "junit", GOTO, VALID)
    suite = ET.fromstring(out)
    cases = suite.findall("testcase")
    assert code == 2
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert [c.get("name") for c in cases] == [GOTO, VALID]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "unknown-step"
    assert cases[1].find("failure") is None


@pytest.mark.parametrize("target", ["/no/such/file.yaml", str(DATA)])
def test_missing_file_and_directory_are_diagnostics(target: str) -> None:
    code, out, _ = _run("validate", "--format", "json", target)
    items = json.loads(out)
    assert code == 2
    assert [i["code"] for i in items] == ["source-unreadable"]


def test_bad_yaml_is_a_diagnostic_not_a_traceback() -> None:
    code, out, err = _run("validate", str(DATA / "bad-indent.arazzo.yaml"))
    assert code == 2
    assert "error yaml-syntax" in out and "Traceback" not in out + err


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    doc = tmp_path / "w.arazzo.yaml"
    doc.write_text(
        Path(VALID)
        .read_text()
        .replace("$response.body#/name", "$response.body.name")
        .replace("./petstore", (DATA / "petstore").as_uri()),
        encoding="utf-8",
    )
    assert _run("validate", str(doc))[0] == 0
    code, out, _ = _run("validate", "--strict", str(doc))
    assert code == 2 and "warning body-dot-path" in out


def test_list_prints_workflows_with_inputs() -> None:
    code, out, _ = _run("list", VALID)
    assert code == 0
    assert out.splitlines() == [
        "adopt",
        "    petId: string (required)",
        "    note: string (optional)",
    ]
    code, out, _ = _run("list", "--json", VALID)
    assert json.loads(out)[0]["inputs"] == [
        {"name": "petId", "type": "string", "required": True},
        {"name": "note", "type": "string", "required": False},
    ]


def test_list_ignores_required_entries_that_are_not_names(tmp_path: Path) -> None:
    """Found by the fuzz test: ``required: [[]]`` crashed ``list`` (a list is not hashable)."""
    doc = tmp_path / "odd.arazzo.yaml"
    text = Path(VALID).read_text().replace("./petstore", (DATA / "petstore").as_uri())
    doc.write_text(text.replace("required: [petId]", "required: [[]]", 1), encoding="utf-8")
    assert "required: [[]]" in doc.read_text()
    code, out, err = _run("list", "--json", str(doc))
    assert code == 0, err
    assert [i["required"] for i in json.loads(out)[0]["inputs"]] == [False, False]


def test_list_of_unreadable_file_exits_2() -> None:
    code, _, err = _run("list", str(DATA / "bad-indent.arazzo.yaml"))
    assert code == 2 and "yaml-syntax" in err


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_python_m_exit_codes_and_formats() -> None:
    assert _python("-m", "arazzo_runner", "validate", VALID).returncode == 0
    bad = _python("-m", "arazzo_runner", "validate", "--format", "github", GOTO)
    assert bad.returncode == 2
    assert bad.stdout.startswith("::error file=")
    as_json = _python("-m", "arazzo_runner", "validate", "--format", "json", GOTO)
    assert as_json.returncode == 2 and json.loads(as_json.stdout)[0]["code"] == "unknown-step"


def test_validate_does_not_import_httpx_for_local_files() -> None:
    script = (
        "import sys\n"
        "from arazzo_runner.cli import main\n"
        "try:\n"
        f"    main(['validate', {VALID!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('httpx' in sys.modules)\n"
    )
    result = _python("-c", script)
    assert result.stdout.splitlines()[-1] == "False", result.stderr


HEAVY = ("httpx", "yaml", "jsonschema", "jmespath", "jsonpath", "elementpath", "starlette")


def test_help_and_version_import_no_machinery() -> None:
    """`arazzo --help` runs in pre-commit hooks: it loads no HTTP, YAML, schema or OpenAPI code."""
    script = (
        "import sys\n"
        "from arazzo_runner.cli import main\n"
        "for argv in (['--help'], ['--version']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        print('exit', exc.code)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(sorted(m for m in sys.modules if m.startswith('arazzo_runner.') and"
        " m.split('.')[1] in ('openapi', 'executor', 'workspace', 'loader')))\n"
    )
    result = _python("-c", script)
    lines = result.stdout.splitlines()
    assert lines[-2:] == ["[]", "[]"], result.stdout + result.stderr
    assert lines.count("exit 0") == 2
    assert "Commands:" in result.stdout and "validate" in result.stdout
    assert f"arazzo, version {arazzo_runner.__version__}" in result.stdout


def test_offline_unreachable_source_is_exit_0_and_says_what_was_skipped(tmp_path: Path) -> None:
    path = tmp_path / "remote.arazzo.yaml"
    path.write_text(
        """\
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: pets, url: "https://pets.example.invalid/openapi.yaml", type: openapi}
workflows:
  - workflowId: w
    steps:
      - {stepId: list, operationId: listPets}
      - {stepId: get, operationId: $sourceDescriptions.pets.getPet}
""",
        encoding="utf-8",
    )
    code, out, _ = _run("validate", "--offline", str(path))
    assert code == 0
    assert "warning source-unreachable" in out
    assert "info checks-skipped source 'pets' was not loaded" in out
    assert "steps list, get are not checked" in out
    strict, _, err = _run("validate", "--offline", "--strict", str(path))
    assert strict == 2 and "failed" in err
