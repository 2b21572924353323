"""Which inputs a workflow declares, read from its ``inputs`` JSON Schema.

Validation uses it to say that ``$inputs.x`` can never resolve (the schema declares no ``x``
and allows no other property); the engine uses it to tell an optional input the caller did not
give (a parameter it may leave out) from a name that was never an input (a failure).

Only what can be read for certain is read: ``properties`` (and ``required``) of the schema,
following local ``$ref`` (``#/components/inputs/x``) and the members of ``allOf``. A schema
that uses ``anyOf``/``oneOf``/``patternProperties``/``if``, or a ``$ref`` that leaves the
document, is *open*: any name may be an input, so nothing is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arazzo_runner.document.model import ArazzoDocument, Workflow
from arazzo_runner.pointer import unescape_token

__all__ = ["InputNames", "input_names"]

_OPENING = ("anyOf", "oneOf", "patternProperties", "if", "dependentSchemas", "$dynamicRef")
_MAX_REFS = 32


@dataclass(frozen=True, slots=True)
class InputNames:
    """``names``: the declared inputs; ``closed``: no other name can be an input (the schema
    says ``additionalProperties: false``, or declares no property and no way to add one)."""

    names: frozenset[str]
    closed: bool

    def declares(self, name: str) -> bool:
        """``name`` is declared, or (a dotted name) its first part is."""
        return name in self.names or name.split(".", 1)[0] in self.names

    def can_be(self, name: str) -> bool:
        """``name`` may be an input of this workflow."""
        return not self.closed or self.declares(name)


OPEN = InputNames(frozenset(), closed=False)
NONE = InputNames(frozenset(), closed=True)


def _follow(raw: Any, schema: Any) -> Any:
    """``schema`` after its local ``$ref`` chain; ``None`` when a reference cannot be read."""
    for _ in range(_MAX_REFS):
        if not isinstance(schema, Mapping) or "$ref" not in schema:
            return schema
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return None
        node = raw
        for token in ref[2:].split("/"):
            token = unescape_token(token)
            if not isinstance(node, Mapping) or token not in node:
                return None
            node = node[token]
        schema = node
    return None


def _collect(raw: Any, schema: Any, names: set[str]) -> bool | None:
    """Add the names ``schema`` declares; whether it forbids others (``None``: open)."""
    schema = _follow(raw, schema)
    if schema is None or not isinstance(schema, Mapping):
        return None if schema is None else False
    if any(key in schema for key in _OPENING):
        return None
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        names.update(str(key) for key in properties)
    closed = schema.get("additionalProperties") is False
    declared_extra = "additionalProperties" in schema and not closed
    for member in schema.get("allOf") or ():
        inner = _collect(raw, member, names)
        if inner is None:
            return None
        closed = closed or inner
    if declared_extra or schema.get("unevaluatedProperties") not in (None, False):
        return False
    return closed or not names


def input_names(document: ArazzoDocument, workflow: Workflow) -> InputNames:
    """What ``workflow``'s inputs schema declares (:data:`NONE` when it has no ``inputs``)."""
    if not workflow.inputs:
        return NONE
    names: set[str] = set()
    closed = _collect(document.raw, workflow.inputs, names)
    if closed is None:
        return OPEN
    return InputNames(frozenset(names), closed)
