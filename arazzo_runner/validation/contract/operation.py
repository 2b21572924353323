"""A run's checks, and one operation's: compiled on first use, once per operation."""

from __future__ import annotations

__all__ = ["Contract", "EventHook", "OperationContract"]

from collections.abc import Callable
from typing import Any

from arazzo_runner.document.openapi import OpenAPIIndex, Operation
from arazzo_runner.media import media_type as media_essence
from arazzo_runner.pointer import parse_pointer
from arazzo_runner.results import Failure
from arazzo_runner.validation.contract.events import EventSchemas, event_checker, item_schema_of
from arazzo_runner.validation.contract.findings import Findings
from arazzo_runner.validation.contract.requests import RequestChecks, RequestValues
from arazzo_runner.validation.contract.responses import (
    ResponseChecks,
    match_media,
    match_status,
)
from arazzo_runner.validation.contract.settings import CheckSettings

EventHook = Callable[[Any], bool]
_RESPONSE_CHECKS = ("status-code", "content-type", "schema", "headers")


class OperationContract:
    """The checks of one operation; its schemas are compiled the first time each is needed."""

    def __init__(self, index: OpenAPIIndex, operation: Operation, settings: CheckSettings) -> None:
        self.index = index
        self.operation = operation
        self.settings = settings
        self.tokens = parse_pointer(operation.pointer)
        self._requests: RequestChecks | None = None
        self.responses = ResponseChecks(index, operation, self.tokens)
        self._events: dict[tuple[str, str], EventSchemas | None] = {}
        self.checks_responses = any(settings.enabled(c) for c in _RESPONSE_CHECKS)

    def request(self, values: RequestValues, findings: list[Failure]) -> bool:
        """Check what is about to be sent; False when an ``error`` finding says not to send."""
        if not self.settings.enabled("request"):
            return True
        if self._requests is None:
            self._requests = RequestChecks(self.index, self.operation, self.tokens)
        found = Findings(self.settings, findings)
        self._requests.check(found, values)
        return found.errors == 0

    def response(
        self,
        status: int,
        headers: dict[str, str],
        content_type: str | None,
        body: Any,
        findings: list[Failure],
    ) -> None:
        """Check a response (``body`` MISSING when there is none or it was not read)."""
        if self.checks_responses:
            found = Findings(self.settings, findings)
            self.responses.check(found, status, headers, content_type, body)

    def event_hook(
        self, status: int, content_type: str | None, findings: list[Failure]
    ) -> EventHook | None:
        """The per-event check of a stream, or None (no item schema, or the check is off)."""
        if not self.settings.enabled("event-schema"):
            return None
        schemas = self._event_schemas(status, media_essence(content_type))
        if schemas is None:
            return None
        return event_checker(schemas, Findings(self.settings, findings))

    def _event_schemas(self, status: int, essence: str) -> EventSchemas | None:
        responses = self.operation.responses
        key = match_status(responses, status)
        if key is None:
            return None
        media_key = match_media(responses[key].content, essence)
        if media_key is None:
            return None
        if (key, media_key) not in self._events:
            found = item_schema_of(responses[key].content[media_key])
            self._events[(key, media_key)] = (
                None
                if found is None
                else EventSchemas(
                    self.index,
                    found[1],
                    (*self.tokens, "responses", key, "content", media_key, found[0]),
                )
            )
        return self._events[(key, media_key)]


class Contract:
    """A run's checks: one :class:`OperationContract` per operation, made on first use."""

    def __init__(self, settings: CheckSettings | None = None) -> None:
        self.settings = settings or CheckSettings()
        self.active = self.settings.any_enabled
        self._operations: dict[int, tuple[Operation, OperationContract]] = {}

    def operation(
        self, index: OpenAPIIndex | None, operation: Operation
    ) -> OperationContract | None:
        """The checks of ``operation`` (from ``index``), or None when nothing is checked."""
        if not self.active or index is None:
            return None
        known = self._operations.get(id(operation))
        if known is not None and known[0] is operation:
            return known[1]
        made = OperationContract(index, operation, self.settings)
        self._operations[id(operation)] = (operation, made)
        return made
