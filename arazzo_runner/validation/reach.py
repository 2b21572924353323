"""Which steps of a workflow can have run before another: the step graph, walked once.

Edges (notes A1-A8): a step goes on to the next one in order (success without an action), to
a ``goto`` step, or through a ``retry`` with a ``stepId`` to that step and back. Actions come
from the step, from the workflow's ``successActions``/``failureActions`` and from Reusable
entries resolved in the document's components. ``end`` and a ``goto`` to a workflow leave the
workflow. Step X can have run before step Y when Y is reachable from X by one edge or more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from arazzo_runner.document import Action, ArazzoDocument, Reusable, Workflow

__all__ = ["may_run_before", "successors"]


def _resolve(doc: ArazzoDocument, items: Iterable[Action | Reusable]) -> Iterable[Action]:
    components = doc.components
    for item in items:
        if isinstance(item, Action):
            yield item
        elif components is not None:
            _, _, key = item.reference.rpartition(".")
            found = components.success_actions.get(key) or components.failure_actions.get(key)
            if found is not None:
                yield found


def successors(doc: ArazzoDocument, workflow: Workflow) -> list[set[int]]:
    """For each step index, the indexes control can go to directly after it."""
    steps = workflow.steps
    index_of = {step.step_id: i for i, step in enumerate(steps)}
    shared = (*workflow.success_actions, *workflow.failure_actions)
    edges: list[set[int]] = [set() for _ in steps]
    for i, step in enumerate(steps):
        if i + 1 < len(steps):
            edges[i].add(i + 1)
        for action in _resolve(doc, (*step.on_success, *step.on_failure, *shared)):
            target = index_of.get(action.step_id or "")
            if target is None or action.workflow_id is not None:
                continue
            edges[i].add(target)
            if action.type == "retry":
                edges[target].add(i)  # the target runs, then the step is tried again
    return edges


def _reachable(edges: Sequence[set[int]], start: int) -> set[int]:
    seen: set[int] = set()
    stack = list(edges[start])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges[node])
    return seen


_GRAPHS: dict[int, tuple[Workflow, list[set[int]]]] = {}


def may_run_before(doc: ArazzoDocument, workflow: Workflow, earlier: int, later: int) -> bool:
    """Whether step ``earlier`` can have finished before step ``later`` starts (the graph is
    built once per workflow: a validation asks once per forward ``$steps`` reference)."""
    cached = _GRAPHS.get(id(workflow))
    if cached is None or cached[0] is not workflow:
        if len(_GRAPHS) > 256:
            _GRAPHS.clear()
        cached = _GRAPHS[id(workflow)] = (workflow, successors(doc, workflow))
    return later in _reachable(cached[1], earlier)
