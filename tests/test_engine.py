"""Control flow of the engine, with a scripted fake executor (no HTTP).

Each test writes a small Arazzo document next to a tiny OpenAPI file, opens it as a real
workspace, and runs it with :class:`FakeExecutor`, which answers each step from a script of
``(status, body, headers)`` responses and records the order of calls.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.document.workspace import Workspace, open_workspace
from arazzo_runner.engine.flow import Engine, RunLimits
from arazzo_runner.engine.port import Exchange, OperationCall
from arazzo_runner.errors import InputError, TransportError
from arazzo_runner.results import RunResult
from arazzo_runner.settings import RunSettings

OPENAPI = """\
openapi: 3.1.0
info: {title: fake, version: '1'}
paths:
  /op:
    get:
      operationId: op
      responses: {'200': {description: ok}}
"""

Response = tuple[int, Any, Mapping[str, str]] | tuple[int, Any] | int | Exception


class FakeExecutor:
    """Answers step ``id`` with the next scripted response (the last one repeats)."""

    def __init__(self, script: Mapping[str, list[Response]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.calls: list[str] = []
        self.received: list[OperationCall] = []
        self.closed = 0

    def execute(self, call: OperationCall) -> Exchange:
        step_id = call.step.step_id
        self.calls.append(step_id)
        self.received.append(call)
        queue = self.script.get(step_id, [200])
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        exchange = Exchange("get", f"http://fake/{step_id}", closer=self._close)
        if isinstance(answer, Exception):
            exchange.error = TransportError(str(answer))
            return exchange
        status, body, headers = _unpack(answer)
        exchange.status_code, exchange.response_body = status, body
        exchange.response_headers = dict(headers)
        if "Retry-After" in headers:
            exchange.retry_after = float(headers["Retry-After"])
        return exchange

    def _close(self) -> None:
        self.closed += 1


def _unpack(answer: Any) -> tuple[int, Any, Mapping[str, str]]:
    if isinstance(answer, int):
        return answer, {"code": answer}, {}
    if len(answer) == 2:
        return answer[0], answer[1], {}
    return answer[0], answer[1], answer[2]


class Clock:
    """A fake monotonic clock; ``sleep`` advances it and records the delay."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def workspace(tmp_path: Path, workflows: str, components: str = "") -> Workspace:
    (tmp_path / "api.yaml").write_text(OPENAPI)
    text = textwrap.dedent(
        """\
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions:
          - {name: api, url: api.yaml, type: openapi}
        """
    )
    text += (
        textwrap.dedent(components)
        + "workflows:\n"
        + textwrap.indent(textwrap.dedent(workflows), "  ")
    )
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text)
    ws = open_workspace(str(path))
    assert ws.root is not None, ws.diagnostics
    return ws


def run(
    ws: Workspace,
    script: Mapping[str, list[Response]],
    workflow_id: str = "main",
    inputs: Mapping[str, Any] | None = None,
    **limits: Any,
) -> tuple[RunResult, FakeExecutor, Clock]:
    fake, clock = FakeExecutor(script), Clock()
    given = {k: limits.pop(k) for k in ("max_steps", "timeout") if k in limits}
    run_limits = RunLimits(RunSettings(**given), **limits)
    engine = Engine(ws, fake, limits=run_limits, clock=clock, sleep=clock.sleep)
    return engine.run(workflow_id, inputs or {}), fake, clock


def step(step_id: str, extra: str = "") -> str:
    """A step calling ``op`` that succeeds on 200; ``extra`` is more YAML for the step."""
    body = f"- stepId: {step_id}\n  operationId: op\n  successCriteria:\n"
    body += "    - condition: $statusCode == 200\n"
    return body + textwrap.indent(textwrap.dedent(extra), "  ")


def flow(*steps: str, extra: str = "", wid: str = "main") -> str:
    text = f"- workflowId: {wid}\n" + textwrap.indent(textwrap.dedent(extra), "  ")
    return text + "  steps:\n" + "".join(textwrap.indent(s, "    ") for s in steps)


# -- order and first-match -----------------------------------------------------------------


def test_steps_run_in_order_and_outputs_flow(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        flow(
            step("a", "outputs:\n  code: $response.body#/code\n"),
            step("b", "parameters:\n  - {name: x, in: query, value: $steps.a.outputs.code}\n"),
            extra="outputs:\n  first: $steps.a.outputs.code\n",
        ),
    )
    result, fake, _ = run(ws, {})
    assert result.passed and result.exit_code == 0
    assert fake.calls == ["a", "b"]
    assert fake.received[1].parameters == (("x", "query", 200),)
    assert result.outputs == {"first": 200}
    assert fake.closed == 2  # every exchange is released


