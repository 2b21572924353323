"""What follows a step's request: its success criteria judged, the action chosen, and that
action's 1.1 ``parameters`` evaluated (notes C1-C10, A1-A9).

:func:`judge` applies ``successCriteria`` (none: a 2xx status); :func:`choose` picks the first
matching success or failure action (the step's own first, then the workflow's it did not
override by name), counting retries against ``retryLimit``; :func:`with_inputs` evaluates the
chosen action's ``parameters`` as the inputs of the workflow it goes to.
"""

from __future__ import annotations

__all__ = ["choose", "judge", "with_inputs"]

from typing import Any

from arazzo_runner.document import Action, Step
from arazzo_runner.engine.port import Exchange
from arazzo_runner.engine.scope import Compiler, Scope, merge_actions
from arazzo_runner.engine.values import action_inputs
from arazzo_runner.errors import InputError
from arazzo_runner.expressions import ExpressionContext
from arazzo_runner.results import Failure, StepResult


def judge(
    compiler: Compiler,
    step: Step,
    ctx: ExpressionContext,
    exchange: Exchange | None,
    result: StepResult,
) -> None:
    if not step.success_criteria:
        code = exchange.status_code if exchange is not None else None
        if exchange is not None and (code is None or not 200 <= code < 300):
            result.status = "failed"
            result.failures.append(Failure(f"status {code} is not 2xx", "2xx (default)"))
            if exchange.problem:
                result.failures.append(Failure(exchange.problem, source="response"))
        return
    for criterion in step.success_criteria:
        verdict = compiler.criterion(criterion).evaluate(ctx)
        if not verdict.passed:
            result.status = "failed"
            result.failures.append(Failure(verdict.reason, criterion.condition))
    if result.status == "failed" and exchange is not None and exchange.problem:
        result.failures.append(Failure(exchange.problem, source="response"))


def choose(
    compiler: Compiler,
    scope: Scope,
    step: Step,
    ctx: ExpressionContext,
    *,
    success: bool,
    used: dict[str, int],
    notes: list[str],
) -> Action | None:
    own = step.on_success if success else step.on_failure
    shared = scope.workflow.success_actions if success else scope.workflow.failure_actions
    if not own and not shared:
        return None  # nothing to merge or match (most steps)
    for action in merge_actions(scope, own, shared, "success" if success else "failure", compiler):
        if not _matches(compiler, action, ctx, notes):
            continue
        if action.type == "retry":
            limit = 1 if action.retry_limit is None else action.retry_limit
            if used.get(action.name, 0) >= limit:
                continue
            used[action.name] = used.get(action.name, 0) + 1
        return action
    return None


def _matches(compiler: Compiler, action: Action, ctx: ExpressionContext, notes: list[str]) -> bool:
    """All of the action's criteria pass. In a 1.1 document a criterion that cannot be
    evaluated fails and is reported ("SHOULD log or report the error"): a note says
    which action was not taken and why."""
    for criterion in action.criteria:
        verdict = compiler.criterion(criterion).evaluate(ctx)
        if verdict.passed:
            continue
        if verdict.error and criterion.rules != "1.0":
            notes.append(
                f"action {action.name!r} not taken: its criterion {criterion.condition!r} "
                f"could not be evaluated ({verdict.reason})"
            )
        return False
    return True


def with_inputs(
    compiler: Compiler,
    scope: Scope,
    result: StepResult,
    action: Action | None,
    ctx: ExpressionContext,
) -> tuple[StepResult, Action | None, dict[str, Any] | None]:
    """1.1 action ``parameters``: evaluated in the step's context; one that cannot be
    makes the step an error (and no action is taken)."""
    if action is None or not action.parameters:
        return result, action, None
    try:
        return result, action, action_inputs(scope, compiler, action, ctx, result.notes)
    except InputError as exc:
        result.status = "error"
        result.failures.append(Failure(f"action {action.name}: {exc}"))
        return result, None, None
