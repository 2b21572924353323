"""``request``: what a step is about to send, checked before it goes out.

* every ``required`` parameter is there (path, query, header, cookie; header names
  case-insensitively);
* each parameter value matches its schema, in the write direction (3.0 ``readOnly``
  properties may not be sent). A text value is first read the way the server will read it off
  the wire when the schema wants a number or a boolean (``"7"`` is 7 for ``type: integer``);
* a ``required`` request body is there, its media type is declared, and a JSON body matches the
  media type's schema.

A failure at the ``error`` level means the request is not sent and the step fails.
"""

from __future__ import annotations

__all__ = ["RequestChecks", "RequestValues"]

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import OpenAPIIndex, Operation, ParameterSpec
from arazzo_runner.media import media_type as media_essence
from arazzo_runner.validation.contract.findings import Findings
from arazzo_runner.validation.contract.responses import cast_text, match_media
from arazzo_runner.validation.contract.schemas import CompiledSchema


@dataclass(frozen=True)
class RequestValues:
    """What the request carries, by location (header names as sent)."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    header: Mapping[str, Any] = field(default_factory=dict)
    cookie: Mapping[str, Any] = field(default_factory=dict)
    body: Any = MISSING
    content_type: str | None = None


def _typed(value: Any, schema: Any) -> Any:
    """A text value as the server reads it (numbers and booleans), else the value itself."""
    if isinstance(value, str):
        return cast_text(value, schema) if _wants_scalar(schema) else value
    if isinstance(value, list) and isinstance(schema, dict):
        items = schema.get("items")
        return [_typed(item, items) for item in value]
    return value


def _wants_scalar(schema: Any) -> bool:
    """Text the server reads as another type: a number, a boolean or a ``simple`` array."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    return "string" not in kinds and bool({"integer", "number", "boolean", "array"} & set(kinds))


def _serialized_object(value: Any, schema: Any) -> bool:
    """An object already serialized to text (a header): its style decides, not checked here."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    return isinstance(value, str) and (kind == "object" or "properties" in (schema or {}))


class RequestChecks:
    """The request checks of one operation, compiled on first use."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, tokens: Sequence[str]) -> None:
        self.index = index
        self.operation = operation
        self.tokens = tuple(tokens)
        self.parameters = [
            (spec, self._parameter_schema(spec, i)) for i, spec in enumerate(operation.parameters)
        ]
        self.bodies: dict[str, CompiledSchema | None] = {}

    def _parameter_schema(self, spec: ParameterSpec, position: int) -> CompiledSchema | None:
        if spec.schema is None:
            return None
        tokens = self._parameter_tokens(spec)
        return CompiledSchema(self.index, spec.schema, tokens, writing=True)

    def _parameter_tokens(self, spec: ParameterSpec) -> tuple[str | int, ...]:
        """Where the parameter's schema is written: the operation's list, else its path item's."""
        for owner in (self.tokens, self.tokens[:-1]):
            node = self.index.value_at([*owner, "parameters"])
            if isinstance(node, list):
                for i in range(len(node)):
                    found = self.index.value_at([*owner, "parameters", i])
                    if (
                        isinstance(found, dict)
                        and found.get("name") == spec.name
                        and found.get("in") == spec.in_
                    ):
                        return (*owner, "parameters", i, "schema")
        return (*self.tokens, "parameters")

    def check(self, findings: Findings, values: RequestValues) -> None:
        lower = {name.lower(): value for name, value in values.header.items()}
        places = {
            "path": values.path,
            "query": values.query,
            "header": lower,
            "cookie": values.cookie,
        }
        for spec, compiled in self.parameters:
            where = places.get(spec.in_, {})
            name = spec.name.lower() if spec.in_ == "header" else spec.name
            if name not in where:
                if spec.required:
                    findings.add(
                        "request", f"the required {spec.in_} parameter {spec.name!r} is missing"
                    )
                continue
            if compiled is not None and not _serialized_object(where[name], compiled.inlined):
                value = _typed(where[name], compiled.inlined)
                what = f"{spec.in_} parameter {spec.name!r}"
                findings.schema("request", compiled, value, what)
        self._body(findings, values)

    def _body(self, findings: Findings, values: RequestValues) -> None:
        spec = self.operation.request_body
        if spec is None:
            return
        if values.body is MISSING:
            if spec.required:
                findings.add("request", "the request body is required")
            return
        if not spec.content:
            return
        essence = media_essence(values.content_type) or "application/json"
        key = match_media(spec.content, essence)
        if key is None:
            declared = ", ".join(spec.content)
            findings.add(
                "request",
                f"the request body's media type {essence} is not declared (declared: {declared})",
            )
            return
        if essence == "application/json" or essence.endswith("+json"):
            compiled = self._body_schema(key)
            if compiled is None:
                return
            body = values.body
            if isinstance(body, (str, bytes)):  # a template: JSON text, as the server reads it
                try:
                    body = json.loads(body)
                except ValueError:
                    findings.add("request", f"the request body is {essence} but not JSON")
                    return
            findings.schema("request", compiled, body, "the request body")

    def _body_schema(self, key: str) -> CompiledSchema | None:
        if key not in self.bodies:
            body = self.operation.request_body
            media = body.content[key] if body is not None else None
            self.bodies[key] = (
                None
                if media is None or media.schema is None
                else CompiledSchema(
                    self.index,
                    media.schema,
                    (*self.tokens, "requestBody", "content", key, "schema"),
                    writing=True,
                )
            )
        return self.bodies[key]