def test_first_matching_success_action_wins(tmp_path: Path) -> None:
    actions = """\
        onSuccess:
          - {name: never, type: end, criteria: [{condition: $statusCode == 201}]}
          - {name: jump, type: goto, stepId: c}
          - {name: later, type: end}
        """
    ws = workspace(tmp_path, flow(step("a", actions), step("b"), step("c")))
    result, fake, _ = run(ws, {})
    assert fake.calls == ["a", "c"]
    assert result.passed
    assert result.steps[0].action == "goto:jump"


def test_workflow_level_actions_merged_by_name(tmp_path: Path) -> None:
    wf_actions = """\
        failureActions:
          - {name: toC, type: goto, stepId: c}
          - {name: stop, type: end}
        """
    own = "onFailure:\n  - {name: toC, type: goto, stepId: d}\n"
    ws = workspace(
        tmp_path,
        flow(step("a"), step("b", own), step("c"), step("d"), extra=wf_actions),
    )
    # a fails: it has no own actions, so the workflow-level toC applies.
    result, fake, _ = run(ws, {"a": [500], "c": [200], "b": [500]})
    assert fake.calls == ["a", "c", "d"]
    assert result.passed
    # b's own toC (-> d) overrides the workflow's toC (-> c); stop still applies after it.
    result, fake, _ = run(ws, {"a": [200], "b": [500]})
    assert fake.calls == ["a", "b", "d"]


def test_workflow_level_action_cannot_be_removed(tmp_path: Path) -> None:
    wf_actions = "failureActions:\n  - {name: stop, type: end}\n"
    own = """\
        onFailure:
          - name: other
            type: goto
            stepId: b
            criteria: [{condition: $statusCode == 404}]
        """
    ws = workspace(tmp_path, flow(step("a", own), step("b"), extra=wf_actions))
    result, fake, _ = run(ws, {"a": [500]})
    assert fake.calls == ["a"]
    assert not result.passed
    assert result.ended_by == "stop"


# -- retry -----------------------------------------------------------------------------------


def test_retry_exhaustion_then_next_failure_action(tmp_path: Path) -> None:
    own = """\
        onFailure:
          - {name: again, type: retry, retryAfter: 0.5, retryLimit: 2}
          - {name: fallback, type: goto, stepId: c}
        """
    ws = workspace(tmp_path, flow(step("a", own), step("b"), step("c")))
    result, fake, clock = run(ws, {"a": [503]})
    assert fake.calls == ["a", "a", "a", "c"]
    assert clock.sleeps == [0.5, 0.5]
    assert result.passed
    assert [s.attempts for s in result.steps[:3]] == [1, 2, 3]


def test_retry_default_limit_is_one_and_zero_means_none(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        flow(step("a", "onFailure:\n  - {name: r, type: retry}\n"))
        + flow(step("z", "onFailure:\n  - {name: r, type: retry, retryLimit: 0}\n"), wid="zero"),
    )
    result, fake, clock = run(ws, {"a": [503]})
    assert fake.calls == ["a", "a"] and not result.passed
    assert clock.sleeps == []  # retryAfter absent: retry at once
    result, fake, _ = run(ws, {"z": [503]}, workflow_id="zero")
    assert fake.calls == ["z"] and not result.passed


def test_retry_after_header_wins_and_is_capped(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: r, type: retry, retryAfter: 5, retryLimit: 2}\n"
    ws = workspace(tmp_path, flow(step("a", own)))
    script: dict[str, list[Response]] = {
        "a": [(503, None, {"Retry-After": "0.25"}), (503, None, {"Retry-After": "9999"}), 200]
    }
    fake, clock = FakeExecutor(script), Clock()
    limits = RunLimits(max_retry_delay=10)
    result = Engine(ws, fake, limits=limits, clock=clock, sleep=clock.sleep).run("main", {})
    assert result.passed
    assert clock.sleeps == [0.25, 10]


def test_retry_target_step_runs_first(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: r, type: retry, stepId: refresh, retryLimit: 1}\n"
    ws = workspace(
        tmp_path,
        flow(step("refresh", "outputs:\n  n: $response.body#/n\n"), step("call", own)),
    )
    result, fake, _ = run(ws, {"call": [401, 200], "refresh": [(200, {"n": 1}), (200, {"n": 2})]})
    assert fake.calls == ["refresh", "call", "refresh", "call"]
    assert result.passed
    # the refreshed step's new outputs replace the old ones
    assert [s.outputs for s in result.steps if s.step_id == "refresh"] == [{"n": 1}, {"n": 2}]


