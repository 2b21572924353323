"""``event-schema``: each event of a ``text/event-stream`` checked as it arrives.

The schema of one event is the media type's OpenAPI 3.2 ``itemSchema``; a 3.0/3.1 description
says the same with the ``x-itemSchema`` extension. An event is modelled as the object
``{"event": ..., "data": ..., "id": ..., "retry": ...}``: ``event`` is the dispatched type
(``"message"`` when the server sent none), ``data`` the joined data lines (a string), ``id`` and
``retry`` only when the event set them. When the schema of ``data`` gives a JSON
``contentMediaType`` (``application/json`` or ``+json``) and a ``contentSchema``, the data is
parsed and checked against that too (its pointers start with ``/data``).

:func:`event_checker` returns the hook an :class:`~arazzo_runner.streaming.EventStream` calls
before it delivers each event: True delivers it, False (a failed ``error``-level check) ends
the stream at that event; the events before it were delivered already. Nothing is buffered.
"""

from __future__ import annotations

__all__ = ["EventSchemas", "event_checker", "item_schema_of"]

import json
from collections.abc import Callable
from typing import Any

from arazzo_runner.document.openapi import MediaTypeSpec, OpenAPIIndex
from arazzo_runner.media import is_json
from arazzo_runner.media import media_type as essence
from arazzo_runner.validation.contract.findings import Findings
from arazzo_runner.validation.contract.schemas import CompiledSchema

ITEM_EXTENSION = "x-itemSchema"
_CACHED_VERDICTS = 256
_ITEM_KEYS = frozenset({"type", "required", "properties", "title", "description", "examples"})
_DATA_KEYS = frozenset(
    {"type", "contentMediaType", "contentSchema", "contentEncoding", "title", "description"}
)


def item_schema_of(media: MediaTypeSpec) -> tuple[str, Any] | None:
    """(``itemSchema`` or ``x-itemSchema``, the schema) of a media type, if it has one."""
    if isinstance(media.item_schema, (dict, bool)):
        return "itemSchema", media.item_schema
    extension = media.extensions.get(ITEM_EXTENSION)
    if isinstance(extension, (dict, bool)):
        return ITEM_EXTENSION, extension
    return None


def _is_json(media_type: Any) -> bool:
    if not isinstance(media_type, str):
        return False
    return is_json(essence(media_type))


class EventSchemas:
    """The compiled item schema of one media type, and its data's ``contentSchema``."""

    def __init__(self, index: OpenAPIIndex, schema: Any, tokens: tuple[str | int, ...]) -> None:
        self.item = CompiledSchema(index, schema, tokens, writing=False)
        properties = self.item.inlined.get("properties")
        data = properties.get("data") if isinstance(properties, dict) else None
        self.data: CompiledSchema | None = None
        if (
            isinstance(data, dict)
            and _is_json(data.get("contentMediaType"))
            and isinstance(data.get("contentSchema"), (dict, bool))
        ):
            self.data = CompiledSchema(
                index,
                data["contentSchema"],
                (*tokens, "properties", "data", "contentSchema"),
                writing=False,
                inlined=True,
            )


def _data_is_any_string(item: Any) -> bool:
    """True when the item schema looks at ``data`` only as "a string": then its verdict on an
    event depends on ``event``, ``id`` and ``retry`` alone (and can be remembered)."""
    if not isinstance(item, dict) or not set(item) <= _ITEM_KEYS:
        return False
    properties = item.get("properties", {})
    data = properties.get("data", {}) if isinstance(properties, dict) else None
    return (
        isinstance(data, dict)
        and set(data) <= _DATA_KEYS
        and data.get("type", "string") == "string"
    )


def _instance(event: Any) -> dict[str, Any]:
    """The event as the object an item schema describes."""
    instance: dict[str, Any] = {"event": event.event, "data": event.data}
    if event.id:
        instance["id"] = event.id
    if event.retry is not None:
        instance["retry"] = event.retry
    return instance


def _item_test(fast: Any, inlined: Any) -> Callable[[Any], bool]:
    """The fast item-level test of an event; its verdict is remembered per ``event``/``id``/
    ``retry`` when the schema sees ``data`` only as a string (False: ask the full validator)."""
    if fast is None:
        return lambda event: False
    if not _data_is_any_string(inlined):
        return lambda event: bool(fast(_instance(event)))
    verdicts: dict[tuple[str, str, int | None], bool] = {}

    def remembered(event: Any) -> bool:
        key = (event.event, event.id, event.retry)
        known = verdicts.get(key)
        if known is None:
            known = bool(fast(_instance(event)))
            if len(verdicts) < _CACHED_VERDICTS:
                verdicts[key] = known
        return known

    return remembered


def event_checker(schemas: EventSchemas, findings: Findings) -> Callable[[Any], bool]:
    """The per-event hook (see the module docstring)."""
    item, data = schemas.item, schemas.data
    data_fast = data.fast if data is not None else None
    stop_on_failure = findings.settings.level("event-schema") == "error"
    item_ok = _item_test(item.fast, item.inlined)
    count = 0

    def inspect(event: Any) -> bool:
        nonlocal count
        count += 1
        if not item_ok(event) and not findings.schema(
            "event-schema", item, _instance(event), f"event {count}"
        ):
            return not stop_on_failure
        if data is None:
            return True
        try:
            value = json.loads(event.data)
        except ValueError:
            findings.add("event-schema", f"event {count}: its data is not JSON")
            return not stop_on_failure
        if data_fast is not None and data_fast(value):
            return True
        if findings.schema("event-schema", data, value, f"event {count}", prefix="/data"):
            return True
        return not stop_on_failure

    return inspect
