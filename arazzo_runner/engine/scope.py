"""What one workflow execution can see, and the engine's compile cache.

:class:`Scope` holds a workflow's inputs and the outputs of its steps so far, builds the
:class:`~arazzo_runner.expressions.ExpressionContext` for each phase of a step, resolves
Reusable objects against the *workflow's own document* (D39), and merges workflow-level
parameters and actions into a step's (step wins by (name, in) / by name; nothing is removed).

:class:`Compiler` compiles every value and criterion once, keyed by the model object that holds
it, so a step that runs a thousand times parses its expressions once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.criteria import CompiledCriterion, compile_criterion
from arazzo_runner.document import (
    Action,
    ArazzoDocument,
    Criterion,
    Parameter,
    Reusable,
    Step,
    Workflow,
    document_identity,
    input_names,
)
from arazzo_runner.engine.port import Exchange
from arazzo_runner.engine.selectors import special
from arazzo_runner.engine.source_values import SourceValues
from arazzo_runner.errors import InputError
from arazzo_runner.expressions import (
    CompiledValue,
    ExpressionContext,
    Gap,
    Message,
    compile_value,
)
from arazzo_runner.results import Failure, StepResult

__all__ = ["Compiler", "Scope", "merge_actions", "merge_parameters"]


class Compiler:
    """Compile-once caches for values, criteria and resolved Reusable objects."""

    def __init__(self) -> None:
        self._values: dict[tuple[int, str], CompiledValue] = {}
        self._criteria: dict[int, CompiledCriterion] = {}
        self._shared: dict[tuple[Any, ...], CompiledCriterion] = {}
        self.resolved: dict[int, Any] = {}
        self._keep: list[Any] = []  # owners stay alive while their id() keys are in use

    def value(self, owner: Any, name: str, raw: Any) -> CompiledValue:
        key = (id(owner), name)
        compiled = self._values.get(key)
        if compiled is None:
            compiled = compile_value(raw, special=special)
            self._values[key] = compiled
            self._keep.append(owner)
        return compiled

    def criterion(self, criterion: Criterion) -> CompiledCriterion:
        """Compiled once per criterion; criteria that read the same (a hundred steps checking
        ``$statusCode == 200``) share one compiled check, which depends on nothing else."""
        compiled = self._criteria.get(id(criterion))
        if compiled is None:
            key = (
                criterion.type,
                criterion.condition,
                criterion.context,
                criterion.version,
                criterion.rules,
            )
            shareable = all(map(_text_or_none, key))
            compiled = self._shared.get(key) if shareable else None
            if compiled is None:
                compiled = compile_criterion(criterion)  # what raises is not kept
                if shareable:
                    self._shared[key] = compiled
            self._criteria[id(criterion)] = compiled
            self._keep.append(criterion)
        return compiled


# Literal values that are never expressions (a string may be one, so strings are compiled)
_NON_TEXT_SCALARS = frozenset({int, float, bool, type(None)})


def _text_or_none(part: Any) -> bool:
    return part is None or type(part) is str


class Scope:
    """One execution of one workflow."""

    def __init__(
        self,
        workspace: Any,
        document: ArazzoDocument,
        workflow: Workflow,
        inputs: Mapping[str, Any],
        workflows: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.workspace = workspace
        self.document = document
        self.workflow = workflow
        self.inputs = inputs
        self.steps: dict[str, dict[str, Any]] = {}
        self.workflows = workflows
        self._base = ExpressionContext(
            inputs=inputs,
            steps=self.steps,
            workflows=workflows,
            source_descriptions=_source_map(workspace, document),
            components=_components_map(document),
            self_uri=document_identity(document),
        )

        self._declared = input_names(document, workflow)

    def context(self) -> ExpressionContext:
        return self._base

    def unset_input(self, name: str) -> bool:
        """``name`` (or its first dotted part) is a declared input the caller did not give."""
        first = name if name in self._declared.names else name.split(".", 1)[0]
        return first in self._declared.names and first not in self.inputs

    def response_context(self, ctx: ExpressionContext, exchange: Exchange) -> ExpressionContext:
        request = Message(
            headers=exchange.request_headers,
            query=exchange.request_query,
            path=exchange.request_path,
            body=exchange.request_body,
        )
        response = None
        if exchange.status_code is not None:
            response = Message(headers=exchange.response_headers, body=exchange.response_body)
        return ctx.with_(
            url=exchange.url,
            method=exchange.method.upper(),
            status_code=exchange.status_code,
            request=request,
            response=response,
        )

    def workflow_call_context(
        self, ctx: ExpressionContext, outputs: Mapping[str, Any], last_status: int | None
    ) -> ExpressionContext:
        return ctx.with_(outputs=outputs, status_code=last_status)

    def evaluate(
        self, compiler: Compiler, owner: Any, name: str, raw: Any, ctx: ExpressionContext
    ) -> Any:
        if raw is MISSING:
            return MISSING
        if type(raw) in _NON_TEXT_SCALARS:
            return raw  # what compile_value's LiteralValue would give back
        return compiler.value(owner, name, raw).evaluate(ctx)

    def resolve_value(
        self, compiler: Compiler, owner: Any, name: str, raw: Any, ctx: ExpressionContext
    ) -> tuple[Any, tuple[Gap, ...]]:
        """:meth:`evaluate` plus every part that resolved to nothing."""
        if raw is MISSING:
            return MISSING, ()
        if type(raw) in _NON_TEXT_SCALARS:
            return raw, ()
        return compiler.value(owner, name, raw).resolve(ctx)

    def evaluate_step_outputs(
        self, compiler: Compiler, step: Step, ctx: ExpressionContext, result: StepResult
    ) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for name, raw in step.outputs.items():
            value = self.evaluate(compiler, step, f"outputs.{name}", raw, ctx)
            if value is MISSING:
                result.failures.append(Failure(f"output {name!r} ({raw}) resolved to nothing"))
            outputs[name] = value
        self.steps[step.step_id] = outputs
        return outputs

    def evaluate_outputs(
        self, compiler: Compiler, outputs: Mapping[str, Any], error: str | None
    ) -> dict[str, Any]:
        """Workflow outputs: whatever resolves, also after a failure (notes A3)."""
        ctx = self._base
        values: dict[str, Any] = {}
        for name, raw in outputs.items():
            value = self.evaluate(compiler, self.workflow, f"outputs.{name}", raw, ctx)
            if value is not MISSING or error is None:
                values[name] = value
        return values

    def resolve(self, item: Parameter | Action | Reusable, kind: str) -> Any:
        """A Reusable object's target in this document's components (value override applied)."""
        if not isinstance(item, Reusable):
            return item
        prefix = f"$components.{kind}."
        if not item.reference.startswith(prefix):
            raise InputError(
                f"{item.reference!r} does not point into components.{kind}",
                file=item.loc.file,
                line=item.loc.line,
            )
        key = item.reference[len(prefix) :]
        table = (
            getattr(self.document.components, _ATTR[kind], {}) if self.document.components else {}
        )
        target = table.get(key)
        if target is None:
            raise InputError(f"no components.{kind}.{key}", file=item.loc.file, line=item.loc.line)
        if kind == "parameters" and item.value is not MISSING:
            return dataclasses.replace(target, value=item.value)
        return target


_ATTR = {
    "parameters": "parameters",
    "successActions": "success_actions",
    "failureActions": "failure_actions",
}


def merge_parameters(
    scope: Scope,
    shared: Sequence[Parameter | Reusable],
    own: Sequence[Parameter | Reusable],
    compiler: Compiler | None = None,
) -> list[Parameter]:
    """Workflow parameters overridden by the step's on (name, in); a cached resolution."""
    if len(shared) + len(own) == 1:  # one parameter: nothing to merge (a common step)
        return [_cached(scope, compiler, (*shared, *own)[0], "parameters")]
    merged: dict[tuple[str, str | None], Parameter] = {}
    for item in (*shared, *own):
        param = _cached(scope, compiler, item, "parameters")
        merged[(param.name, param.in_)] = param
    return list(merged.values())


