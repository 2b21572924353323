"""``arazzo graph FILE``: draw a document's workflows as Mermaid, Graphviz dot or SVG.

Only the Arazzo document is read (no source description is fetched): the graph is its
structure. ``svg`` is dot's text laid out by Graphviz's own ``dot`` program, which must be on
``PATH``; without it the command says how to get it and exits 3 (it could not run).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from arazzo_runner.diagnostics import Severity
from arazzo_runner.document import load_arazzo
from arazzo_runner.errors import InputError, RunError, ValidationFailed
from arazzo_runner.reporting import GRAPH_FORMATS, document_graph, render, render_graph

__all__ = ["command"]

DOT_TIMEOUT = 60.0
_NO_DOT = (
    "--format svg needs Graphviz's `dot` program on PATH, and none was found",
    "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz;"
    " https://graphviz.org/download/), or use --format dot or --format mermaid",
)


def _svg(dot_text: str) -> str:
    program = shutil.which("dot")
    if program is None:
        raise RunError(_NO_DOT[0], hint=_NO_DOT[1])
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunError(f"Graphviz's dot did not run: {exc}") from exc
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise RunError(f"Graphviz's dot failed (exit {done.returncode}): {first}")
    return done.stdout


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write -o {path}: {exc.strerror or exc}") from exc


@click.command("graph")
@click.argument("file")
@click.option("-w", "--workflow", "workflow_id", help="Only this workflow (and what it reaches).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*GRAPH_FORMATS, "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid (GitHub renders it), Graphviz dot, or SVG (needs Graphviz's dot).",
)
@click.option("-o", "--output", "output", metavar="PATH", help="Write to PATH, not stdout.")
def command(file: str, workflow_id: str | None, fmt: str, output: str | None) -> None:
    """Draw the workflows of FILE: steps, default order, goto/retry/end actions, nested
    workflows and dependsOn.

    Exit 0 drawn, 2 invalid document or unknown workflow, 3 Graphviz missing for svg.
    """
    doc, diagnostics = load_arazzo(file)
    if doc is None:
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        click.echo(render("text", {file: errors or diagnostics}), nl=False, err=True)
        raise ValidationFailed(f"cannot draw {file}", diagnostics)
    if workflow_id is not None and doc.workflow(workflow_id) is None:
        known = ", ".join(w.workflow_id for w in doc.workflows) or "none"
        raise InputError(f"-w/--workflow: no workflow {workflow_id!r} in {file} (it has: {known})")
    graph = document_graph(doc, workflow_id)
    text = _svg(render_graph(graph, "dot")) if fmt == "svg" else render_graph(graph, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
