"""Streams (layer 2): the sans-IO SSE decoder, event streams, their bounds and the hand-off.

:mod:`.sse` decodes bytes into :class:`ServerSentEvent` values; :mod:`.event_stream` iterates
an open httpx response (sync and async) within the bounds of :mod:`.bounds`; :mod:`.extension`
reads ``x-arazzo-stream`` and :mod:`.consume` consumes a stream inside a step; :mod:`.handoff`
gives a caller the open stream of a run (:class:`StreamingRun`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.streaming.event_stream import AsyncEventStream, EventStream, NotAnEventStream
    from arazzo_runner.streaming.extension import (
        STREAM_EXTENSION,
        StreamSpec,
        consume,
        event_value,
        reported_error,
        reports_no_error,
        stream_spec,
    )
    from arazzo_runner.streaming.handoff import StreamingRun
    from arazzo_runner.streaming.sse import DEFAULT_MAX_EVENT_BYTES, ServerSentEvent, SSEDecoder

__all__ = [
    "AsyncEventStream",
    "DEFAULT_MAX_EVENT_BYTES",
    "EventStream",
    "NotAnEventStream",
    "SSEDecoder",
    "STREAM_EXTENSION",
    "ServerSentEvent",
    "StreamSpec",
    "StreamingRun",
    "consume",
    "event_value",
    "reported_error",
    "reports_no_error",
    "stream_spec",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "AsyncEventStream": "event_stream",
            "DEFAULT_MAX_EVENT_BYTES": "sse",
            "EventStream": "event_stream",
            "NotAnEventStream": "event_stream",
            "SSEDecoder": "sse",
            "STREAM_EXTENSION": "extension",
            "ServerSentEvent": "sse",
            "StreamSpec": "extension",
            "StreamingRun": "handoff",
            "consume": "extension",
            "event_value": "extension",
            "reported_error": "extension",
            "reports_no_error": "extension",
            "stream_spec": "extension",
        },
    )
