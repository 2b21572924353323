"""The examples of docs/cli.md and docs/ci.md are run, exactly as shown.

* docs/cli.md: every command of every ```sh block runs in bash (``.venv/bin`` first on PATH) in
  a copy of the files it names; a ``# exits N`` comment gives the expected code (else 0). The
  reports it writes are read back, and the summary table shown matches a real one.
* docs/ci.md: the GitHub Actions workflow's ``run:`` steps of each job run in order as one
  ``bash -eo pipefail`` script (GitHub's default shell), with the job's ``env`` (a free port, a
  test token for the secret); only ``pip install`` steps are skipped. The service it starts in
  the background is ended when the script ends. The pre-commit snippet is the hook that
  ``.pre-commit-hooks.yaml`` defines, and it runs, as written, under the real ``pre-commit``
  in a new Git repository: a valid commit goes in, a broken workflow file is refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from junitparser import JUnitXml

from tests.support.reports import check_har

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXITS = re.compile(r"#\s*exits (\d+)")


def blocks(doc: str, language: str) -> list[str]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def commands(block: str) -> list[str]:
    """The block's commands, continuation lines joined, comment-only lines dropped."""
    joined = block.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARAZZO_AUTH_", "FAL_KEY"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A copy of the files the examples name, so reports land in a temporary folder."""
    for part in ("docs/examples", "workflows", "openapi"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_md_has_examples() -> None:
    found = [c for b in blocks("cli.md", "sh") for c in commands(b)]
    assert len(found) >= 10 and all(c.startswith("arazzo ") for c in found)


def test_cli_md_commands_run_as_shown(workdir: Path) -> None:
    outputs: dict[str, str] = {}
    for block in blocks("cli.md", "sh"):
        for command in commands(block):
            expected = EXITS.search(command)
            done = _bash(command, workdir, _env())
            assert done.returncode == (int(expected.group(1)) if expected else 0), (
                f"{command}\n{done.stdout}\n{done.stderr}"
            )
            assert "Traceback" not in done.stderr
            outputs[command] = done.stdout
    reports = workdir / "reports"
    junit = [case for suite in JUnitXml.fromfile(str(reports / "junit.xml")) for case in suite]
    assert [case.name for case in junit] == ["health", "create-and-read", "read-one"]
    assert all(case.is_passed for case in junit)
    assert check_har(json.loads((reports / "run.har").read_text())) == []
    data = json.loads((reports / "run.json").read_text())
    assert [item["status"] for item in data] == ["passed"] * 3
    _table_matches_the_sample(outputs["arazzo run docs/examples/todo --mock"])


def _rows(text: str) -> list[tuple[str, ...]]:
    """(workflow, status, steps, file) of each row of a summary table, and its header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("workflow "))
    rows = [line.split() for line in lines[start : start + 4]]
    return [(r[0], r[1], r[2], r[-1]) for r in rows]


def _table_matches_the_sample(actual: str) -> None:
    (sample,) = [b for b in blocks("cli.md", "text") if b.startswith("workflow ")]
    assert _rows(sample) == _rows(actual)
    assert sample.splitlines()[-1].split(" in ")[0] == actual.splitlines()[-1].split(" in ")[0]


def _workflow() -> dict[str, Any]:
    (block,) = [b for b in blocks("ci.md", "yaml") if "jobs:" in b]
    loaded: dict[str, Any] = yaml.safe_load(block)
    return loaded


def _job_script(job: dict[str, Any]) -> str:
    runs = [step["run"] for step in job["steps"] if "run" in step]
    kept = [run for run in runs if not run.lstrip().startswith("pip install")]
    assert len(kept) == len(runs) - 1  # only the install step is left out
    # like GitHub's `bash -eo pipefail`; background jobs (the service) end with the script
    head = "set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
    return head + "\n".join(kept)


def _job_env(workflow: dict[str, Any], job: dict[str, Any], token: str) -> dict[str, str]:
    env = {**workflow.get("env", {}), **job.get("env", {})}
    values = {k: token if "${{" in str(v) else str(v) for k, v in env.items()}
    if "SERVICE_PORT" in values:
        values["SERVICE_PORT"] = str(_free_port())
    return _env(**values)


def test_ci_md_github_workflow_runs(workdir: Path) -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "push" in triggers and "pull_request" in triggers
    token = f"ci-token-{uuid.uuid4().hex}"
    jobs = workflow["jobs"]
    assert list(jobs) == ["validate", "run"] and jobs["run"]["needs"] == "validate"
    for name, job in jobs.items():
        done = _bash(_job_script(job), workdir, _job_env(workflow, job, token))
        assert done.returncode == 0, f"job {name}\n{done.stdout}\n{done.stderr}"
        assert token not in done.stdout + done.stderr
    reports = workdir / "reports"
    cases = [case for suite in JUnitXml.fromfile(str(reports / "arazzo.xml")) for case in suite]
    assert len(cases) == 3 and all(case.is_passed for case in cases)
    har = json.loads((reports / "arazzo.har").read_text())
    assert check_har(har) == []
    sent = [h for e in har["log"]["entries"] for h in e["request"]["headers"]]
    assert {"name": "authorization", "value": "Bearer ***"} in sent
    for path in reports.iterdir():
        assert token not in path.read_text(encoding="utf-8")


def test_pre_commit_hook_is_defined_and_its_entry_runs(workdir: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "arazzo-validate" and hook["language"] == "python"
    assert hook["entry"] == "arazzo validate"
    files = re.compile(hook["files"])
    names = ["arazzo.yaml", "a/arazzo.json", "x/pets.arazzo.yml", "pets.arazzo.json"]
    assert all(files.search(name) for name in names)
    others = ["openapi.yaml", "not-arazzo.yaml", "pets.arazzo.yaml.bak", "arazzo/x.yaml"]
    assert not any(files.search(name) for name in others)
    (local,) = _pre_commit_snippet()["repos"][0]["hooks"]
    # the documented local hook is the package's own, run by the installed arazzo
    assert (local["id"], local["entry"], local["files"]) == (
        hook["id"],
        hook["entry"],
        hook["files"],
    )


def _pre_commit_snippet() -> dict[str, Any]:
    snippet: dict[str, Any] = yaml.safe_load(
        next(b for b in blocks("ci.md", "yaml") if "repos:" in b)
    )
    return snippet


def _git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(
        command, cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_pre_commit_snippet_refuses_a_broken_workflow(workdir: Path, tmp_path: Path) -> None:
    """The snippet of docs/ci.md as written, with the real pre-commit: a commit of the example
    workflows goes in, a commit adding a broken one is refused with its file:line errors."""
    pre_commit = shutil.which("pre-commit", path=BIN)
    assert pre_commit is not None, "pre-commit is in the test extra"
    repo = tmp_path / "repo"
    shutil.copytree(workdir / "docs" / "examples" / "todo", repo / "todo")
    config = next(b for b in blocks("ci.md", "yaml") if "repos:" in b)
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    env = _env(PRE_COMMIT_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))
    assert _git(repo, "init", "-q", env=env).returncode == 0
    installed = subprocess.run(
        [pre_commit, "install"], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert installed.returncode == 0, installed.stderr
    assert _git(repo, "add", "-A", env=env).returncode == 0
    good = _git(repo, "commit", "-q", "-m", "workflows", env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "arazzo validate" in good.stdout + good.stderr and "Passed" in good.stdout + good.stderr
    (repo / "todo" / "broken.arazzo.yaml").write_text("arazzo: 1.0.1\nworkflows: []\n")
    assert _git(repo, "add", "-A", env=env).returncode == 0
    bad = _git(repo, "commit", "-q", "-m", "broken", env=env)
    said = bad.stdout + bad.stderr
    assert bad.returncode != 0 and "Failed" in said and "exit code: 2" in said
    assert "todo/broken.arazzo.yaml:1:1: error missing-field" in said
    log = _git(repo, "log", "--oneline", env=env).stdout.splitlines()
    assert len(log) == 1  # the broken file never went in


def _cli_options() -> set[str]:
    from arazzo_runner.cli import COMMANDS, cli

    names: set[str] = set()
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        names |= {opt for param in command.params for opt in getattr(param, "opts", [])}
    return names


def _plugin_options() -> set[str]:
    """The pytest plugin's options, as its ``add_options`` spells them."""
    source = (ROOT / "arazzo_runner" / "pytest_plugin" / "options.py").read_text(encoding="utf-8")
    return set(re.findall(r'addoption\(\s*"(--arazzo-[a-z-]+)"', source))


@pytest.mark.parametrize("page", ["cli.md", "ci.md", "websocket.md"])
def test_every_option_the_docs_name_exists(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text))
    known = _cli_options() | (_plugin_options() if page == "websocket.md" else set())
    assert mentioned and mentioned <= known, mentioned - known
