"""Semantic rules about what steps, actions and ``dependsOn`` point at (notes O1-O3, D13, D30).

Operations are looked up in the loaded OpenAPI sources (a source that could not be loaded is
already a ``source-unreachable`` warning, and its operations are not checked); workflows in this
document or, written ``$sourceDescriptions.<name>.<workflowId>``, in an Arazzo source.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document import SOURCE_PREFIX, Action, OperationLookup, Step, Workflow
from arazzo_runner.validation.context import RuleContext

__all__ = ["TARGET_RULES"]

_PATH_DIALECTS = {
    "source-without-url": "write '{$sourceDescriptions.<name>.url}#/paths/...'",
    "source-name": "write '{$sourceDescriptions.<name>.url}#/paths/...' (not '<name>#/...')",
    "literal-url": "write '{$sourceDescriptions.<name>.url}#/paths/...' instead of the URL",
    "fragment-only": "name the source: '{$sourceDescriptions.<name>.url}#/paths/...'",
    "bare-path": "write '{$sourceDescriptions.<name>.url}#/paths/<escaped path>/<method>'",
}


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    lowered = [o for o in options if o.lower() == word.lower()]
    best = lowered or close
    return f"did you mean {best[0]!r}? (ids are case-sensitive)" if best else ""


def _operation_problem(step: Step, found: OperationLookup) -> tuple[str, str, str] | None:
    """(code, message, hint) for a lookup that did not find one operation."""
    what = (
        f"operationId {step.operation_id!r}"
        if step.operation_id is not None
        else f"operationPath {step.operation_path!r}"
    )
    if found.status == "ambiguous":
        names = ", ".join(found.candidates)
        hint = f"qualify it: $sourceDescriptions.<name>.{step.operation_id}"
        return "ambiguous-operation", f"{what} is found in several sources ({names})", hint
    if found.status == "unknown-source":
        return (
            "unknown-source",
            f"{what} names a source description that does not exist",
            ("use the name of one of the document's sourceDescriptions"),
        )
    if found.status == "bad-path":
        hint = "write '{$sourceDescriptions.<name>.url}#/paths/<escaped path>/<method>'"
        return "bad-operation-path", f"{what} is not a usable operationPath", hint
    if found.status == "unknown":
        return _unknown_operation(what, step, found)
    return None


def _unknown_operation(what: str, step: Step, found: OperationLookup) -> tuple[str, str, str]:
    source = found.source
    if source is None:
        return (
            "unknown-operation",
            f"{what} is not in any OpenAPI source",
            ("check the operationId against the OpenAPI descriptions"),
        )
    if source.openapi is None:
        return (
            "unknown-operation",
            f"{what}: source {source.name!r} is not an OpenAPI document",
            ("point operationId at an openapi-type source"),
        )
    ids = [op.operation_id for op in source.openapi.operations if op.operation_id]
    hint = ""
    if step.operation_id is not None:
        hint = _suggest(step.operation_id.rsplit(".", 1)[-1], ids)
    message = f"{what} is not in source {source.name!r} ({source.url})"
    return "unknown-operation", message, hint or "check the path, method and source"


def operations(ctx: RuleContext) -> Iterator[Diagnostic]:
    """unknown-operation, ambiguous-operation, unknown-source, bad-operation-path,
    operation-path-item, and the dialect warnings operation-id-dialect,
    operation-path-dialect, unqualified-operation."""
    sources = ctx.ws.sources(ctx.doc).values()
    many_openapi = len([s for s in sources if s.kind == "openapi"]) > 1
    lookups: dict[tuple[str | None, str | None], OperationLookup] = {}
    for _, _, step in ctx.steps():
        if step.target_kind != "operation" or (step.operation_id and step.operation_path):
            continue
        field = "/operationId" if step.operation_id is not None else "/operationPath"
        pointer = step.pointer + field
        target = (step.operation_id, step.operation_path)  # all that the lookup reads
        found = lookups.get(target)
        if found is None:
            found = lookups[target] = ctx.ws.resolve_operation(ctx.doc, step)
        problem = _operation_problem(step, found)
        if problem is not None:
            yield ctx.error(problem[0], problem[1], pointer, problem[2] or None)
        yield from _operation_warnings(ctx, step, found, pointer, many_openapi)


def _operation_warnings(
    ctx: RuleContext, step: Step, found: OperationLookup, pointer: str, many_openapi: bool
) -> Iterator[Diagnostic]:
    """Dialect warnings; ``many_openapi``: the document has more than one OpenAPI source."""
    if found.status == "path-item":
        methods = ", ".join(found.candidates)
        message = f"operationPath {step.operation_path!r} points at a Path Item ({methods})"
        hint = "append the method to the pointer, e.g. .../get"
        several = len(found.candidates) != 1
        yield (ctx.error if several else ctx.warning)("operation-path-item", message, pointer, hint)
    if found.dialect == "source-dot-operation" and found.source is not None:
        bare = (step.operation_id or "").partition(".")[2]
        message = f"operationId {step.operation_id!r} uses the non-standard <source>.<id> form"
        hint = f"write $sourceDescriptions.{found.source.name}.{bare}"
        yield ctx.warning("operation-id-dialect", message, pointer, hint)
    elif found.dialect == "source-name-case" and found.source is not None:
        message = (
            f"operationId {step.operation_id!r} names source {found.source.name!r} in another"
            " case (resolved to it: the spec makes workflowId and stepId case-sensitive and"
            " says nothing of source names)"
        )
        bare = (step.operation_id or "").split(".", 2)[-1]
        hint = f"write $sourceDescriptions.{found.source.name}.{bare}"
        yield ctx.warning("source-name-case", message, pointer, hint)
    elif found.dialect in _PATH_DIALECTS:
        message = f"operationPath {step.operation_path!r} is not in the standard form"
        yield ctx.warning("operation-path-dialect", message, pointer, _PATH_DIALECTS[found.dialect])
    qualified = (step.operation_id or "").startswith(SOURCE_PREFIX)
    plain = found.status == "found" and found.dialect is None and not qualified
    if plain and step.operation_id and many_openapi:
        message = f"operationId {step.operation_id!r} must be qualified: there are several sources"
        hint = f"write $sourceDescriptions.{found.source.name if found.source else '<name>'}."
        yield ctx.warning("unqualified-operation", message, pointer, hint + step.operation_id)


def checks_skipped(ctx: RuleContext) -> Iterator[Diagnostic]:
    """checks-skipped (info): the steps whose source was not loaded (``--offline`` and a
    remote URL, or a URL that could not be read), so their operation, parameters and request
    body were not checked; one per source, at its ``url``."""
    skipped: dict[str, list[str]] = {}
    for _, _, step in ctx.steps():
        if step.target_kind != "operation":
            continue
        found = ctx.ws.resolve_operation(ctx.doc, step)
        if found.status != "unchecked":
            continue
        if found.source is not None:
            names = [found.source.name]
        else:  # an unqualified operationId: any unloaded OpenAPI source may hold it
            loaded = ctx.ws.sources(ctx.doc).values()
            names = [s.name for s in loaded if s.kind == "openapi" and s.openapi is None]
        for name in names:
            skipped.setdefault(name, []).append(step.step_id)
    for name, steps in skipped.items():
        source = ctx.doc.source(name)
        listed = ", ".join(dict.fromkeys(steps))
        message = (
            f"source {name!r} was not loaded: the operations, parameters and bodies of"
            f" steps {listed} are not checked"
        )
        pointer = source.pointer + "/url" if source is not None else "/sourceDescriptions"
        hint = "drop --offline, or fix the url, to check them"
        yield ctx.report(Severity.INFO, "checks-skipped", message, pointer, hint)


def _workflow_problem(ctx: RuleContext, ref: str, pointer: str) -> Iterator[Diagnostic]:
    found = ctx.ws.find_workflow(ctx.doc, ref)
    if found is not None:
        rest = ref[len(SOURCE_PREFIX) :].partition(".")[2] if ref.startswith(SOURCE_PREFIX) else ""
        if rest.startswith("workflows.") and found[1].workflow_id != rest:
            hint = f"write $sourceDescriptions.<name>.{found[1].workflow_id}"
            message = f"workflowId {ref!r} uses the non-standard '.workflows.' form"
            yield ctx.warning("workflow-id-dialect", message, pointer, hint)
        return
    if ref.startswith(SOURCE_PREFIX):
        name = ref[len(SOURCE_PREFIX) :].partition(".")[0]
        source = ctx.ws.sources(ctx.doc).get(name)
        if source is None and ctx.doc.source(name) is None:
            message = f"workflowId {ref!r} names an unknown source description {name!r}"
            yield ctx.error("unknown-source", message, pointer, "check the source name")
            return
        if source is None or source.error is not None or source.kind != "arazzo":
            if source is not None and source.error is None:
                message = f"workflowId {ref!r}: source {name!r} is not an Arazzo document"
                yield ctx.error("unknown-workflow", message, pointer, "use an arazzo-type source")
            return
    known = [w.workflow_id for w in ctx.doc.workflows]
    hint = _suggest(ref, known) or "local workflows are named by their bare workflowId"
    yield ctx.error("unknown-workflow", f"workflow {ref!r} does not exist", pointer, hint)


def _goto(ctx: RuleContext, action: Action, workflow: Workflow | None) -> Iterator[Diagnostic]:
    if (
        action.step_id is not None
        and workflow is not None
        and workflow.step(action.step_id) is None
    ):
        known = [s.step_id for s in workflow.steps]
        hint = _suggest(action.step_id, known) or f"steps: {', '.join(known)}"
        message = (
            f"action {action.name!r} goes to step {action.step_id!r}, which is not in "
            f"workflow {workflow.workflow_id!r}"
        )
        yield ctx.error("unknown-step", message, action.pointer + "/stepId", hint)
    if action.workflow_id is not None:
        yield from _workflow_problem(ctx, action.workflow_id, action.pointer + "/workflowId")


def action_targets(ctx: RuleContext) -> Iterator[Diagnostic]:
    """unknown-step / unknown-workflow for goto and retry targets (notes D30, D33)."""
    for workflow in ctx.doc.workflows:
        lists = [workflow.success_actions, workflow.failure_actions]
        lists += [(*s.on_success, *s.on_failure) for s in workflow.steps]
        for items in lists:
            for item in items:
                if isinstance(item, Action):
                    yield from _goto(ctx, item, workflow)
    components = ctx.doc.components
    if components is not None:
        for action in [*components.success_actions.values(), *components.failure_actions.values()]:
            yield from _goto(ctx, action, None)


def step_workflows(ctx: RuleContext) -> Iterator[Diagnostic]:
    """unknown-workflow for a step's ``workflowId`` (notes W4)."""
    for _, _, step in ctx.steps():
        if step.workflow_id is not None:
            yield from _workflow_problem(ctx, step.workflow_id, step.pointer + "/workflowId")


