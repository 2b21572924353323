"""The shape of a workflow as a graph: steps as nodes, default order and actions as edges.

:func:`document_graph` turns an Arazzo document (every workflow, or one and the workflows it
reaches) into a :class:`Graph`, plain data that the renderers draw (:mod:`.graph_text` writes
Mermaid and Graphviz dot, :mod:`.graph_svg` draws an SVG for the HTML report):

* one ``step`` node per step, labelled with the step id and its operation (``operationId``,
  ``operationPath`` or ``workflowId``), in document order;
* a ``start`` node per workflow and its two ends, ``end`` (passed) and ``failed`` (drawn only
  when an ``end`` failure action leads there);
* ``next`` edges for the default order (the last step's goes to ``end``), one edge per action:
  the step's own, then the workflow-level ones it does not override by name, ``$components``
  references resolved (``goto`` to a step or a workflow's start, ``retry`` back to the step or
  to the step it names, ``end`` to ``end``/``failed``), labelled with the action's name and its
  criteria, shortened; ``call`` edges from a step that runs a workflow to that workflow's start;
  ``depends`` edges from each ``dependsOn`` workflow to the workflow that needs it.

Node ids are made here (``w0``, ``w0_s2``, ``w0_end``), never taken from the document, so any
id a document uses is safe in every output format; labels carry the document's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from arazzo_runner.document import Action, ArazzoDocument, Reusable, Step, Workflow

__all__ = ["Graph", "GraphEdge", "GraphNode", "document_graph", "shorten"]

NodeKind = Literal["start", "step", "end", "failed", "external"]
EdgeKind = Literal["next", "goto", "retry", "end", "call", "depends"]
Outcome = Literal["success", "failure"]

LABEL_LIMIT = 48
_TABLES = {"success": "successActions", "failure": "failureActions"}
_OUTCOMES: tuple[Outcome, Outcome] = ("success", "failure")


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    label: str
    kind: NodeKind
    workflow_id: str
    step_id: str | None = None
    operation: str | None = None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    kind: EdgeKind
    outcome: Outcome | None = None
    label: str = ""
    action: str | None = None  # the action's name (goto/retry/end edges)


@dataclass(slots=True)
class Graph:
    """Nodes grouped by workflow (``clusters``: workflow id and its node ids), then edges."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    clusters: list[tuple[str, list[str]]] = field(default_factory=list)

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def document_graph(document: ArazzoDocument, workflow_id: str | None = None) -> Graph:
    """Every workflow of ``document``; with ``workflow_id``, that one and the ones it reaches
    (calls, ``goto`` a workflow, ``dependsOn``), in document order."""
    chosen = _reachable(document, workflow_id) if workflow_id else list(document.workflows)
    builder = _Builder(document, {wf.workflow_id: f"w{i}" for i, wf in enumerate(chosen)})
    for workflow in chosen:
        builder.add_workflow(workflow)
    return _without_unused_failed(builder.graph)


def _without_unused_failed(graph: Graph) -> Graph:
    """Drop the ``failed`` end of a workflow no action ends in (nothing points at it)."""
    targets = {edge.target for edge in graph.edges}
    unused = {n.id for n in graph.nodes if n.kind == "failed" and n.id not in targets}
    graph.nodes = [n for n in graph.nodes if n.id not in unused]
    graph.clusters = [(wf, [i for i in ids if i not in unused]) for wf, ids in graph.clusters]
    return graph


def _reachable(document: ArazzoDocument, workflow_id: str) -> list[Workflow]:
    by_id = {wf.workflow_id: wf for wf in document.workflows}
    seen, todo = {workflow_id}, [workflow_id]
    while todo:
        workflow = by_id.get(todo.pop())
        for ref in _references(document, workflow) if workflow else ():
            if ref in by_id and ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return [wf for wf in document.workflows if wf.workflow_id in seen]


def _references(document: ArazzoDocument, workflow: Workflow) -> Iterable[str]:
    yield from (_local_id(ref) for ref in workflow.depends_on)
    for step in workflow.steps:
        if step.workflow_id:
            yield _local_id(step.workflow_id)
        for outcome in ("success", "failure"):
            for action in step_actions(document, workflow, step, outcome):
                if action.workflow_id:
                    yield _local_id(action.workflow_id)


def _local_id(ref: str) -> str:
    """A workflow reference's id: ``$sourceDescriptions.x.id`` names ``id`` in another file."""
    return ref.rsplit(".", 1)[-1] if ref.startswith("$sourceDescriptions.") else ref


