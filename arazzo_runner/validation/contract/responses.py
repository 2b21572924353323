"""The checks of one response: ``status-code``, ``content-type``, ``schema``, ``headers``.

* ``status-code``: the status, its range (``4XX``) or ``default`` is declared;
* ``content-type``: the response's media type (parameters ignored, case-insensitive) matches a
  declared one exactly, by ``type/*`` or by ``*/*`` (a status that declares no ``content`` says
  nothing about its body, so it is not checked);
* ``schema``: a JSON body (``application/json``, ``+json``) or a text body under a text media
  type is validated against the matched media type's ``schema`` (read direction); other media
  types (binary, forms, XML) are not checked;
* ``event-schema`` for a sequential body read whole (JSON Lines, NDJSON, JSON Text Sequences):
  each item against the media type's ``itemSchema`` / ``x-itemSchema`` (``text/event-stream``
  is checked event by event as it arrives, in :mod:`.events`);
* ``headers``: each declared header (``Content-Type`` aside) that is ``required`` is present; a
  present one with a ``schema`` is read as ``simple`` style (``1,2`` is an array; ``7`` an
  integer when the schema says so) and validated.

Everything is worked out once per operation and status (:class:`ResponseChecks`).
"""

from __future__ import annotations

__all__ = ["ResponseChecks", "match_media", "match_status"]

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import OpenAPIIndex, Operation, ResponseSpec
from arazzo_runner.media import media_type as media_essence
from arazzo_runner.validation.contract.events import item_schema_of
from arazzo_runner.validation.contract.findings import Findings
from arazzo_runner.validation.contract.schemas import CompiledSchema

_SEQUENTIAL = frozenset(
    {"application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/json-seq"}
)
_INTEGER = re.compile(r"-?\d+\Z")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")


def _is_json(essence: str) -> bool:
    return essence == "application/json" or essence.endswith("+json")


def match_status(responses: Mapping[str, Any], status: int) -> str | None:
    """The declared key for ``status``: exact, then ``NXX`` (either case), then ``default``."""
    code = str(status)
    if code in responses:
        return code
    for key in (f"{code[0]}XX", f"{code[0]}xx", "default"):
        if key in responses:
            return key
    return None


def match_media(content: Mapping[str, Any], essence: str) -> str | None:
    """The declared media type key for ``essence``: exact, then ``type/*``, then ``*/*``."""
    by_essence = {media_essence(key): key for key in content}
    for candidate in (essence, essence.split("/", 1)[0] + "/*", "*/*"):
        if candidate in by_essence:
            return by_essence[candidate]
    return None


