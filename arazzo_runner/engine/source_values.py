"""What ``$sourceDescriptions.<name>.<reference>`` evaluates to as a value.

Arazzo 1.1 (and the 1.0 notes, R11) fix the lookup order of ``<reference>``: first an
operationId (an OpenAPI or AsyncAPI source) or a workflowId (an Arazzo source), then the
Source Description's own fields (``url``, ``type``). A reference that names an operation or a
workflow evaluates to that object as its document writes it (the Operation Object, the AsyncAPI
Operation Object, the Workflow Object); its expressions are not evaluated, since the object is
not being run there. The lookup is lazy: a description with thousands of operations costs
nothing until an expression asks.
"""

from __future__ import annotations

__all__ = ["SourceValues"]

from collections.abc import Iterator, Mapping
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.errors import ArazzoError
from arazzo_runner.pointer import resolve_pointer


class SourceValues(Mapping[str, Any]):
    """One source description's ``<reference>`` lookup: ids first, then its fields."""

    __slots__ = ("_fields", "_resolved")

    def __init__(self, fields: Mapping[str, Any], resolved: Any) -> None:
        self._fields = fields
        self._resolved = resolved  # a ResolvedSource, or None when it was not loaded

    def __getitem__(self, key: str) -> Any:
        found = _reference(self._resolved, key)
        if found is not None:
            return found
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _reference(resolved: Any, key: str) -> Any:
    if resolved is None:
        return None
    index = getattr(resolved, "openapi", None)
    if index is not None:
        operation = index.by_id(key)
        return None if operation is None else operation.raw
    arazzo = getattr(resolved, "arazzo", None)
    if arazzo is not None:
        workflow = arazzo.workflow(key)
        return None if workflow is None else _raw(arazzo.raw, workflow.pointer)
    asyncapi = getattr(resolved, "asyncapi", None)
    if isinstance(asyncapi, Mapping):
        return _asyncapi_operation(asyncapi, key)
    return None


def _raw(data: Any, pointer: str) -> Any:
    try:
        found = resolve_pointer(data, pointer)
    except ArazzoError:  # a malformed pointer: nothing to hand back
        return None
    return None if found is MISSING else found


def _asyncapi_operation(document: Mapping[str, Any], key: str) -> Any:
    operations = document.get("operations")
    if isinstance(operations, Mapping) and isinstance(operations.get(key), Mapping):
        return operations[key]  # AsyncAPI 3: operations are keyed by their id
    channels = document.get("channels")
    for channel in channels.values() if isinstance(channels, Mapping) else ():
        for verb in ("publish", "subscribe") if isinstance(channel, Mapping) else ():
            operation = channel.get(verb)
            if isinstance(operation, Mapping) and operation.get("operationId") == key:
                return operation  # AsyncAPI 2: an operationId inside a channel
    return None
