"""Workflow inputs: parse them from the command line and check them before any request is sent.

``-i name=value`` values are JSON when they parse as JSON, else strings (``-i n=42`` is the number
42, ``-i n='"42"'`` the string). The workflow's ``inputs`` JSON Schema (2020-12) is applied with
``$ref`` resolved against the Arazzo document, so ``$ref: '#/components/inputs/x'`` works. A
missing required input is an :class:`~arazzo_runner.errors.InputError` (exit 2) naming it, never a
request to ``/None/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from arazzo_runner.document import ArazzoDocument, Workflow
from arazzo_runner.errors import InputError
from arazzo_runner.redact import sensitive_name

__all__ = ["check_inputs"]


def check_inputs(document: ArazzoDocument, workflow: Workflow, inputs: Mapping[str, Any]) -> None:
    """Raise InputError listing every way ``inputs`` breaks the workflow's inputs schema;
    a NaN or infinite number anywhere is refused first (JSON has none, and every JSON output
    of the run would stop being JSON)."""
    _refuse_non_finite(inputs)
    if not workflow.inputs:
        return
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    base = document.url
    registry: Registry[Any] = Registry().with_resource(
        base, Resource.from_contents(_plain(document.raw), default_specification=DRAFT202012)
    )
    schema = {"$ref": f"{base}#{workflow.pointer}/inputs"}
    validator = Draft202012Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(dict(inputs)), key=lambda e: list(e.absolute_path))
    if errors:
        lines = list(dict.fromkeys(_describe(error) for error in errors))
        raise InputError(
            f"workflow {workflow.workflow_id!r} inputs: " + "; ".join(lines),
            hint="pass inputs with -i NAME=VALUE or --inputs FILE",
        )


def _refuse_non_finite(inputs: Mapping[str, Any]) -> None:
    stack: list[tuple[str, Any]] = [(str(name), value) for name, value in inputs.items()]
    while stack:  # iterative: a value may be nested deeper than the recursion limit
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(
                f"input {where}: {value} is not a JSON number",
                hint="JSON has no NaN or Infinity; pass a number, or a string",
            )
        if isinstance(value, Mapping):
            stack.extend((f"{where}.{key}", item) for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}[{n}]", item) for n, item in enumerate(value))


def _describe(error: Any) -> str:
    where = _path(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return ", ".join(f"missing required input {where}{name!r}" for name in missing)
    name = where.rstrip(".") or "inputs"
    if isinstance(error.instance, (Mapping, list)):
        # jsonschema's message quotes the whole object or list, passwords included
        return f"{name}: {_CONTAINER.get(error.validator, _fails)(error)}"
    if any(sensitive_name(str(part)) for part in error.absolute_path):
        # the value may be a password: say what is wrong without quoting it
        return f"{name}: {_fails(error)}"
    return f"{name}: {error.message}"


def _fails(error: Any) -> str:
    return f"the value given fails `{error.validator}` of its schema"


def _unexpected(error: Any) -> str:
    extra = sorted(str(k) for k in error.instance if k not in error.schema.get("properties", {}))
    return f"unexpected input(s) {', '.join(map(repr, extra))}" if extra else _fails(error)


_CONTAINER: Mapping[str, Callable[[Any], str]] = {
    "maxProperties": lambda e: f"more than {e.validator_value} inputs given",
    "minProperties": lambda e: f"fewer than {e.validator_value} inputs given",
    "maxItems": lambda e: f"more than {e.validator_value} items",
    "minItems": lambda e: f"fewer than {e.validator_value} items",
    "additionalProperties": _unexpected,
    "type": lambda e: f"the value given is not of type {e.validator_value!r}",
}
"""What an error on a whole object or list says, from the schema alone: never the values
(names of unexpected keys are shown; they are the caller's own spelling, not secrets)."""


def _path(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) + "." if parts else ""


def _plain(value: Any) -> Any:
    """The document as plain dicts/lists (the model keeps read-only mapping views)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