def test_retry_target_workflow_runs_first(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: r, type: retry, workflowId: login, retryLimit: 1}\n"
    ws = workspace(tmp_path, flow(step("call", own)) + flow(step("auth"), wid="login"))
    result, fake, _ = run(ws, {"call": [401, 200]})
    assert fake.calls == ["call", "auth", "call"]
    assert result.passed and result.workflow_id == "main"


def test_action_criteria_see_the_response(tmp_path: Path) -> None:
    own = """\
        onFailure:
          - name: busy
            type: retry
            retryLimit: 5
            criteria: [{condition: $response.body#/busy == true}]
        """
    ws = workspace(tmp_path, flow(step("a", own)))
    result, fake, _ = run(ws, {"a": [(503, {"busy": True}), (503, {"busy": False})]})
    assert fake.calls == ["a", "a"]  # the second answer no longer matches the retry criteria
    assert not result.passed


# -- end, failure, outputs -------------------------------------------------------------------


def test_end_after_failure_reports_failed(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: giveUp, type: end}\n"
    ws = workspace(
        tmp_path,
        flow(
            step("a", "outputs:\n  code: $statusCode\n"),
            step("b", own),
            step("c"),
            extra="outputs:\n  a: $steps.a.outputs.code\n  c: $steps.c.outputs.x\n",
        ),
    )
    result, fake, _ = run(ws, {"b": [500]})
    assert fake.calls == ["a", "b"]
    assert result.status == "failed" and result.exit_code == 1
    assert result.ended_by == "giveUp"
    # outputs after a failure: whatever resolves
    assert result.outputs == {"a": 200}


def test_end_on_success_passes(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path, flow(step("a", "onSuccess:\n  - {name: done, type: end}\n"), step("b"))
    )
    result, fake, _ = run(ws, {})
    assert fake.calls == ["a"] and result.passed and result.ended_by == "done"


def test_failure_without_action_breaks(tmp_path: Path) -> None:
    ws = workspace(tmp_path, flow(step("a"), step("b")))
    result, fake, _ = run(ws, {"a": [404]})
    assert fake.calls == ["a"]
    assert not result.passed and result.exit_code == 1
    assert result.failed_step is not None and result.failed_step.step_id == "a"
    assert result.error is not None and "a" in result.error


def test_default_success_is_2xx(tmp_path: Path) -> None:
    plain = "- stepId: a\n  operationId: op\n"
    ws = workspace(tmp_path, flow(plain))
    assert run(ws, {"a": [204]})[0].passed
    result = run(ws, {"a": [302]})[0]
    assert not result.passed
    assert result.steps[0].failures[0].condition == "2xx (default)"


def test_transport_error_is_exit_3(tmp_path: Path) -> None:
    ws = workspace(tmp_path, flow(step("a")))
    result, _, _ = run(ws, {"a": [ConnectionRefusedError("refused")]})
    assert result.status == "failed" and result.cause == "transport" and result.exit_code == 3
    assert result.steps[0].status == "error" and result.steps[0].status_code is None


# -- budget, deadline, goto loops ----------------------------------------------------------


def test_step_budget_stops_goto_loop(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path, flow(step("a", "onSuccess:\n  - {name: loop, type: goto, stepId: a}\n"))
    )
    result, fake, _ = run(ws, {}, max_steps=7)
    assert len(fake.calls) == 7
    assert not result.passed and result.cause == "budget" and result.exit_code == 1
    assert result.error is not None and "step budget of 7" in result.error


def test_deadline_stops_the_run(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: r, type: retry, retryAfter: 4, retryLimit: 10}\n"
    ws = workspace(tmp_path, flow(step("a", own)))
    result, fake, clock = run(ws, {"a": [503]}, timeout=10)
    assert fake.calls == ["a", "a", "a"]  # 0 s, 4 s, 8 s; the next wait would pass 10 s
    assert clock.sleeps == [4, 4]
    assert result.cause == "timeout" and result.exit_code == 3


def test_goto_unknown_step_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # validation rejects this before a run; the engine still refuses it without raising
    ws = workspace(
        tmp_path, flow(step("a", "onSuccess:\n  - {name: bad, type: goto, stepId: nope}\n"))
    )
    result, fake, _ = run(ws, {})
    assert fake.calls == ["a"]
    assert not result.passed and result.error is not None and "nope" in result.error


