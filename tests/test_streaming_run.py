"""``Runner.stream``: a run's stream events iterated by the caller, against a real SSE app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

import arazzo_runner
from tests.support.apps import make_fal_app
from tests.support.asgi_server import serve

FAL = Path(__file__).resolve().parents[1] / "workflows" / "fal-ai-stream-inference-workflow.yml"
INPUTS = {"modelOwner": "fal-ai", "modelName": "any-llm", "input": {"prompt": "hi"}}


def _runner(url: str, **extra: Any) -> arazzo_runner.Runner:
    return arazzo_runner.Runner(
        servers={"falModelApis": url}, env={"FAL_KEY": "fal-test-key-123"}, timeout=20, **extra
    )


@pytest.fixture
def finite() -> Iterator[tuple[Starlette, str]]:
    app = make_fal_app("finite", interval_ms=1)
    with serve(app) as url:
        yield app, url


def test_events_are_iterated_then_the_result_is_there(finite: tuple[Starlette, str]) -> None:
    app, url = finite
    with _runner(url).stream(FAL, inputs=INPUTS) as run:
        pairs = [(step_id, event.json()) for step_id, event in run]
    assert {step_id for step_id, _ in pairs} == {"openStream"}
    assert pairs[-1][1]["partial"] is False and all(p[1]["partial"] for p in pairs[:-1])
    result = run.result
    assert result.passed and result.steps[0].step_id == "openStream"
    assert app.state.fal.completed.wait(5)


def test_leaving_the_loop_early_disconnects_and_the_run_ends() -> None:
    app = make_fal_app("endless", interval_ms=5)
    with serve(app) as url:
        with _runner(url).stream(FAL, inputs=INPUTS) as run:
            seen = []
            for _, event in run:
                seen.append(event.data)
                if len(seen) == 3:
                    break
        assert run.result.passed
        assert len(seen) == 3 and app.state.fal.disconnected.wait(5)


def test_a_run_that_cannot_start_raises_from_the_loop(finite: tuple[Starlette, str]) -> None:
    _, url = finite
    run = _runner(url).stream(FAL, inputs={"modelOwner": "fal-ai"})
    with pytest.raises(arazzo_runner.InputError, match="modelName"):
        list(run)
    with pytest.raises(arazzo_runner.InputError):
        _ = run.result


def test_the_runner_keeps_its_own_consumer(finite: tuple[Starlette, str]) -> None:
    _, url = finite
    calls: list[str] = []
    runner = _runner(url, stream_consumer=lambda step_id, stream: calls.append(step_id))
    with runner.stream(FAL, inputs=INPUTS) as run:
        assert len(list(run)) > 1
    assert runner.run(FAL, inputs=INPUTS).passed
    assert calls == ["openStream"]


@pytest.mark.parametrize(
    ("interrupt", "code"), [(KeyboardInterrupt, 130), (arazzo_runner.Terminated, 143)]
)
def test_an_interrupt_carries_the_partial_result(
    finite: tuple[Starlette, str], interrupt: type[BaseException], code: int
) -> None:
    _, url = finite

    def consumer(step_id: str, stream: Any) -> None:
        next(iter(stream))
        raise interrupt

    with pytest.raises(KeyboardInterrupt) as info:
        _runner(url, stream_consumer=consumer).run(FAL, inputs=INPUTS)
    partial = arazzo_runner.results.partial_result(info.value)
    assert partial is not None and partial.exit_code == code
    [step] = partial.steps
    assert step.status == "error" and step.failures[-1].reason.startswith("interrupted")
    assert step.excerpt is not None  # the runner attached its excerpt, as for a finished run
