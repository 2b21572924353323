"""``arazzo run`` end to end: the workflows in ``workflows/`` against real servers on 127.0.0.1.

Most runs go through :class:`~arazzo_runner.runner.Runner` in-process; a few go through the
command line (``python -m arazzo_runner run ... --json``) in a subprocess, to pin the exit codes
and the JSON shape a script sees. The starlette apps record every request they receive
(``app.state.calls``), so "no request was sent" is checked on the server side.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from arazzo_runner.errors import InputError, ValidationFailed
from arazzo_runner.results import RunResult
from arazzo_runner.runner import Runner
from tests.support.apps import make_echo_app, make_flow_app, make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "workflows"
OPENAPI = ROOT / "openapi"
PETSTORE_INPUTS = {"username": "alice", "password": "wonderland"}


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[Starlette, str]]:
    app = make_echo_app()
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def flow() -> Iterator[tuple[Starlette, str]]:
    """Shared by the tests that do not count requests (flaky keys are fresh per run)."""
    app = make_flow_app()
    with serve(app) as url:
        yield app, url


@pytest.fixture
def fresh_flow() -> Iterator[tuple[Starlette, str]]:
    """A flow app with fresh counters, orders and call log."""
    app = make_flow_app()
    with serve(app) as url:
        yield app, url


@pytest.fixture
def petstore() -> Iterator[tuple[Starlette, str]]:
    app = make_petstore_app()
    with serve(app) as url:
        yield app, url


def run(
    name: str, workflow: str | None, inputs: dict[str, Any], url: str, *sources: str, **kw: Any
) -> RunResult:
    runner = Runner(servers={s: url for s in sources}, env={}, timeout=20, **kw)
    return runner.run(str(WORKFLOWS / f"{name}.arazzo.yaml"), workflow, inputs)


def trail(result: RunResult) -> list[tuple[str, int | None]]:
    return [(s.step_id, s.status_code) for s in result.steps]


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("ARAZZO_AUTH")}
    return subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "run", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env=env,
        cwd=ROOT,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- parameters and bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow", "wire"),
    [
        ("path-styles", "GET /echo/path/matrix-explode/;id=3;id=4;id=5"),
        ("query-styles", "GET /echo/query?color=blue&color=black"),
        ("headers", None),
        ("workflow-parameters", None),
        ("cookies", None),
    ],
)
def test_parameter_styles(echo: tuple[Starlette, str], workflow: str, wire: str | None) -> None:
    app, url = echo
    result = run("params", workflow, {}, url, "echo")
    assert result.passed, (result.error, [s.failures for s in result.steps])
    assert all(s.status_code == 200 for s in result.steps)
    if wire is not None:
        assert wire in app.state.calls


def test_parameter_outputs(echo: tuple[Starlette, str]) -> None:
    _, url = echo
    assert run("params", "headers", {}, url, "echo").outputs == {"traceId": "trace-123"}
    # a Cookie header is a credential: its echo is masked unless the caller asks to see it
    assert run("params", "cookies", {}, url, "echo").outputs == {"rawCookie": "***"}
    cookies = run("params", "cookies", {}, url, "echo", reveal_outputs=True).outputs
    assert cookies == {"rawCookie": "session=abc123; prefs=a,b"}
    query = run("params", "query-styles", {}, url, "echo").outputs
    assert query["colors"] == ["blue", "black"] and query["deepObjectStatus"] == "available"


def test_json_bodies(echo: tuple[Starlette, str]) -> None:
    _, url = echo
    result = run("bodies", "json-bodies", {"name": "Fido", "age": 3}, url, "echo")
    assert result.passed, result.error
    assert result.outputs["sent"] == {
        "name": "Fido",
        "age": 3,
        "tags": ["a", "b"],
        "owner": {"verified": True},
    }
    assert result.outputs["defaultContentType"] == "application/json"
    assert result.outputs["greeting"] == "hello Fido"
    assert result.outputs["replaced"] == {
        "pet": {"name": "Fido", "status": "available"},
        "tags": ["x", "new"],
    }


def test_other_bodies(echo: tuple[Starlette, str]) -> None:
    _, url = echo
    result = run("bodies", "other-bodies", {"name": "Fido", "age": 3}, url, "echo")
    assert result.passed, result.error
    out = result.outputs
    assert out["formString"] == "grant_type=client_credentials&client_id=Fido"
    assert [p["value"] for p in out["parts"]] == ["A good dog", "hello"]
    assert out["text"] == "Hello Fido!"
    assert "<status>available</status>" in out["xml"]
    assert out["binaryMethod"] == "PUT"


# -- criteria ---------------------------------------------------------------------------------


def test_criteria_of_every_type_pass(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    result = run("criteria", "all-pass", {}, url, "reports")
    assert result.passed, result.error
    assert [s.step_id for s in result.steps] == [
        "simple",
        "regex",
        "jsonpath",
        "jsonpathGoessner",
        "xpath",
        "xpathVersion",
    ]


@pytest.mark.parametrize(
    ("workflow", "words"),
    [
        ("jsonpath-empty-fails", "matched no nodes"),
        ("xpath-false-fails", "is false"),
        ("regex-no-match-fails", "does not match"),
        ("simple-false-fails", "expected == 'sold'"),
    ],
)
def test_failing_criteria_fail_the_run(
    flow: tuple[Starlette, str], workflow: str, words: str
) -> None:
    _, url = flow
    result = run("criteria", workflow, {}, url, "reports")
    assert result.status == "failed" and result.exit_code == 1
    assert result.steps[0].status_code == 200
    assert words in result.steps[0].failures[0].reason


# -- sources, nesting, dependsOn, credentials ---------------------------------------------------


def test_several_sources(flow: tuple[Starlette, str]) -> None:
    app, url = flow
    result = run("multi-source", None, {}, url, "catalog", "accounts")
    assert result.passed, result.error
    assert result.outputs == {
        "catalogService": "catalog",
        "accountsService": "accounts",
        "itemName": "Blue mug",
        "ownerName": "Ada",
    }
    assert "GET /items/item-1" in app.state.calls


def test_nested_workflow_and_depends_on(fresh_flow: tuple[Starlette, str]) -> None:
    app, url = fresh_flow
    result = run("nested", "buy-item", {"item": "widget", "quantity": 2}, url, "orders")
    assert result.passed, result.error
    assert result.outputs == {
        "orderId": "ord-0001",
        "status": "placed",
        "available": 7,
        "orderedItem": "widget",
        "confirmedItem": "widget",
    }
    # the dependency ran first, once; then the sub-workflow; then the confirmation
    assert app.state.calls == ["GET /inventory/widget", "POST /orders", "GET /orders/ord-0001"]
    assert [s.step_id for s in result.steps] == ["stock", "order", "create", "confirm"]
    assert len(app.state.flow.orders) == 1


def test_petstore_with_credentials(petstore: tuple[Starlette, str]) -> None:
    _, url = petstore
    result = run(
        "petstore", None, PETSTORE_INPUTS, url, "petstore", auth={"apiKeyAuth": "test-api-key"}
    )
    assert result.passed, result.error
    assert result.outputs["petName"] == "Fido"
    assert [p["id"] for p in result.outputs["pets"]] == [1, 3]
    assert result.outputs["expiresAfter"] == "2030-01-01T00:00:00Z"


def test_petstore_without_credentials_cannot_run(petstore: tuple[Starlette, str]) -> None:
    app, url = petstore
    result = run("petstore", None, PETSTORE_INPUTS, url, "petstore")
    assert result.status == "failed" and result.exit_code == 3
    assert result.error is not None and "apiKeyAuth" in result.error
    assert not any(c.startswith("GET /pets/") for c in app.state.calls)


# -- actions ----------------------------------------------------------------------------------


def flaky_run(url: str, workflow: str, **inputs: Any) -> RunResult:
    return run("control-flow", workflow, {"key": uuid.uuid4().hex, **inputs}, url, "flow")


@pytest.mark.parametrize(
    ("workflow", "steps", "outputs"),
    [
        ("end-on-success", [("first", 200)], {"code": 200}),
        (
            "goto-step-on-failure",
            [("tryIt", 404), ("recover", 200)],
            {"firstStatus": 404, "recoveredStatus": 200},
        ),
        ("goto-workflow", [("start", 200), ("first", 200)], {"code": 200}),
        (
            "workflow-level-actions",
            [("first", 500), ("recovery", 500), ("created", 201), ("last", 200)],
            {"code": 200},
        ),
    ],
)
def test_end_and_goto(
    flow: tuple[Starlette, str],
    workflow: str,
    steps: list[tuple[str, int]],
    outputs: dict[str, Any],
) -> None:
    _, url = flow
    result = run("control-flow", workflow, {}, url, "flow")
    assert result.passed, result.error
    assert trail(result) == steps
    assert result.outputs == outputs


def test_retry_until_success_and_exhaustion(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    result = flaky_run(url, "retry-until-success", failures=2)
    assert result.passed and result.outputs == {"attempt": 3}
    assert trail(result) == [("callFlaky", 503), ("callFlaky", 503), ("callFlaky", 200)]
    assert [s.attempts for s in result.steps] == [1, 2, 3]
    result = flaky_run(url, "retry-until-success", failures=5)
    assert not result.passed and len(result.steps) == 4  # 1 + retryLimit 3


def test_retry_exhausted_then_fallback(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    result = flaky_run(url, "retry-exhausted-fallback")
    assert result.passed
    assert [s.step_id for s in result.steps] == ["callFlaky"] * 3 + ["fallback"]
    assert result.outputs == {"lastAttempt": 3}


def test_default_retry_limit_is_one(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    result = flaky_run(url, "default-retry-limit")
    assert result.status == "failed" and result.exit_code == 1
    assert trail(result) == [("callFlaky", 503), ("callFlaky", 503)]


def test_retry_after_field_waits(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    started = time.monotonic()
    result = flaky_run(url, "retry-after-field")
    assert result.passed and result.outputs == {"attempt": 2}
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("header", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_header_wins(fresh_flow: tuple[Starlette, str], header: str) -> None:
    app, url = fresh_flow
    started = time.monotonic()
    result = flaky_run(url, "retry-after-header", retryAfterHeader=header)
    assert result.passed and result.outputs == {"attempt": 2}
    assert time.monotonic() - started < 2.5  # the action's retryAfter is 3 s
    assert len(app.state.calls) == 2


def test_retry_via_step_runs_target_first(fresh_flow: tuple[Starlette, str]) -> None:
    app, url = fresh_flow
    result = flaky_run(url, "retry-via-step")
    assert result.passed and result.outputs == {"count": 2, "attempt": 2}
    assert [s.step_id for s in result.steps] == ["warmup", "callFlaky", "warmup", "callFlaky"]
    paths = [c.split("/")[1] for c in app.state.calls]
    assert paths == ["counter", "flaky", "counter", "flaky"]


def test_components_reuse(flow: tuple[Starlette, str]) -> None:
    _, url = flow
    result = flaky_run(url, "components-reuse")
    assert result.passed and result.outputs == {"attempt": 2}
    assert [s.step_id for s in result.steps] == ["ping", "callFlaky", "callFlaky"]
    assert result.ended_by == "endNow"


def test_goto_loop_stopped_by_step_budget(fresh_flow: tuple[Starlette, str]) -> None:
    app, url = fresh_flow
    result = run("control-flow", "endless-loop", {}, url, "flow", max_steps=6)
    assert result.status == "failed" and result.cause == "budget" and result.exit_code == 1
    assert app.state.flow.counter == 6
    assert result.error is not None and "--max-steps" in result.error


# -- refusals before any request ----------------------------------------------------------------


def test_missing_required_input_sends_nothing(petstore: tuple[Starlette, str]) -> None:
    app, url = petstore
    with pytest.raises(InputError, match="password") as caught:
        run("petstore", None, {"username": "alice"}, url, "petstore")
    assert caught.value.exit_code == 2
    assert app.state.calls == []


def _write_doc(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions:\n"
        f"  - {{name: flow, url: '{(OPENAPI / 'control-flow.openapi.yaml').as_uri()}',"
        " type: openapi}\nworkflows:\n  - workflowId: main\n    steps:\n" + steps
    )
    return path


TYPO_GOTO = """\
      - stepId: first
        operationId: getStatus
        parameters: [{name: code, in: path, value: 200}]
        onSuccess: [{name: jump, type: goto, stepId: secnod}]
      - stepId: second
        operationId: getStatus
        parameters: [{name: code, in: path, value: 200}]