# -- nested workflows, dependsOn, recursion ----------------------------------------------------


def test_goto_workflow_skips_rest_and_returns_target_outputs(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        flow(step("a", "onSuccess:\n  - {name: go, type: goto, workflowId: other}\n"), step("b"))
        + flow(
            step("x", "outputs:\n  code: $statusCode\n"),
            wid="other",
            extra="outputs:\n  code: $steps.x.outputs.code\n",
        ),
    )
    result, fake, _ = run(ws, {})
    assert fake.calls == ["a", "x"]
    assert result.passed and result.outputs == {"code": 200}


def test_nested_workflow_step_outputs_and_inputs(tmp_path: Path) -> None:
    caller = """\
        - stepId: call
          workflowId: child
          parameters:
            - {name: item, value: $inputs.item}
          outputs:
            got: $outputs.echoed
        """
    child = step("c", "parameters:\n  - {name: q, in: query, value: $inputs.item}\n")
    ws = workspace(
        tmp_path,
        flow(
            textwrap.dedent(caller),
            extra="outputs:\n  got: $steps.call.outputs.got\n"
            "  seen: $workflows.child.inputs.item\n",
        )
        + flow(child, wid="child", extra="outputs:\n  echoed: $inputs.item\n"),
    )
    result, fake, _ = run(ws, {}, inputs={"item": "mug"})
    assert fake.received[0].parameters == (("q", "query", "mug"),)
    assert result.passed
    assert result.outputs == {"got": "mug", "seen": "mug"}
    assert [s.step_id for s in result.steps] == ["call", "c"]


def test_nested_workflow_failure_fails_the_step(tmp_path: Path) -> None:
    caller = "- stepId: call\n  workflowId: child\n"
    ws = workspace(tmp_path, flow(caller) + flow(step("c"), wid="child"))
    result, fake, _ = run(ws, {"c": [500]})
    assert not result.passed
    call = next(s for s in result.steps if s.step_id == "call")
    assert call.status == "failed"


def test_depends_on_runs_once(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        flow(
            step("m", "parameters:\n  - {name: n, in: query, value: $workflows.dep.outputs.n}\n"),
            extra="dependsOn: [dep, mid]\n",
        )
        + flow(step("mm"), wid="mid", extra="dependsOn: [dep]\n")
        + flow(
            step("d", "outputs:\n  n: $response.body#/code\n"),
            wid="dep",
            extra="outputs:\n  n: $steps.d.outputs.n\n",
        ),
    )
    result, fake, _ = run(ws, {})
    assert fake.calls == ["d", "mm", "m"]
    assert fake.received[-1].parameters == (("n", "query", 200),)
    assert result.passed


def test_recursion_depth_is_bounded(tmp_path: Path) -> None:
    ws = workspace(tmp_path, flow("- stepId: self\n  workflowId: main\n"))
    result, fake, _ = run(ws, {}, max_depth=5)
    assert fake.calls == []
    assert not result.passed
    assert result.error is not None and "deeper than 5" in result.error


def test_unknown_workflow_is_an_input_error(tmp_path: Path) -> None:
    ws = workspace(tmp_path, flow(step("a")))
    with pytest.raises(InputError):
        run(ws, {}, workflow_id="missing")


def test_failed_dependency_fails_the_dependent(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path, flow(step("m"), extra="dependsOn: [dep]\n") + flow(step("d"), wid="dep")
    )
    result, fake, _ = run(ws, {"d": [500]})
    assert fake.calls == ["d"]
    assert not result.passed and result.error is not None and "dependency dep" in result.error


def test_transport_error_then_recovery_then_plain_failure_is_exit_1(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: r, type: retry, retryLimit: 1}\n"
    ws = workspace(tmp_path, flow(step("a", own), step("b")))
    result, fake, _ = run(ws, {"a": [ConnectionResetError("reset"), 200], "b": [500]})
    assert fake.calls == ["a", "a", "b"]
    assert result.cause is None and result.exit_code == 1


def test_failed_step_outputs_are_still_evaluated(tmp_path: Path) -> None:
    own = "onFailure:\n  - {name: on, type: goto, stepId: b}\n"
    ws = workspace(
        tmp_path,
        flow(
            step("a", own + "outputs:\n  code: $statusCode\n"),
            step("b"),
            extra="outputs:\n  first: $steps.a.outputs.code\n",
        ),
    )
    result, fake, _ = run(ws, {"a": [404]})
    assert fake.calls == ["a", "b"] and result.passed
    assert result.outputs == {"first": 404}