def depends_on(ctx: RuleContext) -> Iterator[Diagnostic]:
    """unknown-workflow, duplicate-depends-on and dependency-cycle (notes D13, W6)."""
    for workflow in ctx.doc.workflows:
        seen: set[str] = set()
        for index, ref in enumerate(workflow.depends_on):
            pointer = f"{workflow.pointer}/dependsOn/{index}"
            if ref in seen:
                message = f"workflow {workflow.workflow_id!r} lists {ref!r} twice in dependsOn"
                yield ctx.error("duplicate-depends-on", message, pointer, "remove the repeat")
                continue
            seen.add(ref)
            yield from _workflow_problem(ctx, ref, pointer)
    yield from _cycles(ctx)


def _cycles(ctx: RuleContext) -> Iterator[Diagnostic]:
    graph = {
        w.workflow_id: [d for d in w.depends_on if ctx.doc.workflow(d)] for w in ctx.doc.workflows
    }
    reported: set[frozenset[str]] = set()
    for workflow in ctx.doc.workflows:
        cycle = _find_cycle(graph, workflow.workflow_id)
        if cycle and frozenset(cycle) not in reported and cycle[0] == workflow.workflow_id:
            reported.add(frozenset(cycle))
            chain = " -> ".join([*cycle, cycle[0]])
            message = f"dependsOn forms a cycle: {chain}"
            hint = "remove one of the dependencies"
            yield ctx.error("dependency-cycle", message, workflow.pointer + "/dependsOn", hint)


def _find_cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start through ``graph``, found depth-first without recursion."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return path
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


TARGET_RULES = {
    "operations": operations,
    "action-targets": action_targets,
    "step-workflows": step_workflows,
    "depends-on": depends_on,
    "checks-skipped": checks_skipped,
}
