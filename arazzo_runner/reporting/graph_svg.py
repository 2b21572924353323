"""A :class:`~.graph.Graph` drawn as SVG by this package, for the HTML report (no Graphviz).

The layout is fixed and simple, which suits Arazzo's mostly sequential steps: one column per
workflow (start, steps in document order, ``end``, ``failed``), the default order as straight
arrows down the column, success actions as arcs on the right of it, failure actions on the
left, a retry of the step itself as a loop; calls, ``goto`` a workflow and ``dependsOn`` cross
to another column. ``status`` colours each step by the outcome of its last attempt (``passed``,
``failed``, ``error``; absent: not run). Every text is XML-escaped; an edge's full label is
its ``<title>`` (a tooltip) and its name is written beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from arazzo_runner.reporting.graph import Graph, GraphEdge, GraphNode
from arazzo_runner.reporting.graph_text import edge_text

__all__ = ["STATUS_FILL", "render_graph_svg"]

NODE_W, NODE_H, ROW, SIDE, GAP, TOP, PAD = 200, 38, 62, 150, 20, 34, 12
COLUMN = SIDE + NODE_W + SIDE + GAP
STATUS_FILL = {
    "passed": ("#dcfce7", "#16a34a"),
    "failed": ("#fee2e2", "#dc2626"),
    "error": ("#ffedd5", "#ea580c"),
    None: ("#f8fafc", "#94a3b8"),
}
_KIND_FILL = {
    "start": ("#e2e8f0", "#475569"),
    "end": ("#dcfce7", "#16a34a"),
    "failed": ("#fee2e2", "#dc2626"),
    "external": ("#fef9c3", "#a16207"),
}
_KIND_NAME = {"call": "calls", "depends": "dependsOn"}
_EDGE_COLOUR = {"success": "#16a34a", "failure": "#dc2626", None: "#64748b"}


@dataclass(frozen=True)
class _Box:
    x: float  # left
    y: float  # top

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def bottom(self) -> float:
        return self.y + NODE_H

    @property
    def right(self) -> float:
        return self.x + NODE_W


def _layout(graph: Graph) -> dict[str, _Box]:
    boxes: dict[str, _Box] = {}
    for column, (_, ids) in enumerate(graph.clusters):
        for row, node_id in enumerate(ids):
            boxes[node_id] = _Box(PAD + SIDE + column * COLUMN, TOP + row * ROW)
    clustered = set(boxes)
    extra = [n for n in graph.nodes if n.id not in clustered]
    for row, node in enumerate(extra):
        boxes[node.id] = _Box(PAD + SIDE + len(graph.clusters) * COLUMN, TOP + row * ROW)
    return boxes


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _node(node: GraphNode, box: _Box, status: Mapping[tuple[str, str], str], uid: str) -> str:
    if node.kind == "step":
        state = status.get((node.workflow_id, node.step_id or ""))
        fill, stroke = STATUS_FILL.get(state, STATUS_FILL[None])
        css = f"node step {state or 'notrun'}"
    else:
        fill, stroke = _KIND_FILL[node.kind]
        css = f"node {node.kind}"
    radius = NODE_H / 2 if node.kind != "step" else 6
    lines = node.label.splitlines() or [""]
    title = escape(" ".join(lines))
    parts = [
        f'<g class="{css}" id="{uid}-{node.id}"><title>{title}</title>',
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{NODE_W}" height="{NODE_H}"'
        f' rx="{radius:.0f}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>',
    ]
    if len(lines) == 1:
        parts.append(_text(box.cx, box.y + 24, lines[0], 12, bold=True))
    else:
        parts.append(_text(box.cx, box.y + 16, lines[0], 12, bold=True))
        parts.append(_text(box.cx, box.y + 31, lines[1], 10, colour="#475569"))
    parts.append("</g>")
    return "".join(parts)


def _text(
    x: float, y: float, text: str, size: int, *, bold: bool = False, colour: str = "#0f172a"
) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="middle"{weight}'
        f' fill="{colour}">{escape(_cut(text, 30))}</text>'
    )


def _path(edge: GraphEdge, a: _Box, b: _Box) -> tuple[str, float, float, str]:
    """The path, where its label goes, and the label's anchor."""
    if a.x != b.x:  # another column
        sx, tx = (a.right, b.x) if b.x > a.x else (a.x, b.right)
        sy, ty = a.y + NODE_H / 2, b.y + NODE_H / 2
        mid = (sx + tx) / 2
        path = f"M{sx:.0f},{sy:.0f} C{mid:.0f},{sy:.0f} {mid:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
        return path, mid, (sy + ty) / 2 - 4, "middle"
    if edge.kind == "next":
        path = f"M{a.cx:.0f},{a.bottom:.0f} L{b.cx:.0f},{b.y:.0f}"
        return path, a.cx + 6, (a.bottom + b.y) / 2, "start"
    if edge.source == edge.target:  # a retry of the step itself: a loop on the left
        x, y = a.x, a.y + NODE_H / 2
        path = (
            f"M{x:.0f},{y - 9:.0f} C{x - 46:.0f},{y - 30:.0f} {x - 46:.0f},{y + 30:.0f}"
            f" {x:.0f},{y + 9:.0f}"
        )
        return path, x - 38, y + 4, "end"
    right = edge.outcome == "success"
    x = a.right if right else a.x
    span = abs(b.y - a.y) / ROW
    reach = min(20 + 12 * span, SIDE - 20)
    bend = x + reach if right else x - reach
    sy, ty = a.y + NODE_H / 2 - 6, b.y + NODE_H / 2 + 6
    path = f"M{x:.0f},{sy:.0f} C{bend:.0f},{sy:.0f} {bend:.0f},{ty:.0f} {x:.0f},{ty:.0f}"
    apex = x + 0.75 * (bend - x)
    return path, apex + (3 if right else -3), (sy + ty) / 2, "start" if right else "end"


