"""``arazzo graph``: the Mermaid and dot texts are parsed back (by small parsers written here,
not the generator's code) and must hold every step and every action edge of
``workflows/control-flow.arazzo.yaml``, computed from the raw YAML by the engine's rules (the
step's actions, then the workflow-level ones it does not override by name; ``$components``
references resolved). Graphviz's own ``dot`` reads the dot text when it is installed."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import arazzo

ROOT = Path(__file__).resolve().parents[1]
CONTROL_FLOW = ROOT / "workflows" / "control-flow.arazzo.yaml"
HEADLINE = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
Edge = tuple[str, str, str, str]  # (source, kind, action name or "", target), by document names


# -- what the document says, from the raw YAML ----------------------------------------------


def _resolve(doc: dict[str, Any], item: dict[str, Any], table: str) -> dict[str, Any]:
    if "reference" not in item:
        return item
    prefix = f"$components.{table}."
    assert item["reference"].startswith(prefix)
    return dict(doc["components"][table][item["reference"][len(prefix) :]])


def _actions(doc: dict[str, Any], wf: dict[str, Any], step: dict[str, Any], own: str, shared: str):
    table = "successActions" if own == "onSuccess" else "failureActions"
    actions = [_resolve(doc, a, table) for a in step.get(own, [])]
    names = {a["name"] for a in actions}
    actions += [
        a for a in (_resolve(doc, x, table) for x in wf.get(shared, [])) if a["name"] not in names
    ]
    return actions


def expected_edges(doc: dict[str, Any]) -> set[Edge]:
    """Every edge the graph must draw, named as ``workflowId/stepId``, ``workflowId`` (its start),
    ``workflowId:end`` and ``workflowId:failed``."""
    edges: set[Edge] = set()
    for wf in doc["workflows"]:
        wid, steps = wf["workflowId"], wf["steps"]
        order = [wid, *(f"{wid}/{s['stepId']}" for s in steps), f"{wid}:end"]
        edges |= {(a, "next", "", b) for a, b in zip(order, order[1:], strict=False)}
        for step in steps:
            here = f"{wid}/{step['stepId']}"
            for own, shared, end in (
                ("onSuccess", "successActions", f"{wid}:end"),
                ("onFailure", "failureActions", f"{wid}:failed"),
            ):
                for action in _actions(doc, wf, step, own, shared):
                    if action["type"] == "end":
                        target = end
                    elif "workflowId" in action:
                        target = action["workflowId"]
                    elif "stepId" in action:
                        target = f"{wid}/{action['stepId']}"
                    else:
                        target = here
                    edges.add((here, action["type"], action["name"], target))
    return edges


def control_flow() -> dict[str, Any]:
    return yaml.safe_load(CONTROL_FLOW.read_text(encoding="utf-8"))


# -- parsing Mermaid -------------------------------------------------------------------------

MERMAID_NODE = re.compile(r'^\s*(\w+)(?:\(\[|\[/|\(\(|\[)"(.*)"(?:\]\)|/\]|\)\)|\])$')
MERMAID_EDGE = re.compile(r'^\s*(\w+) (-->|==>|-\.->)(?:\|"(.*)"\|)? (\w+)$')
MERMAID_SUBGRAPH = re.compile(r'^\s*subgraph (\w+)\["(.*)"\]$')
ENTITIES = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}


def _unmermaid(text: str) -> str:
    text = text.replace("<br/>", "\n")
    return re.sub(r"#(\w+);", lambda m: chr(int(m[1])) if m[1].isdigit() else ENTITIES[m[1]], text)


def parse_mermaid(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """Node id → (workflow, label); edges as (source, arrow, label, target)."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    cluster = ""
    for line in lines[1:]:
        if m := MERMAID_SUBGRAPH.match(line):
            cluster = _unmermaid(m[2])
        elif line.strip() == "end":
            cluster = ""
        elif m := MERMAID_EDGE.match(line):
            edges.append((m[1], m[2], _unmermaid(m[3] or ""), m[4]))
        elif m := MERMAID_NODE.match(line):
            nodes[m[1]] = (cluster, _unmermaid(m[2]))
        else:
            assert line.strip().startswith(("linkStyle ", "classDef ", "class ")), line
    return nodes, edges


# -- parsing dot -----------------------------------------------------------------------------

DOT_STRING = r'"((?:[^"\\]|\\.)*)"'
DOT_NODE = re.compile(rf"^\s*{DOT_STRING} \[label={DOT_STRING}.*\];$")
DOT_EDGE = re.compile(rf"^\s*{DOT_STRING} -> {DOT_STRING}(?: \[(.*)\])?;$")
DOT_CLUSTER = re.compile(r'^\s*subgraph "cluster_\d+" {$')
DOT_LABEL = re.compile(rf"^\s*label={DOT_STRING};")


