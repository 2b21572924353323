"""Server-Sent Events for the mock: which events a ``text/event-stream`` response sends, framed.

The events of a media type come from, in order:

0. the named example the request chose (:mod:`.choice`): its own ``x-arazzo-mock-events``,
   else its ``value`` (SSE text is parsed into events; anything else is one event's data);
1. ``x-arazzo-mock-events``: a list of ``{event?, data, id?, retry?, delayMs?}``; ``data`` that
   is not a string is sent as JSON, ``delayMs`` is the pause before that event;
2. an ``example`` (or first ``examples`` value) that is SSE text, parsed into its events;
3. the OpenAPI 3.2 ``itemSchema`` (or ``x-itemSchema``): one event generated from it, whose
   ``data`` follows ``contentSchema`` when the schema gives one;
4. one event whose data is generated from the media type's ``schema``.
"""

from __future__ import annotations

__all__ = ["MockEvent", "events_for", "frame", "paced"]

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import MediaTypeSpec, OpenAPIIndex
from arazzo_runner.mock.examples import generate, media_example
from arazzo_runner.streaming import SSEDecoder

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class MockEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    delay: float = 0.0  # seconds to wait before sending


def frame(event: MockEvent) -> bytes:
    """The wire form of one event, ending with its blank line."""
    lines = []
    if event.event is not None:
        lines.append(f"event: {event.event}")
    if event.id is not None:
        lines.append(f"id: {event.id}")
    if event.retry is not None:
        lines.append(f"retry: {event.retry}")
    for line in event.data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines.append(f"data: {line}")
    return ("\n".join(lines) + "\n\n").encode()


async def paced(events: Sequence[MockEvent], sleep: Sleep = asyncio.sleep) -> AsyncIterator[bytes]:
    """Each event's bytes after its delay (one chunk per event, so each is flushed)."""
    for event in events:
        if event.delay > 0:
            await sleep(event.delay)
        yield frame(event)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _declared(items: Any) -> list[MockEvent]:
    events = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        delay = item.get("delayMs", 0)
        retry = item.get("retry")
        events.append(
            MockEvent(
                data=_text(item.get("data", "")),
                event=None if item.get("event") is None else str(item["event"]),
                id=None if item.get("id") is None else str(item["id"]),
                retry=retry if isinstance(retry, int) and retry >= 0 else None,
                delay=delay / 1000 if isinstance(delay, (int, float)) and delay > 0 else 0.0,
            )
        )
    return events


def _parsed(text: str) -> list[MockEvent]:
    decoder = SSEDecoder()
    found = decoder.feed(text.encode()) + decoder.close()
    return [
        MockEvent(
            data=e.data,
            event=None if e.event == "message" else e.event,
            id=e.id or None,
            retry=e.retry,
        )
        for e in found
    ]


def _from_item_schema(item: Mapping[str, Any]) -> MockEvent:
    properties = item.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    data_schema = properties.get("data")
    data_schema = data_schema if isinstance(data_schema, Mapping) else {}
    content = data_schema.get("contentSchema")
    data = generate(content) if isinstance(content, Mapping) else generate(data_schema)
    event = generate(properties["event"]) if "event" in properties else None
    return MockEvent(data=_text(data), event=None if event is None else str(event))


def _from_example(example: Mapping[str, Any]) -> list[MockEvent]:
    declared = _declared(example.get("x-arazzo-mock-events"))
    if declared:
        return declared
    value = example.get("value", MISSING)
    if isinstance(value, str):
        return _parsed(value)
    return [] if value is MISSING else [MockEvent(data=_text(value))]


def events_for(
    index: OpenAPIIndex, media: MediaTypeSpec, example: Mapping[str, Any] | None = None
) -> list[MockEvent]:
    """The events one ``text/event-stream`` media type sends (``example``: the chosen one)."""
    chosen = _from_example(example) if example is not None else []
    if chosen:
        return chosen
    declared = _declared(media.extensions.get("x-arazzo-mock-events"))
    if declared:
        return declared
    example = media_example(media)
    if isinstance(example, str) and example.strip():
        parsed = _parsed(example)
        if parsed:
            return parsed
    item_schema = media.item_schema or media.extensions.get("x-itemSchema")
    if isinstance(item_schema, Mapping):
        return [_from_item_schema(index.resolve_schema(item_schema))]
    value = example if example is not MISSING else generate(index.resolve_schema(media.schema))
    return [MockEvent(data=_text(value))]
