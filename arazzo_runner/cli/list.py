"""``arazzo list FILE``: the workflows of an Arazzo file with their inputs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from arazzo_runner.diagnostics import Severity
from arazzo_runner.document import ArazzoDocument, Workflow, load_arazzo
from arazzo_runner.errors import ValidationFailed
from arazzo_runner.reporting import render

__all__ = ["command", "workflow_inputs"]

_COMPONENT_INPUTS = "#/components/inputs/"


def _deref(doc: ArazzoDocument, schema: Any) -> Any:
    """Follow ``$ref: #/components/inputs/<key>`` (a few hops; cycles stop)."""
    for _ in range(8):
        if not isinstance(schema, Mapping):
            return schema
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith(_COMPONENT_INPUTS):
            return schema
        inputs = doc.components.inputs if doc.components else {}
        schema = inputs.get(ref[len(_COMPONENT_INPUTS) :])
    return schema


def _type(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return "any"
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    return str(kind) if kind is not None else "any"


def workflow_inputs(doc: ArazzoDocument, workflow: Workflow) -> list[dict[str, Any]]:
    """``[{name, type, required}]`` from the workflow's ``inputs`` schema."""
    schema = _deref(doc, workflow.inputs)
    if not isinstance(schema, Mapping):
        return []
    properties = schema.get("properties")
    required = schema.get("required")
    listed = required if isinstance(required, list) else []
    needed = {name for name in listed if isinstance(name, str)}  # ignore what is not a name
    if not isinstance(properties, Mapping):
        return []
    return [
        {"name": name, "type": _type(_deref(doc, spec)), "required": name in needed}
        for name, spec in properties.items()
    ]


def _describe(doc: ArazzoDocument) -> list[dict[str, Any]]:
    return [
        {
            "workflowId": w.workflow_id,
            "summary": w.summary,
            "steps": len(w.steps),
            "inputs": workflow_inputs(doc, w),
        }
        for w in doc.workflows
    ]


def _text(items: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for item in items:
        summary = f"  {item['summary']}" if item["summary"] else ""
        lines.append(f"{item['workflowId']}{summary}")
        for field in item["inputs"]:
            flag = "required" if field["required"] else "optional"
            lines.append(f"    {field['name']}: {field['type']} ({flag})")
        if not item["inputs"]:
            lines.append("    (no inputs)")
    return "\n".join(lines) + "\n"


@click.command("list")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def command(file: str, as_json: bool) -> None:
    """List the workflows in an Arazzo file with their inputs."""
    doc, diagnostics = load_arazzo(file)
    if doc is None:
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        click.echo(render("text", {file: errors or diagnostics}), nl=False, err=True)
        raise ValidationFailed(f"cannot list {file}", diagnostics)
    items = _describe(doc)
    click.echo(json.dumps(items, indent=2) if as_json else _text(items), nl=not not as_json)