def _edge(edge: GraphEdge, boxes: Mapping[str, _Box], named: bool, uid: str) -> str:
    """One edge; ``named``: write its name beside it (once per action and target)."""
    a, b = boxes[edge.source], boxes[edge.target]
    path, lx, ly, anchor = _path(edge, a, b)
    colour = _EDGE_COLOUR[edge.outcome if edge.kind != "next" else None]
    dashed = edge.outcome == "failure" or edge.kind in _KIND_NAME
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    width = "2" if edge.outcome else "1.3"
    marker = edge.outcome or "plain"
    out = [
        f'<g class="edge {edge.kind} {edge.outcome or "order"}">'
        f"<title>{escape(edge_text(edge))}</title>",
        f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}'
        f' marker-end="url(#{uid}-{marker})"/>',
    ]
    name = edge.action or _KIND_NAME.get(edge.kind, "")
    if name and named:
        out.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="10" text-anchor="{anchor}"'
            f' fill="{colour}">{escape(_cut(f"{edge.kind} {name}", 24))}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _markers(uid: str) -> str:
    shapes = []
    for key, colour in (("success", "#16a34a"), ("failure", "#dc2626"), ("plain", "#64748b")):
        shapes.append(
            f'<marker id="{uid}-{key}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
            f' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"'
            f' fill="{colour}"/></marker>'
        )
    return "<defs>" + "".join(shapes) + "</defs>"


def render_graph_svg(
    graph: Graph, status: Mapping[tuple[str, str], str] | None = None, *, uid: str = "g"
) -> str:
    """An ``<svg>`` element (no XML declaration), to put inline in HTML. ``status`` maps
    ``(workflowId, stepId)`` to ``passed``/``failed``/``error``; ``uid`` prefixes its ids."""
    status = status or {}
    boxes = _layout(graph)
    width = max((b.right for b in boxes.values()), default=NODE_W) + SIDE + PAD
    height = max((b.bottom for b in boxes.values()), default=NODE_H) + PAD + 10
    titles = [
        _text(
            PAD + SIDE + i * COLUMN + NODE_W / 2, 18, workflow_id, 12, bold=True, colour="#334155"
        )
        for i, (workflow_id, _) in enumerate(graph.clusters)
    ]
    named: set[tuple[str, str | None, str]] = set()
    edges = []
    for edge in graph.edges:
        key = (edge.kind, edge.action, edge.target)
        edges.append(_edge(edge, boxes, key not in named, uid))
        named.add(key)
    nodes = [_node(n, boxes[n.id], status, uid) for n in graph.nodes]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}"'
        f' height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}"'
        ' font-family="system-ui, sans-serif" role="img">'
        + _markers(uid)
        + "".join(titles)
        + "".join(edges)
        + "".join(nodes)
        + "</svg>"
    )