def cast_text(text: str, schema: Any) -> Any:
    """A header or parameter's text read as ``simple`` style, typed by ``schema``."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array":
        items = schema.get("items") if isinstance(schema, dict) else None
        return [cast_text(part, items) for part in text.split(",")] if text else []
    return _CASTS.get(kind, _same)(text)


def _same(text: str) -> Any:
    return text


def _integer(text: str) -> Any:
    return int(text) if _INTEGER.match(text.strip()) else text


def _number(text: str) -> Any:
    if _INTEGER.match(text.strip()):
        return int(text)
    return float(text) if _NUMBER.match(text.strip()) else text


def _boolean(text: str) -> Any:
    return {"true": True, "false": False}.get(text.strip(), text)


_CASTS: dict[Any, Callable[[str], Any]] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
}


class _StatusChecks:
    """What one declared response needs checked, compiled on first use."""

    def __init__(self, owner: ResponseChecks, key: str, spec: ResponseSpec) -> None:
        self.owner = owner
        self.key = key
        self.spec = spec
        self.tokens = (*owner.tokens, "responses", key)
        self.schemas: dict[str, CompiledSchema | None] = {}
        self.headers = [
            (name, header)
            for name, header in spec.headers.items()
            if name.lower() != "content-type" and isinstance(header, dict)
        ]
        self.header_schemas: dict[str, CompiledSchema] = {}
        self.item_schemas: dict[str, CompiledSchema | None] = {}

    def schema(self, media_key: str) -> CompiledSchema | None:
        if media_key not in self.schemas:
            media = self.spec.content[media_key]
            self.schemas[media_key] = (
                None
                if media.schema is None
                else CompiledSchema(
                    self.owner.index,
                    media.schema,
                    (*self.tokens, "content", media_key, "schema"),
                    writing=False,
                )
            )
        return self.schemas[media_key]

    def items(self, media_key: str) -> CompiledSchema | None:
        """The compiled ``itemSchema`` (or ``x-itemSchema``) of a sequential media type."""
        if media_key not in self.item_schemas:
            found = item_schema_of(self.spec.content[media_key])
            self.item_schemas[media_key] = (
                None
                if found is None
                else CompiledSchema(
                    self.owner.index,
                    found[1],
                    (*self.tokens, "content", media_key, found[0]),
                    writing=False,
                )
            )
        return self.item_schemas[media_key]

    def header_schema(self, name: str, header: Mapping[str, Any]) -> CompiledSchema | None:
        schema = header.get("schema")
        if schema is None:
            return None
        if name not in self.header_schemas:
            tokens = (*self.tokens, "headers", name, "schema")
            self.header_schemas[name] = CompiledSchema(
                self.owner.index, schema, tokens, writing=False
            )
        return self.header_schemas[name]


class ResponseChecks:
    """The response checks of one operation (status, media type, body schema, headers)."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, tokens: Sequence[str]) -> None:
        self.index = index
        self.operation = operation
        self.tokens = tuple(tokens)
        self._by_key: dict[str, _StatusChecks] = {}

    def status(self, key: str) -> _StatusChecks:
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = _StatusChecks(self, key, self.operation.responses[key])
        return found

    def check(
        self,
        findings: Findings,
        status: int,
        headers: Mapping[str, str],
        content_type: str | None,
        body: Any,
    ) -> _StatusChecks | None:
        """Add the findings of one response; the declared response it matched, if any."""
        responses = self.operation.responses
        if not responses:
            return None
        key = match_status(responses, status)
        if key is None:
            declared = ", ".join(responses)
            findings.add("status-code", f"status {status} is not declared (declared: {declared})")
            return None
        checks = self.status(key)
        self._content(findings, checks, status, content_type, body)
        if checks.headers and findings.wants("headers"):
            self._headers(findings, checks, headers)
        return checks

    def _content(
        self,
        findings: Findings,
        checks: _StatusChecks,
        status: int,
        content_type: str | None,
        body: Any,
    ) -> None:
        content = checks.spec.content
        essence = media_essence(content_type)
        has_body = body is not MISSING
        if not content:
            return  # the description says nothing about this body: nothing to hold it to
        if not essence:
            if has_body:
                findings.add("content-type", f"the {status} response has no Content-Type")
            return
        media_key = match_media(content, essence)
        if media_key is None:
            declared = ", ".join(content)
            findings.add(
                "content-type",
                f"Content-Type {essence} is not declared for status {checks.key}"
                f" (declared: {declared})",
            )
            return
        if has_body and essence in _SEQUENTIAL and findings.wants("event-schema"):
            items = checks.items(media_key)
            if items is not None:
                _check_items(findings, items, body, essence)
                return
        if has_body and findings.wants("schema") and _checkable(essence, body):
            compiled = checks.schema(media_key)
            if compiled is not None:
                findings.schema("schema", compiled, body, "the response body")

    def _headers(
        self, findings: Findings, checks: _StatusChecks, headers: Mapping[str, str]
    ) -> None:
        lower = {name.lower(): value for name, value in headers.items()}
        for name, header in checks.headers:
            value = lower.get(name.lower())
            if value is None:
                if header.get("required") is True:
                    findings.add("headers", f"the required header {name} is missing")
                continue
            compiled = checks.header_schema(name, header)
            if compiled is not None:
                typed = cast_text(value, compiled.inlined)
                findings.schema("headers", compiled, typed, f"header {name}")


def _check_items(findings: Findings, items: CompiledSchema, body: Any, essence: str) -> None:
    """Each item of a JSON Lines / JSON Text Sequences body against the item schema."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    parts = text.split("\x1e") if essence == "application/json-seq" else text.splitlines()
    for number, part in enumerate((p for p in parts if p.strip()), 1):
        try:
            value = json.loads(part)
        except ValueError:
            findings.add("event-schema", f"item {number} of the {essence} body is not JSON")
            continue
        findings.schema("event-schema", items, value, f"item {number}")


def _checkable(essence: str, body: Any) -> bool:
    """Bodies the schema check reads: parsed JSON, or text under a text media type."""
    if _is_json(essence):
        return True
    return essence.startswith("text/") and isinstance(body, str)