def merge_actions(
    scope: Scope,
    own: Sequence[Action | Reusable],
    shared: Sequence[Action | Reusable],
    kind: str,
    compiler: Compiler | None = None,
) -> list[Action]:
    """The step's actions in order, then workflow-level ones it did not override by name."""
    table = "successActions" if kind == "success" else "failureActions"
    actions = [_cached(scope, compiler, item, table) for item in own]
    names = {a.name for a in actions}
    actions += [
        a for a in (_cached(scope, compiler, i, table) for i in shared) if a.name not in names
    ]
    return actions


def _cached(scope: Scope, compiler: Compiler | None, item: Any, kind: str) -> Any:
    if compiler is None or not isinstance(item, Reusable):
        return scope.resolve(item, kind)
    found = compiler.resolved.get(id(item))
    if found is None:
        found = scope.resolve(item, kind)
        compiler.resolved[id(item)] = found
        compiler._keep.append(item)
    return found


def _source_map(workspace: Any, document: ArazzoDocument) -> dict[str, SourceValues]:
    result: dict[str, SourceValues] = {}
    sources = workspace.sources(document) if workspace is not None else {}
    for source in document.source_descriptions:
        resolved = sources.get(source.name)
        entry: dict[str, Any] = {"url": getattr(resolved, "url", None) or source.url}
        entry["type"] = source.type
        result[source.name] = SourceValues(entry, resolved)
    return result


def _components_map(document: ArazzoDocument) -> dict[str, dict[str, Any]]:
    raw = document.raw.get("components") if isinstance(document.raw, Mapping) else None
    if not isinstance(raw, Mapping):
        return {}
    return {k: dict(v) for k, v in raw.items() if isinstance(v, Mapping)}
