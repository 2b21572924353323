"""Control flow: which step runs next. No HTTP here (the executor is injected).

Behaviour follows ``spec/arazzo-notes.md``: steps run in order unless an action redirects; all
``successCriteria`` must pass (none given: a 2xx status); the first action whose criteria pass
runs (step actions first, then workflow-level ones the step did not override by name); ``retry``
re-runs the step after ``Retry-After`` (header) or ``retryAfter`` seconds up to ``retryLimit``
times (one when absent), then the next matching failure action applies; no matching failure
action ends the workflow as failed. ``dependsOn`` workflows run first, once per run. A global
step budget and an optional overall deadline bound every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner.document import Action, ArazzoDocument, Step, Workflow
from arazzo_runner.engine.actions import choose, judge, with_inputs
from arazzo_runner.engine.async_step import AsyncExecutor, AsyncSteps
from arazzo_runner.engine.order import unmet_dependency
from arazzo_runner.engine.port import Exchange, StepExecutor, StepListener, StreamConsumer
from arazzo_runner.engine.scope import Compiler, Scope
from arazzo_runner.engine.values import build_call, workflow_inputs
from arazzo_runner.errors import InputError, RunError, RunTimeout, Terminated
from arazzo_runner.expressions import ExpressionContext
from arazzo_runner.results import PARTIAL_ATTRIBUTE, Failure, RunResult, StepResult
from arazzo_runner.settings import RunSettings

__all__ = ["Engine", "RunLimits"]


@dataclass(frozen=True, slots=True)
class RunLimits:
    """What bounds a run: the run's settings (budget, deadline) and the engine's own limits.

    ``due`` is the deadline on the engine's clock when the caller fixed it already (the runner
    does, so the engine and the wire count down from the same instant); otherwise the run's
    start plus ``settings.timeout``."""

    settings: RunSettings = RunSettings()
    due: float | None = None
    max_depth: int = 32  # nested workflow calls
    max_retry_delay: float = 300.0

    @property
    def max_steps(self) -> int:
        return self.settings.max_steps

    @property
    def timeout(self) -> float | None:
        return self.settings.timeout


class _Stop(Exception):
    """Ends the whole run early (budget or deadline), carrying the reason."""

    def __init__(self, reason: str, cause: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause


@dataclass
class _Run:
    started: float
    deadline: float | None
    executed: int = 0
    steps: list[StepResult] = field(default_factory=list)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    cause: str | None = None


@dataclass
class _Outcome:
    passed: bool
    outputs: dict[str, Any]
    ended_by: str | None = None
    error: str | None = None
    last_status: int | None = None
    transferred: bool = False


class Engine:
    """Runs workflows of one workspace with an injected :class:`StepExecutor`."""

    def __init__(
        self,
        workspace: Any,
        executor: StepExecutor,
        *,
        limits: RunLimits | None = None,
        stream_consumer: StreamConsumer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        listener: StepListener | None = None,
        async_executor: AsyncExecutor | None = None,
    ) -> None:
        self.workspace = workspace
        self.listener = listener
        self.executor = executor
        self.limits = limits or RunLimits()
        self.stream_consumer = stream_consumer
        self.clock = clock
        self.sleep = sleep
        self.compiler = Compiler()
        self.async_steps = AsyncSteps(async_executor, self.compiler, clock)

    def run(self, workflow_id: str, inputs: Mapping[str, Any]) -> RunResult:
        doc = self.workspace.root
        workflow = doc.workflow(workflow_id) if doc is not None else None
        if workflow is None:
            raise InputError(f"no workflow {workflow_id!r} in this document")
        start = self.clock()
        due = self.limits.due if self.limits.due is not None else self.limits.settings.due(start)
        run = _Run(start, due)
        try:
            outcome = self._workflow(doc, workflow, dict(inputs), run, depth=0)
        except KeyboardInterrupt as interrupt:
            cause = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
            partial = self._interrupted(workflow_id, run, start, cause)
            setattr(interrupt, PARTIAL_ATTRIBUTE, partial)
            raise
        except _Stop as stop:
            run.cause = stop.cause
            outcome = _Outcome(False, {}, error=stop.reason)
        result = RunResult(
            workflow_id=workflow_id,
            status="passed" if outcome.passed else "failed",
            outputs=outcome.outputs,
            steps=run.steps,
            error=outcome.error,
            duration_ms=(self.clock() - start) * 1000,
            ended_by=outcome.ended_by,
            cause=None if outcome.passed else run.cause,
        )
        return result

    def _interrupted(self, workflow_id: str, run: _Run, start: float, cause: str) -> RunResult:
        """The run so far; the step that was running when the interrupt came is an error."""
        if run.steps and run.steps[-1].status == "passed":
            run.steps[-1].status = "error"
        if run.steps:
            run.steps[-1].failures.append(Failure("interrupted (Ctrl-C or SIGTERM)"))
        return RunResult(
            workflow_id=workflow_id,
            status="failed",
            steps=run.steps,
            error="interrupted before the workflow finished",
            duration_ms=(self.clock() - start) * 1000,
            cause=cause,
        )

    # -- workflows -----------------------------------------------------------------------

    def _workflow(
        self, doc: ArazzoDocument, wf: Workflow, inputs: dict[str, Any], run: _Run, depth: int
    ) -> _Outcome:
        if depth > self.limits.max_depth:
            return _Outcome(
                False, {}, error=f"workflows nested deeper than {self.limits.max_depth}"
            )
        scope = Scope(self.workspace, doc, wf, inputs, run.workflows)
        failed = self._dependencies(doc, wf, inputs, run, depth)
        outcome = _Outcome(False, {}, error=failed) if failed else self._steps(scope, run, depth)
        own = scope.evaluate_outputs(self.compiler, wf.outputs, outcome.error)
        run.workflows[wf.workflow_id] = {"inputs": inputs, "outputs": own}
        if not outcome.transferred:  # after a goto to a workflow, the target's outputs count
            outcome.outputs = own
        return outcome

    def _dependencies(
        self, doc: ArazzoDocument, wf: Workflow, inputs: dict[str, Any], run: _Run, depth: int
    ) -> str | None:
        """Run each dependency not run yet (once per run); the first failure's message."""
        for ref in wf.depends_on:
            found = self.workspace.find_workflow(doc, ref)
            if found is None:
                return f"dependsOn: no workflow {ref!r}"
            if found[1].workflow_id in run.workflows:
                continue
            dep_doc, dep = found
            outcome = self._workflow(dep_doc, dep, _inputs_for(dep, inputs), run, depth + 1)
            if not outcome.passed:
                return f"dependency {dep.workflow_id} failed: {outcome.error or 'failed'}"
        return None

    def _steps(self, scope: Scope, run: _Run, depth: int) -> _Outcome:
        steps = scope.workflow.steps
        index, last_status = 0, None
        while index < len(steps):
            step = steps[index]
            result, action, inputs = self._step_with_actions(scope, step, run, depth)
            last_status = result.status_code if result.status_code is not None else last_status
            if action is None:
                if result.status != "passed":
                    return _Outcome(False, {}, error=_first_reason(result), last_status=last_status)
                index += 1
                continue
            result.action = f"{action.type}:{action.name}"
            if action.type == "end":
                passed = result.status == "passed"
                error = None if passed else f"ended by {action.name}: {_first_reason(result)}"
                return _Outcome(passed, {}, action.name, error, last_status)
            if action.workflow_id is not None:
                return self._goto_workflow(scope, action, run, depth, inputs)
            index = _step_index(steps, action.step_id)
        return _Outcome(True, {}, last_status=last_status)

    def _goto_workflow(
        self,
        scope: Scope,
        action: Action,
        run: _Run,
        depth: int,
        inputs: dict[str, Any] | None = None,
    ) -> _Outcome:
        """To the action's workflow, with the action's ``parameters`` (1.1) as its inputs when
        it has any, else the current inputs the target's schema names."""
        found = self.workspace.find_workflow(scope.document, action.workflow_id)
        if found is None:
            return _Outcome(False, {}, error=f"goto: no workflow {action.workflow_id!r}")
        doc, target = found
        given = _inputs_for(target, scope.inputs) if inputs is None else inputs
        outcome = self._workflow(doc, target, given, run, depth + 1)
        outcome.ended_by = outcome.ended_by or f"goto {target.workflow_id}"
        outcome.transferred = True
        return outcome

    # -- one step and its actions ----------------------------------------------------------

    def _step_with_actions(
        self, scope: Scope, step: Step, run: _Run, depth: int
    ) -> tuple[StepResult, Action | None, dict[str, Any] | None]:
        """The step's last result, the action chosen, and that action's workflow inputs."""
        used: dict[str, int] = {}
        attempts, waited = 0, 0.0
        while True:
            attempts += 1
            result, ctx, exchange = self._attempt(scope, step, run, depth)
            result.attempts, result.waited_ms = attempts, waited * 1000
            try:
                if result.status == "passed":
                    seen = len(exchange.findings) if exchange is not None else 0
                    problem = self._hand_over_stream(step, exchange)
                    if exchange is not None:
                        _apply_findings(result, exchange.findings[seen:])
                    if problem is None and result.status == "passed":
                        action = choose(
                            self.compiler,
                            scope,
                            step,
                            ctx,
                            success=True,
                            used=used,
                            notes=result.notes,
                        )
                        return with_inputs(self.compiler, scope, result, action, ctx)
                    result.status = "failed"
                    if problem is not None:
                        result.failures.append(Failure(problem, source="stream"))
                action = choose(
                    self.compiler, scope, step, ctx, success=False, used=used, notes=result.notes
                )
            finally:
                if exchange is not None:
                    exchange.close()
                    if exchange.figures is not None:  # an event stream: how it arrived
                        result.stream = exchange.figures()
                self._finished(result)
            if action is None or action.type != "retry":
                return with_inputs(self.compiler, scope, result, action, ctx)
            inputs = with_inputs(self.compiler, scope, result, action, ctx)[2]
            waited = self._before_retry(scope, action, exchange, run, depth, inputs)

    def _attempt(
        self, scope: Scope, step: Step, run: _Run, depth: int
    ) -> tuple[StepResult, ExpressionContext, Exchange | None]:
        self._charge(run)
        started = self.clock()
        result = StepResult(step.step_id, scope.workflow.workflow_id, "passed")
        result.started_ms = (started - run.started) * 1000
        run.steps.append(result)
        if self.listener is not None:
            self.listener.step_started(result.workflow_id, result.step_id)
        unmet = unmet_dependency(step, scope.workflow.workflow_id, run.steps)
        if unmet is not None:
            ctx, exchange = scope.context(), None
            result.status = "error"
            result.failures.append(Failure(unmet))
        elif step.target_kind == "async":  # 1.1 send/receive (engine.async_step)
            ctx, run.cause = self.async_steps.run(scope, step, run.deadline, result)
            exchange = None
        elif step.workflow_id is not None:
            ctx, exchange = self._call_workflow(scope, step, run, depth, result), None
        else:
            ctx, exchange = self._call_operation(scope, step, result)
            run.cause = _cause(exchange)
        if result.status == "passed":
            judge(self.compiler, step, ctx, exchange, result)
        if exchange is not None and exchange.findings and exchange.status_code is not None:
            _apply_findings(result, exchange.findings)  # after the criteria: theirs come first
        if result.status != "error":  # a failed step's outputs still read its response
            result.outputs = scope.evaluate_step_outputs(self.compiler, step, ctx, result)
        result.duration_ms = (self.clock() - started) * 1000
        return result, ctx, exchange

    def _call_operation(
        self, scope: Scope, step: Step, result: StepResult
    ) -> tuple[ExpressionContext, Exchange | None]:
        ctx = scope.context()
        try:
            call = build_call(scope, self.compiler, step, ctx, result.notes)
            exchange = self.executor.execute(call)
        except InputError as exc:
            result.status = "error"
            result.failures.append(Failure(str(exc)))
            return ctx, None
        result.notes.extend(exchange.notes)
        result.method, result.url = exchange.method, exchange.url
        result.status_code, result.events = exchange.status_code, exchange.events
        if exchange.error is not None:
            result.status = "error"
            result.failures.append(Failure(str(exchange.error)))
        elif exchange.failure is not None:
            result.status = "failed"
            result.failures.append(Failure(exchange.failure))
        if exchange.findings and exchange.status_code is None:
            _apply_findings(result, exchange.findings)  # a request the checks did not send
        return scope.response_context(ctx, exchange), exchange

    def _call_workflow(
        self, scope: Scope, step: Step, run: _Run, depth: int, result: StepResult
    ) -> ExpressionContext:
        ctx = scope.context()
        found = self.workspace.find_workflow(scope.document, step.workflow_id)
        if found is None:
            result.status = "error"
            result.failures.append(Failure(f"no workflow {step.workflow_id!r}"))
            return ctx
        doc, target = found
        try:
            inputs = workflow_inputs(scope, self.compiler, step, ctx, result.notes)
        except InputError as exc:
            result.status = "error"
            result.failures.append(Failure(str(exc)))
            return ctx
        outcome = self._workflow(doc, target, inputs, run, depth + 1)
        result.status_code = outcome.last_status
        if not outcome.passed:
            result.status = "failed"
            result.failures.append(
                Failure(outcome.error or f"workflow {target.workflow_id} failed")
            )
        return scope.workflow_call_context(ctx, outcome.outputs, outcome.last_status)

    def _before_retry(
        self,
        scope: Scope,
        action: Action,
        exchange: Exchange | None,
        run: _Run,
        depth: int,
        inputs: dict[str, Any] | None = None,
    ) -> float:
        """Wait as the retry says, run the step or workflow it names first; the seconds waited."""
        header = exchange.retry_after if exchange is not None else None
        delay = header if header is not None else (action.retry_after or 0.0)
        delay = min(max(delay, 0.0), self.limits.max_retry_delay)
        if run.deadline is not None and self.clock() + delay > run.deadline:
            raise _Stop(f"retry after {delay:g}s would pass the run deadline", "timeout")
        if delay:
            self.sleep(delay)
        if action.workflow_id is not None:
            self._goto_workflow(scope, action, run, depth, inputs)
        elif action.step_id is not None:
            target = scope.workflow.step(action.step_id)
            if target is not None:
                result, _, exchange = self._attempt(scope, target, run, depth)
                if exchange is not None:
                    exchange.close()
                self._finished(result)
        return delay

    def _finished(self, result: StepResult) -> None:
        if self.listener is not None:
            self.listener.step_finished(result)

    def _hand_over_stream(self, step: Step, exchange: Exchange | None) -> str | None:
        """Give the open stream to the consumer; what it reports wrong (if anything) fails
        the step."""
        if exchange is None or exchange.stream is None or self.stream_consumer is None:
            return None
        return self.stream_consumer(step.step_id, exchange.stream)

    def _charge(self, run: _Run) -> None:
        run.executed += 1
        if run.executed > self.limits.max_steps:
            raise _Stop(
                f"step budget of {self.limits.max_steps} exhausted (a goto loop?); "
                "raise it with --max-steps",
                "budget",
            )
        if run.deadline is not None and self.clock() > run.deadline:
            raise _Stop(f"run deadline of {self.limits.timeout:g}s passed", "timeout")