"""


def test_typo_in_goto_is_a_validation_error(
    fresh_flow: tuple[Starlette, str], tmp_path: Path
) -> None:
    app, url = fresh_flow
    path = _write_doc(tmp_path, TYPO_GOTO)
    with pytest.raises(ValidationFailed) as caught:
        Runner(servers={"flow": url}).run(str(path))
    assert caught.value.exit_code == 2
    assert any("secnod" in d.message for d in caught.value.diagnostics)
    assert app.state.calls == []


def python_criterion(kind: str, marker: Path) -> str:
    context = "        context: $response.body\n" if kind == "regex" else ""
    return (
        "      - stepId: sneaky\n        operationId: getStatus\n"
        "        parameters: [{name: code, in: path, value: 200}]\n"
        "        successCriteria:\n"
        f"          - condition: \"__import__('os').system('touch {marker}')\"\n"
        f"            type: {kind}\n" + context.replace("        ", "            ")
    )


def test_python_in_a_criterion_is_only_text(
    fresh_flow: tuple[Starlette, str], tmp_path: Path
) -> None:
    app, url = fresh_flow
    marker = tmp_path / "pwned"
    # as a regex it is a pattern that does not match: the step fails, nothing runs
    path = _write_doc(tmp_path, python_criterion("regex", marker))
    result = Runner(servers={"flow": url}).run(str(path))
    assert result.status == "failed" and result.exit_code == 1
    assert "does not match" in result.steps[0].failures[0].reason
    # as a simple condition it does not parse: refused before any request
    path = _write_doc(tmp_path, python_criterion("simple", marker))
    calls = len(app.state.calls)
    with pytest.raises(ValidationFailed):
        Runner(servers={"flow": url}).run(str(path))
    assert len(app.state.calls) == calls
    assert not marker.exists()


def test_connection_refused_is_exit_3() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run("petstore", None, PETSTORE_INPUTS, url, "petstore")
    assert result.status == "failed" and result.exit_code == 3 and result.cause == "transport"
    assert result.steps[0].status == "error" and result.steps[0].status_code is None


# -- the command line -------------------------------------------------------------------------


def test_cli_petstore_json(petstore: tuple[Starlette, str]) -> None:
    _, url = petstore
    proc = cli(
        "workflows/petstore.arazzo.yaml",
        "-i",
        "username=alice",
        "-i",
        "password=wonderland",
        "--server",
        f"petstore={url}",
        "--auth",
        "apiKeyAuth=test-api-key",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "passed" and data["workflowId"] == "login-list-get"
    assert data["outputs"]["petName"] == "Fido"
    assert [s["stepId"] for s in data["steps"]] == ["login", "listAvailable", "getPet"]
    assert "test-api-key" not in proc.stdout + proc.stderr


def test_cli_exit_codes(fresh_flow: tuple[Starlette, str], tmp_path: Path) -> None:
    app, url = fresh_flow
    server = f"flow={url}"
    failed = cli(
        "workflows/control-flow.arazzo.yaml",
        "-w",
        "default-retry-limit",
        "-i",
        f"key={uuid.uuid4().hex}",
        "-S",
        server,
        "--json",
    )
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["status"] == "failed"
    loop = cli(
        "workflows/control-flow.arazzo.yaml",
        "-w",
        "endless-loop",
        "-S",
        server,
        "--max-steps",
        "4",
        "--json",
    )
    assert loop.returncode == 1 and json.loads(loop.stdout)["error"].startswith("step budget")
    assert app.state.flow.counter == 4
    before = len(app.state.calls)
    missing = cli(
        "workflows/control-flow.arazzo.yaml",
        "-w",
        "retry-until-success",
        "-i",
        "key=k",
        "-S",
        server,
        "--json",
    )
    assert missing.returncode == 2 and "failures" in missing.stderr
    typo = cli(str(_write_doc(tmp_path, TYPO_GOTO)), "-S", server, "--json")
    assert typo.returncode == 2, typo.stderr
    assert len(app.state.calls) == before
    refused = cli(
        "workflows/control-flow.arazzo.yaml",
        "-w",
        "end-on-success",
        "-S",
        f"flow=http://127.0.0.1:{free_port()}",
        "--json",
    )
    assert refused.returncode == 3
    assert json.loads(refused.stdout)["steps"][0]["statusCode"] is None
