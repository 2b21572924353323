"""A :class:`~.graph.Graph` as Mermaid or Graphviz dot text (``arazzo graph --format``).

Both draw the same picture: a box per step (id and operation), a cluster per workflow with its
start and its two ends (``end`` green, ``failed`` red); the default order in grey; success
actions thick and green, failure actions dashed and red; nested workflow calls and
``dependsOn`` dashed grey. Every edge but the default order carries a label that starts with
its kind (``goto``, ``retry``, ``end``, ``calls``, ``dependsOn``) and then the action's name and
shortened criteria. Text from the document is escaped for each format (Mermaid entity codes,
dot's quoted strings), so an id or condition cannot break out of its label.
"""

from __future__ import annotations

from collections.abc import Callable

from arazzo_runner.reporting.graph import Graph, GraphEdge, GraphNode

__all__ = ["GRAPH_FORMATS", "RENDERERS", "edge_text", "render_graph", "to_dot", "to_mermaid"]

SUCCESS, FAILURE, MUTED = "#16a34a", "#dc2626", "#64748b"
_KIND_WORD = {"call": "calls", "depends": "dependsOn"}


def edge_text(edge: GraphEdge) -> str:
    """The label: kind first (``goto notFound [$statusCode == 404]``); none for ``next``."""
    if edge.kind == "next":
        return ""
    word = _KIND_WORD.get(edge.kind, edge.kind)
    return f"{word} {edge.label}" if edge.label else word


# -- Mermaid -------------------------------------------------------------------------------

_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    "&": "#38;",
}
_MERMAID_SHAPES = {
    "start": ('(["', '"])'),
    "step": ('["', '"]'),
    "end": ('(("', '"))'),
    "failed": ('(("', '"))'),
    "external": ('[/"', '"/]'),
}
_MERMAID_CLASSES = {
    "start": "fill:#e2e8f0,stroke:#475569",
    "end": f"fill:#dcfce7,stroke:{SUCCESS}",
    "failed": f"fill:#fee2e2,stroke:{FAILURE}",
    "external": "fill:#fef9c3,stroke:#a16207",
}


def _mermaid_text(text: str) -> str:
    escaped = "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text)
    return "<br/>".join(escaped.splitlines()) or " "


def _mermaid_node(node: GraphNode) -> str:
    left, right = _MERMAID_SHAPES[node.kind]
    return f"{node.id}{left}{_mermaid_text(node.label)}{right}"


def _mermaid_arrow(edge: GraphEdge) -> str:
    if edge.kind == "next":
        return "-->"
    if edge.outcome == "success":
        return "==>"
    return "-.->"


def _mermaid_edge(edge: GraphEdge) -> str:
    text = edge_text(edge)
    label = f'|"{_mermaid_text(text)}"|' if text else ""
    return f"  {edge.source} {_mermaid_arrow(edge)}{label} {edge.target}"


def to_mermaid(graph: Graph) -> str:
    """``flowchart TD`` text; renders on GitHub and in most documentation tools."""
    lines = ["flowchart TD"]
    clustered = {node_id for _, ids in graph.clusters for node_id in ids}
    for index, (workflow_id, ids) in enumerate(graph.clusters):
        lines.append(f'  subgraph c{index}["{_mermaid_text(workflow_id)}"]')
        lines += [f"    {_mermaid_node(graph.node(node_id))}" for node_id in ids]
        lines.append("  end")
    lines += [f"  {_mermaid_node(n)}" for n in graph.nodes if n.id not in clustered]
    lines += [_mermaid_edge(edge) for edge in graph.edges]
    styles: dict[str, list[str]] = {"success": [], "failure": [], "muted": []}
    for index, edge in enumerate(graph.edges):
        group = edge.outcome if edge.outcome and edge.kind != "next" else "muted"
        styles[group].append(str(index))
    colours = {"success": SUCCESS, "failure": FAILURE, "muted": MUTED}
    for key, indexes in styles.items():
        if indexes:
            width = "1px" if key == "muted" else "2px"
            lines.append(
                f"  linkStyle {','.join(indexes)} stroke:{colours[key]},stroke-width:{width}"
            )
    for kind, style in _MERMAID_CLASSES.items():
        members = [n.id for n in graph.nodes if n.kind == kind]
        if members:
            lines.append(f"  classDef {kind}Node {style}")
            lines.append(f"  class {','.join(members)} {kind}Node")
    return "\n".join(lines) + "\n"


# -- Graphviz dot --------------------------------------------------------------------------

_DOT_NODES = {
    "start": 'shape=oval, fillcolor="#e2e8f0"',
    "step": "",
    "end": f'shape=circle, fillcolor="#dcfce7", color="{SUCCESS}"',
    "failed": f'shape=circle, fillcolor="#fee2e2", color="{FAILURE}"',
    "external": 'shape=parallelogram, fillcolor="#fef9c3", color="#a16207"',
}


def _dot_string(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "\\n".join(body.splitlines()) + '"'


def _dot_node(node: GraphNode) -> str:
    extra = _DOT_NODES[node.kind]
    attrs = f"label={_dot_string(node.label)}" + (f", {extra}" if extra else "")
    return f"{_dot_string(node.id)} [{attrs}];"


def _dot_edge(edge: GraphEdge) -> str:
    attrs: list[str] = []
    text = edge_text(edge)
    if text:
        attrs.append(f"label={_dot_string(text)}")
    if edge.kind == "next":
        pass
    elif edge.outcome == "success":
        attrs.append(f'color="{SUCCESS}", fontcolor="{SUCCESS}", penwidth=2')
    elif edge.outcome == "failure":
        attrs.append(f'color="{FAILURE}", fontcolor="{FAILURE}", style=dashed, penwidth=2')
    else:
        attrs.append("style=dashed")
    tail = f" [{', '.join(attrs)}]" if attrs else ""
    return f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)}{tail};"


def to_dot(graph: Graph) -> str:
    """A ``digraph``, for Graphviz (``dot -Tsvg``, ``-Tpng``...)."""
    lines = [
        'digraph "arazzo" {',
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.4];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f8fafc", color="#475569",'
        ' fontname="Helvetica", fontsize=11];',
        f'  edge [fontname="Helvetica", fontsize=9, color="{MUTED}", fontcolor="{MUTED}"];',
    ]
    clustered = {node_id for _, ids in graph.clusters for node_id in ids}
    for index, (workflow_id, ids) in enumerate(graph.clusters):
        lines.append(f'  subgraph "cluster_{index}" {{')
        lines.append(f'    label={_dot_string(workflow_id)}; color="#cbd5e1";')
        lines += [f"    {_dot_node(graph.node(node_id))}" for node_id in ids]
        lines.append("  }")
    lines += [f"  {_dot_node(n)}" for n in graph.nodes if n.id not in clustered]
    lines += [_dot_edge(edge) for edge in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Graph], str]] = {"mermaid": to_mermaid, "dot": to_dot}
"""Text formats of ``arazzo graph`` (``svg`` is dot's text through Graphviz)."""
GRAPH_FORMATS = tuple(RENDERERS)


def render_graph(graph: Graph, fmt: str) -> str:
    """``graph`` as ``fmt`` text (a key of :data:`RENDERERS`)."""
    return RENDERERS[fmt](graph)