def _apply_findings(result: StepResult, findings: list[Failure]) -> None:
    """The description checks' findings: an ``error`` fails the step, a ``warn`` is kept."""
    for finding in findings:
        if finding.severity == "error":
            if result.status == "passed":
                result.status = "failed"
            result.failures.append(finding)
        else:
            result.warnings.append(finding)


def _cause(exchange: Exchange | None) -> str | None:
    """Why the latest request got no answer (``None`` when it got one)."""
    error = exchange.error if exchange is not None else None
    if not isinstance(error, RunError):
        return None
    return "timeout" if isinstance(error, RunTimeout) else "transport"


def _inputs_for(workflow: Workflow, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's inputs, filtered to what the target's inputs schema names (if it names any)."""
    schema = workflow.inputs or {}
    names = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(names, Mapping):
        return dict(inputs)
    return {k: v for k, v in inputs.items() if k in names}


def _step_index(steps: tuple[Step, ...], step_id: str | None) -> int:
    for i, step in enumerate(steps):
        if step.step_id == step_id:
            return i
    raise _Stop(f"goto: no step {step_id!r} in this workflow", "document")


def _first_reason(result: StepResult) -> str:
    """The first reason, and the server's own word on it when it gave one (the last reason)."""
    reasons = [f.reason for f in result.failures]
    reason = reasons[0] if reasons else "failed"
    if (
        len(reasons) > 1
        and result.failures[-1].condition is None
        and reasons[-1].startswith("HTTP ")
    ):
        reason = f"{reason}; {reasons[-1]}"
    return f"step {result.step_id} failed: {reason}"