def _undot(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text)


def parse_dot(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """Node id → (workflow, label); edges as (source, style, label, target)."""
    lines = text.splitlines()
    assert lines[0] == 'digraph "arazzo" {' and lines[-1] == "}"
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    cluster, inside = "", False
    for line in lines[1:-1]:
        if DOT_CLUSTER.match(line):
            inside = True
        elif inside and (m := DOT_LABEL.match(line)):
            cluster = _undot(m[1])
        elif line.strip() == "}":
            inside, cluster = False, ""
        elif m := DOT_EDGE.match(line):
            attrs = m[3] or ""
            label = re.search(rf"label={DOT_STRING}", attrs)
            style = "dashed" if "style=dashed" in attrs else "solid"
            edges.append((_undot(m[1]), style, _undot(label[1]) if label else "", _undot(m[2])))
        elif m := DOT_NODE.match(line):
            nodes[_undot(m[1])] = (cluster, _undot(m[2]))
        else:
            assert line.strip().startswith(("graph [", "node [", "edge [")), line
    return nodes, edges


# -- from the parsed graph back to document names -------------------------------------------


def named_edges(
    nodes: dict[str, tuple[str, str]], edges: list[tuple[str, str, str, str]]
) -> set[Edge]:
    """The parsed edges in the names of :func:`expected_edges` (labels start with the kind,
    then the action's name)."""

    def name(node_id: str) -> str:
        workflow, label = nodes[node_id]
        first = label.splitlines()[0]
        if first == workflow:
            return workflow  # the start node
        if first in ("end", "failed") and len(label.splitlines()) == 1:
            return f"{workflow}:{first}"
        return f"{workflow}/{first}"

    found: set[Edge] = set()
    for source, _, label, target in edges:
        kind, _, rest = label.partition(" ")
        if not label:
            found.add((name(source), "next", "", name(target)))
        elif kind in ("goto", "retry", "end"):
            found.add((name(source), kind, rest.split(" ")[0], name(target)))
    return found


def test_mermaid_has_every_step_and_action_edge_of_control_flow() -> None:
    done = arazzo("graph", str(CONTROL_FLOW))
    assert done.code == 0, done.err
    nodes, edges = parse_mermaid(done.out)
    doc = control_flow()
    steps = {(wf["workflowId"], s["stepId"]) for wf in doc["workflows"] for s in wf["steps"]}
    labelled = {(wf, label.splitlines()[0]) for wf, label in nodes.values() if "\n" in label}
    assert labelled == steps
    assert named_edges(nodes, edges) == expected_edges(doc)
    arrows = {(label.split(" ")[0], arrow) for _, arrow, label, _ in edges if label}
    # failures and successes are drawn differently: success thick, failure dotted
    assert ("retry", "-.->") in arrows and ("goto", "==>") in arrows and ("goto", "-.->") in arrows


def test_dot_has_every_step_and_action_edge_of_control_flow(tmp_path: Path) -> None:
    out = tmp_path / "flow.dot"
    done = arazzo("graph", str(CONTROL_FLOW), "--format", "dot", "-o", str(out))
    assert done.code == 0 and done.out == "", done.err
    nodes, edges = parse_dot(out.read_text(encoding="utf-8"))
    assert named_edges(nodes, edges) == expected_edges(control_flow())
    styles = {label.split(" ")[0]: style for _, style, label, _ in edges if label}
    assert styles["retry"] == "dashed"  # retries are failure actions: dashed (and red)
    solid = {label.split(" ")[1] for _, style, label, _ in edges if style == "solid" and label}
    assert "skipToLast" in solid and "handOff" in solid  # success actions: solid (and green)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_reads_the_dot_text_and_draws_svg(tmp_path: Path) -> None:
    text = arazzo("graph", str(CONTROL_FLOW), "--format", "dot").out
    laid = subprocess.run(
        ["dot", "-Tjson"], input=text, capture_output=True, text=True, timeout=60, check=True
    )
    graph = json.loads(laid.stdout)
    nodes, edges = parse_dot(text)
    assert {o["name"] for o in graph["objects"] if "nodes" not in o} == set(nodes)
    assert len(graph["edges"]) == len(edges)
    svg = arazzo("graph", str(CONTROL_FLOW), "--format", "svg", "-w", "retry-via-step")
    assert svg.code == 0 and "<svg" in svg.out and "refreshThenRetry" in svg.out
    assert "retry-until-success" not in svg.out  # -w: that workflow only (and what it reaches)


def test_svg_without_graphviz_says_how_to_get_it(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = arazzo("graph", str(HEADLINE), "--format", "svg", env={"PATH": str(empty)})
    assert done.code == 3 and done.out == ""
    assert "Graphviz" in done.err and "apt-get install graphviz" in done.err
    assert "Traceback" not in done.err


def test_goto_workflow_and_nested_calls_and_depends_on(tmp_path: Path) -> None:
    nested = ROOT / "workflows" / "nested.arazzo.yaml"
    nodes, edges = parse_mermaid(arazzo("graph", str(nested), "-w", "buy-item").out)
    names = {node_id: (wf, label.splitlines()[0]) for node_id, (wf, label) in nodes.items()}
    drawn = {(names[a], label, names[b]) for a, _, label, b in edges if label}
    # buy-item dependsOn check-inventory and has a step that calls place-order: both come along
    assert (("check-inventory", "check-inventory"), "dependsOn", ("buy-item", "buy-item")) in drawn
    assert any(label == "calls" and b == ("place-order", "place-order") for _, label, b in drawn)
    goto = parse_mermaid(arazzo("graph", str(CONTROL_FLOW), "-w", "goto-workflow").out)
    clusters = {wf for wf, _ in goto[0].values()}
    assert clusters == {"goto-workflow", "end-on-success"}  # the goto target comes along


def test_bad_workflow_and_bad_document_are_one_line_errors(tmp_path: Path) -> None:
    done = arazzo("graph", str(CONTROL_FLOW), "-w", "nope")
    assert done.code == 2 and "nope" in done.err and "Traceback" not in done.err
    broken = tmp_path / "broken.arazzo.yaml"
    broken.write_text("arazzo: [\n", encoding="utf-8")
    done = arazzo("graph", str(broken))
    assert done.code == 2 and "broken.arazzo.yaml" in done.err and "Traceback" not in done.err


def test_hostile_ids_stay_inside_their_labels(tmp_path: Path) -> None:
    text = CONTROL_FLOW.read_text(encoding="utf-8").replace(
        "stepId: first\n", 'stepId: first"]\n', 1
    )
    odd = tmp_path / "odd.arazzo.yaml"
    odd.write_text(text.replace("../openapi", str(ROOT / "openapi")), encoding="utf-8")
    nodes, _ = parse_mermaid(arazzo("graph", str(odd), "-w", "end-on-success").out)
    assert any(label.startswith('first"]') for _, label in nodes.values())
    dot_nodes, _ = parse_dot(
        arazzo("graph", str(odd), "-w", "end-on-success", "--format", "dot").out
    )
    assert any(label.startswith('first"]') for _, label in dot_nodes.values())


@pytest.mark.parametrize(
    ("picture", "document"),
    [("control-flow.svg", CONTROL_FLOW), ("headline.svg", HEADLINE)],
)
def test_the_pictures_in_docs_show_every_step(picture: str, document: Path) -> None:
    svg = (ROOT / "docs" / "images" / picture).read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    doc = yaml.safe_load(document.read_text(encoding="utf-8"))
    for wf in doc["workflows"]:
        for step in wf["steps"]:
            assert f">{step['stepId']}<" in svg, step["stepId"]


MERMAID_JS = os.environ.get("ARAZZO_MERMAID_JS")  # e.g. node_modules/mermaid/dist/mermaid.min.js


@pytest.mark.skipif(
    not MERMAID_JS or shutil.which("chromium") is None,
    reason="set ARAZZO_MERMAID_JS to mermaid.min.js (npm install mermaid) and install chromium",
)
def test_mermaid_itself_renders_the_text(tmp_path: Path) -> None:
    """The real Mermaid (in headless Chromium) parses and draws every node of the text; not run
    in CI (the npm package is large), checked by hand with Mermaid 11."""
    assert MERMAID_JS is not None
    text = arazzo("graph", str(CONTROL_FLOW)).out
    nodes, _ = parse_mermaid(text)
    page = tmp_path / "mermaid.html"
    page.write_text(
        f'<!doctype html><pre class="mermaid">{html.escape(text)}</pre><div id="status">-</div>'
        f'<script src="{Path(MERMAID_JS).resolve().as_uri()}"></script><script>'
        "mermaid.initialize({startOnLoad: false, maxEdges: 5000});"
        "mermaid.run().then(() => { document.getElementById('status').textContent ="
        " 'nodes ' + document.querySelectorAll('svg g.node').length; })"
        ".catch(e => { document.getElementById('status').textContent = 'error ' + e; });"
        "</script>",
        encoding="utf-8",
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}", "--allow-file-access-from-files"]
    done = subprocess.run(
        ["chromium", *flags, "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert f'<div id="status">nodes {len(nodes)}</div>' in done.stdout
