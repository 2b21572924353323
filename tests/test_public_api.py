"""The Python facade (``import arazzo_runner``): its names, its import, and every way to run.

Every run talks to a real starlette app on 127.0.0.1 (``tests/support``): the pet store for
login/list/get with credentials, the flow app for the step budget, the fal app for streams.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import arazzo_runner
from arazzo_runner import errors
from tests.support.apps import make_fal_app, make_flow_app, make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PETSTORE = str(ROOT / "workflows" / "petstore.arazzo.yaml")
FAL = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
GOOD = {"username": "alice", "password": "wonderland"}
API_KEY = {"apiKeyAuth": "test-api-key"}


@pytest.fixture(scope="module")
def petstore() -> Iterator[str]:
    with serve(make_petstore_app()) as url:
        yield url


def settings(url: str, **extra: Any) -> dict[str, Any]:
    return {"servers": {"petstore": url}, "auth": API_KEY, "env": {}, "timeout": 20, **extra}


# -- the facade itself ------------------------------------------------------------------------


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = arazzo_runner.__all__
    assert names == sorted(names)
    assert dir(arazzo_runner) == sorted(names)
    assert set(names) == {*arazzo_runner._LAZY, "__version__"}
    for name in names:
        assert getattr(arazzo_runner, name) is not None, name
    assert set(errors.__all__) <= set(names)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        arazzo_runner.nope  # noqa: B018


def test_validation_is_a_module_and_validate_the_function() -> None:
    import importlib
    import types

    module = importlib.import_module("arazzo_runner.validation")  # the rules behind `validate`
    assert isinstance(module, types.ModuleType)
    assert "RULES" in module.__all__
    assert callable(arazzo_runner.validate)
    assert arazzo_runner.validate.__module__ == "arazzo_runner.runner"


def test_facade_names_are_the_real_objects() -> None:
    from arazzo_runner.results import RunResult
    from arazzo_runner.runner import Runner
    from arazzo_runner.streaming.event_stream import EventStream

    assert arazzo_runner.Runner is Runner
    assert arazzo_runner.RunResult is RunResult
    assert arazzo_runner.EventStream is EventStream


def test_import_prints_nothing_configures_no_logging_and_stays_light() -> None:
    code = (
        "import logging, sys\n"
        "import arazzo_runner\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
        "heavy = sorted(m for m in ('httpx', 'jsonschema', 'yaml') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_package_is_typed() -> None:
    package = Path(next(iter(arazzo_runner.__path__)))
    assert (package / "py.typed").is_file()


# -- load, validate, run ----------------------------------------------------------------------


def test_validate_and_load(tmp_path: Path) -> None:
    assert [d for d in arazzo_runner.validate(PETSTORE) if d.severity.value == "error"] == []
    workspace = arazzo_runner.load(Path(PETSTORE))
    assert isinstance(workspace, arazzo_runner.Workspace)
    assert [w.workflow_id for w in workspace.root.workflows] == ["login-list-get"]
    broken = ROOT / "tests" / "data" / "validate" / "goto-missing.arazzo.yaml"
    found = arazzo_runner.validate(broken)
    assert any(d.severity is arazzo_runner.Severity.ERROR for d in found)
    with pytest.raises(arazzo_runner.ValidationFailed) as caught:
        arazzo_runner.load(broken)
    assert caught.value.exit_code == 2 and caught.value.line is not None


def test_run_passes_with_servers_and_credentials(petstore: str) -> None:
    workspace = arazzo_runner.load(PETSTORE)
    result = arazzo_runner.run(workspace, inputs=GOOD, **settings(petstore))
    assert result.passed and result.exit_code == 0
    assert result.outputs["petName"] == "Fido"
    assert [s.step_id for s in result.steps] == ["login", "listAvailable", "getPet"]
    assert result.explain() == "workflow login-list-get passed"


def test_bad_inputs_are_refused_before_any_request(petstore: str) -> None:
    with pytest.raises(arazzo_runner.InputError, match="missing required input 'password'"):
        arazzo_runner.run(PETSTORE, inputs={"username": "alice"}, **settings(petstore))


def test_failed_step_keeps_a_redacted_excerpt(petstore: str) -> None:
    result = arazzo_runner.run(
        PETSTORE, inputs={**GOOD, "password": "not-the-password"}, **settings(petstore)
    )
    assert not result.passed and result.exit_code == 1
    step = result.failed_step
    assert step is not None and step.step_id == "login"
    assert step.failures[0].condition == "$statusCode == 200"
    excerpt = step.excerpt
    assert excerpt is not None
    assert (excerpt.method, excerpt.status_code) == ("POST", 401)
    assert excerpt.url.endswith("/login")
    assert excerpt.request_body == '{"username": "alice", "password": "***"}'
    assert "invalid username or password" in (excerpt.response_body or "")
    assert excerpt.to_dict()["response"]["statusCode"] == 401
    text = result.explain()
    assert "not-the-password" not in text
    for expected in ("step login: failed (HTTP 401", "criterion: $statusCode == 200", "> POST "):
        assert expected in text
    assert "< 401" in text and "steps run: login failed" in text


def test_credentials_never_show_in_excerpts_or_reasons(petstore: str) -> None:
    wrong_key = {"apiKeyAuth": "wrong-api-key-123"}
    result = arazzo_runner.run(PETSTORE, inputs=GOOD, **settings(petstore, auth=wrong_key))
    step = result.failed_step
    assert step is not None and step.step_id == "getPet" and step.excerpt is not None
    assert ("X-API-Key", "***") in step.excerpt.request_headers
    token_step = result.steps[0].excerpt
    assert token_step is not None and '"token": "***"' in (token_step.response_body or "")
    listed = result.steps[1].excerpt
    assert listed is not None and dict(listed.request_headers)["Authorization"] == "Bearer ***"
    assert "wrong-api-key-123" not in result.explain()
    assert "wrong-api-key-123" not in repr(result)


def test_step_result_dict_shape_is_unchanged(petstore: str) -> None:
    result = arazzo_runner.run(PETSTORE, inputs=GOOD, **settings(petstore))
    keys = set(result.to_dict()["steps"][0])
    assert keys == {
        "stepId",
        "workflowId",
        "status",
        "statusCode",
        "attempts",
        "durationMs",
        "failures",
        "outputs",
        "request",
    }


def test_step_budget_stops_a_goto_loop() -> None:
    with serve(make_flow_app()) as url:
        result = arazzo_runner.run(
            ROOT / "workflows" / "control-flow.arazzo.yaml",
            "endless-loop",
            servers={"flow": url},
            env={},
            max_steps=4,
        )
    assert not result.passed and result.cause == "budget"
    assert len(result.steps) == 4 and "step budget of 4" in (result.error or "")


# -- injected HTTP ----------------------------------------------------------------------------


def test_injected_client_is_used_and_left_open(petstore: str) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]}) as client:
        result = arazzo_runner.run(PETSTORE, inputs=GOOD, **settings(petstore, client=client))
        assert result.passed and not client.is_closed
    assert seen == ["/login", "/pets", "/pets/1"]


class CountingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.paths: list[str] = []
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


def test_injected_transport_is_used_for_every_run_and_never_closed(petstore: str) -> None:
    transport = CountingTransport()
    runner = arazzo_runner.Runner(transport=transport, **settings(petstore))
    assert runner.run(PETSTORE, inputs=GOOD).passed
    assert runner.run(PETSTORE, inputs=GOOD).passed
    assert transport.paths == ["/login", "/pets", "/pets/1"] * 2
    assert not transport.closed
    transport.close()


def test_client_and_transport_together_are_refused() -> None:
    with httpx.Client() as client, pytest.raises(ValueError, match="not both"):
        arazzo_runner.Runner(client=client, transport=httpx.HTTPTransport())


# -- streams ----------------------------------------------------------------------------------


def stream_run(app: Starlette, consumer: Any, **extra: Any) -> arazzo_runner.RunResult:
    with serve(app) as url:
        return arazzo_runner.run(
            FAL,
            inputs={"modelOwner": "fal-ai", "modelName": "any-llm", "input": {"prompt": "hi"}},
            servers={"falModelApis": url},
            env={"FAL_KEY": "fal-test-key-123"},
            stream_consumer=consumer,
            timeout=20,
            **extra,
        )


def test_stream_consumer_gets_the_open_event_stream() -> None:
    app = make_fal_app("finite", interval_ms=1)
    got: list[tuple[str, Any, list[Any]]] = []

    def consumer(step_id: str, stream: arazzo_runner.EventStream) -> None:
        got.append((step_id, stream, [event.json() for event in stream]))

    result = stream_run(app, consumer)
    assert result.passed
    [(step_id, stream, events)] = got
    assert step_id == "openStream" and isinstance(stream, arazzo_runner.EventStream)
    assert events[-1]["partial"] is False and len(events) == stream.events_received
    assert stream.closed and app.state.fal.completed.wait(5)
    excerpt = result.steps[0].excerpt
    assert excerpt is not None and excerpt.streamed and excerpt.response_body is None
    assert dict(excerpt.request_headers)["Authorization"] == "Key ***"


def test_a_consumer_that_stops_early_disconnects_the_stream() -> None:
    app = make_fal_app("endless", interval_ms=5)
    firsts: list[str] = []

    def consumer(step_id: str, stream: arazzo_runner.EventStream) -> None:
        for event in stream:
            firsts.append(event.data)
            if len(firsts) == 2:
                break

    assert stream_run(app, consumer).passed
    assert len(firsts) == 2 and app.state.fal.disconnected.wait(5)


# -- async ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_arun_runs_the_engine_in_a_worker_thread(petstore: str) -> None:
    threads: list[threading.Thread] = []

    class Hook(CountingTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            threads.append(threading.current_thread())
            return super().handle_request(request)

    transport = Hook()
    result = await arazzo_runner.arun(
        PETSTORE, inputs=GOOD, **settings(petstore, transport=transport)
    )
    assert result.passed and result.outputs["petName"] == "Fido"
    assert threads and threading.main_thread() not in threads
    runner = arazzo_runner.Runner(**settings(petstore))
    workspace = await runner.aload(PETSTORE)
    assert (await runner.arun(workspace, "login-list-get", GOOD)).passed
    assert not [d for d in await arazzo_runner.avalidate(PETSTORE) if d.severity.value == "error"]
    transport.close()


@pytest.mark.anyio
async def test_arun_raises_the_same_errors(petstore: str) -> None:
    with pytest.raises(arazzo_runner.InputError):
        await arazzo_runner.arun(PETSTORE, inputs={}, **settings(petstore))
    with pytest.raises(arazzo_runner.ValidationFailed):
        await arazzo_runner.aload(ROOT / "tests" / "data" / "validate" / "goto-missing.arazzo.yaml")


def test_known_secrets_are_masked_in_criterion_reasons(petstore: str, tmp_path: Path) -> None:
    document = tmp_path / "leaky.arazzo.yaml"
    description = ROOT / "openapi" / "petstore.openapi.yaml"
    document.write_text(
        "arazzo: 1.0.1\n"
        "info: {title: leaky, version: 1.0.0}\n"
        "sourceDescriptions:\n"
        f"  - {{name: petstore, url: '{description}', type: openapi}}\n"
        "workflows:\n"
        "  - workflowId: leak\n"
        "    steps:\n"
        "      - stepId: getPet\n"
        "        operationId: getPetById\n"
        "        parameters: [{name: petId, in: path, value: 1}]\n"
        "        successCriteria:\n"
        "          - condition: $request.header.X-API-Key == 'something-else'\n",
        encoding="utf-8",
    )
    result = arazzo_runner.run(document, **settings(petstore))
    step = result.failed_step
    assert step is not None and step.status_code == 200
    assert "***" in step.failures[0].reason
    assert API_KEY["apiKeyAuth"] not in result.explain() + str(result.to_dict())