def step_actions(
    document: ArazzoDocument, workflow: Workflow, step: Step, outcome: str
) -> list[Action]:
    """What the engine tries after ``step`` (``outcome`` success or failure), in order."""
    own = step.on_success if outcome == "success" else step.on_failure
    shared = workflow.success_actions if outcome == "success" else workflow.failure_actions
    actions = [a for a in (_resolve(document, item, outcome) for item in own) if a]
    names = {a.name for a in actions}
    for item in shared:
        action = _resolve(document, item, outcome)
        if action is not None and action.name not in names:
            actions.append(action)
    return actions


def _resolve(document: ArazzoDocument, item: Action | Reusable, outcome: str) -> Action | None:
    if isinstance(item, Action):
        return item
    prefix = f"$components.{_TABLES[outcome]}."
    if not item.reference.startswith(prefix) or document.components is None:
        return None
    table = (
        document.components.success_actions
        if outcome == "success"
        else document.components.failure_actions
    )
    return table.get(item.reference[len(prefix) :])


def operation_of(step: Step) -> str:
    """What a step runs: its operationId, operationPath or ``workflow <id>``."""
    if step.operation_id:
        return step.operation_id
    if step.operation_path:
        return step.operation_path
    return f"workflow {step.workflow_id}" if step.workflow_id else "?"


def criteria_text(action: Action) -> str:
    return " && ".join(c.condition for c in action.criteria)


def action_label(action: Action) -> str:
    """``name [criteria]``, with the retry limit and wait; shortened."""
    parts = [action.name]
    if action.type == "retry":
        limit = 1 if action.retry_limit is None else action.retry_limit
        wait = f", {action.retry_after:g}s" if action.retry_after else ""
        parts.append(f"(retry max {limit}{wait})")
    criteria = criteria_text(action)
    if criteria:
        parts.append(f"[{criteria}]")
    return shorten(" ".join(parts))


class _Builder:
    def __init__(self, document: ArazzoDocument, prefixes: dict[str, str]) -> None:
        self.document = document
        self.prefixes = prefixes
        self.graph = Graph()
        self._external: dict[str, str] = {}

    def add_workflow(self, workflow: Workflow) -> None:
        prefix = self.prefixes[workflow.workflow_id]
        wid = workflow.workflow_id
        ids = [f"{prefix}_s{i}" for i in range(len(workflow.steps))]
        start, end, failed = f"{prefix}", f"{prefix}_end", f"{prefix}_failed"
        nodes = [GraphNode(start, wid, "start", wid)]
        for node_id, step in zip(ids, workflow.steps, strict=True):
            label = f"{step.step_id}\n{operation_of(step)}"
            nodes.append(GraphNode(node_id, label, "step", wid, step.step_id, operation_of(step)))
        nodes += [GraphNode(end, "end", "end", wid), GraphNode(failed, "failed", "failed", wid)]
        self.graph.nodes += nodes
        self.graph.clusters.append((wid, [n.id for n in nodes]))
        order = [start, *ids, end]
        self.graph.edges += [
            GraphEdge(a, b, "next") for a, b in zip(order, order[1:], strict=False)
        ]
        by_step = dict(zip((s.step_id for s in workflow.steps), ids, strict=True))
        for node_id, step in zip(ids, workflow.steps, strict=True):
            self._step_edges(workflow, step, node_id, by_step, (end, failed))
        for ref in workflow.depends_on:
            self.graph.edges.append(GraphEdge(self._workflow_node(ref), start, "depends"))

    def _step_edges(
        self,
        workflow: Workflow,
        step: Step,
        node_id: str,
        by_step: dict[str, str],
        ends: tuple[str, str],
    ) -> None:
        if step.workflow_id:
            self.graph.edges.append(
                GraphEdge(node_id, self._workflow_node(step.workflow_id), "call")
            )
        for outcome in _OUTCOMES:
            for action in step_actions(self.document, workflow, step, outcome):
                target = self._target(action, node_id, by_step, ends)
                label = action_label(action)
                edge = GraphEdge(node_id, target, action.type, outcome, label, action.name)
                self.graph.edges.append(edge)

    def _target(
        self, action: Action, node_id: str, by_step: dict[str, str], ends: tuple[str, str]
    ) -> str:
        if action.type == "end":
            return ends[0] if action.kind == "success" else ends[1]
        if action.workflow_id:
            return self._workflow_node(action.workflow_id)
        if action.step_id:
            return by_step.get(action.step_id) or self._external_node(f"step {action.step_id}")
        return node_id  # a retry of the step itself

    def _workflow_node(self, ref: str) -> str:
        local = _local_id(ref)
        if ref == local and local in self.prefixes:
            return self.prefixes[local]
        return self._external_node(f"workflow {ref}")

    def _external_node(self, label: str) -> str:
        if label not in self._external:
            node_id = f"x{len(self._external)}"
            self._external[label] = node_id
            self.graph.nodes.append(GraphNode(node_id, label, "external", ""))
        return self._external[label]
