"""A sans-IO Server-Sent Events decoder: bytes in, events out.

Parsing follows the WHATWG HTML "Server-sent events" processing model with browser dispatch
semantics, checked against ``sse-vectors.json``:

* the body is UTF-8, decoded incrementally (a character may be split across reads); invalid
  bytes become U+FFFD and exactly one byte-order mark at the very start is dropped;
* a line ends at CRLF, LF or a lone CR (also a CR that is the last byte of a read: if the next
  read starts with LF, that LF belongs to the same terminator and is skipped);
* a blank line dispatches the block; blocks without ``data`` fire nothing but still copy the
  ``id`` buffer to the last event id, which is sticky; an ``id`` containing NUL is ignored;
* ``retry`` takes effect immediately and only when it is ASCII digits;
* an unfinished block at the end of the stream is dropped, never dispatched.

The decoder does no I/O and keeps no reconnection policy: :class:`SSEDecoder` is shared by the
sync and async iterators in :mod:`arazzo_runner.streaming.event_stream`.

Performance: each chunk is decoded once and line terminators are normalised with
``str.replace``. From a block start to the last blank line of a read, one ``re.findall``
splits the text into blocks; the usual ``[event:] data:`` block becomes an event in C
(``tuple.__new__``), any other block goes line by line. Only the chunk boundaries (an unfinished
line or block, a CR at the end, a BOM split across reads) are handled specially.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, NamedTuple

from arazzo_runner.errors import StreamError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_BOM = "\ufeff"
# From a block start, one whole block: either the usual shape (an optional event line, one
# data line, the blank line; groups 1 and 2, field values lose one leading space as the spec
# says) or any other block of non-empty lines up to its blank line (group 3, never empty).
# ``.`` is anything but LF, and the text has no CR left when this runs.
_BLOCKS = re.compile(r"(?:event: ?(.*)\n)?data: ?(.*)\n\n|((?:.+\n)*\n)")


class ServerSentEvent(NamedTuple):
    """One dispatched event: an immutable named tuple (``event``, ``data``, ``id``, ``retry``).

    ``id`` is the last event id at dispatch time (sticky across events, ``""`` if never set);
    ``retry`` is a valid ``retry`` value that appeared in the same block, else ``None``.
    A named tuple rather than a frozen dataclass because the decoder builds one per event:
    ``tuple.__new__`` does that in C, about three times faster (see ``bench/bench_sse.py``).
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON (raises :class:`json.JSONDecodeError` when it is not)."""
        return json.loads(self.data)


def _utf8_len(text: str) -> int:
    # str.isascii() is O(1) in CPython, so the common case costs nothing.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class SSEDecoder:
    """Incremental SSE decoder: :meth:`feed` bytes as they arrive, :meth:`close` at the end.

    ``max_event_bytes`` bounds the memory one event may take: the UTF-8 size of the buffered
    ``data`` of the current block, and separately the size of an unfinished line. Exceeding
    either raises :class:`~arazzo_runner.errors.StreamError`.
    """

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        self._max = max_event_bytes
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_start = True  # no text decoded yet: a leading BOM may still come
        self._after_cr = False  # the previous text ended with CR: skip one leading LF
        self._tail: list[str] = []  # pieces of the unfinished line
        self._tail_bytes = 0
        self._data: list[str] = []
        self._data_bytes = 0
        self._event_type = ""
        self._id_buffer = ""
        self._block_retry: int | None = None
        self._last_event_id = ""
        self._retry: int | None = None
        self._closed = False

    @property
    def last_event_id(self) -> str:
        """What a reconnect would send as ``Last-Event-ID`` (``""``: send no header)."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The last valid ``retry`` value in milliseconds, or ``None`` if none was seen."""
        return self._retry

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one read; return the events whose blank line is in it, in order."""
        if self._closed:
            raise StreamError("the SSE decoder is closed; create a new one for a new stream")
        return self._feed_text(self._utf8.decode(chunk))

    def close(self) -> list[ServerSentEvent]:
        """End of stream: flush the UTF-8 decoder and drop any unfinished block.

        Returns the events that complete at the end (by the spec there can be none: an event
        is only dispatched by a blank line, which :meth:`feed` already handled).
        """
        if self._closed:
            return []
        events = self._feed_text(self._utf8.decode(b"", final=True))
        self._closed = True
        self._tail.clear()
        self._tail_bytes = 0
        self._reset_block()
        return events

    # -- text level ---------------------------------------------------------------------------

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text[0] == _BOM:
                text = text[1:]
        if self._after_cr:
            self._after_cr = False
            if text[:1] == "\n":
                text = text[1:]
        if "\r" in text:
            self._after_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        cut = text.rfind("\n") + 1
        last = text[cut:]
        events: list[ServerSentEvent] = []
        if cut:
            complete = text[:cut]
            if self._tail:
                self._tail.append(complete)
                complete = "".join(self._tail)
                self._tail.clear()
                self._tail_bytes = 0
            self._scan(complete, events)
        if last:
            self._tail.append(last)
            self._tail_bytes += _utf8_len(last)
            if self._tail_bytes > self._max:
                raise self._too_big("an unfinished line", self._tail_bytes)
        return events

    def _scan(self, text: str, events: list[ServerSentEvent]) -> None:
        """Dispatch the complete lines of ``text`` (it ends with LF).

        Lines that continue a block begun in an earlier read go one at a time through
        :meth:`_line`; from the first block start, everything up to the last blank line is
        split into blocks by one ``re.findall`` (:meth:`_blocks`); the lines after that last
        blank line go through :meth:`_line` again and stay pending.
        """
        pos, end = 0, len(text)
        while pos < end and (self._data or self._event_type or self._block_retry is not None):
            stop = text.index("\n", pos)
            self._line(text[pos:stop], events)
            pos = stop + 1
        last_blank = text.rfind("\n\n", pos)
        if last_blank >= 0:
            self._blocks(text[pos : last_blank + 2], events)
            pos = last_blank + 2
        while pos < end:
            stop = text.index("\n", pos)
            self._line(text[pos:stop], events)
            pos = stop + 1

    def _blocks(self, text: str, events: list[ServerSentEvent]) -> None:
        """Dispatch ``text``: whole blocks from a block start, the last ending in a blank line.

        The hot path. :data:`_BLOCKS` matches each block either as the usual
        ``[event: T LF] data: D LF LF`` shape (built into an event right here: no ``id`` or
        ``retry`` line in it, so the id buffer stands) or as any other block, which goes
        through :meth:`_line` one line at a time, with the same results.
        """
        limit = self._max // 4  # below this many characters no data can exceed max bytes
        append = events.append
        new = tuple.__new__  # builds the event from a ready 4-tuple, all in C
        last_id = self._id_buffer
        before = len(events)
        for event_type, data, other in _BLOCKS.findall(text):
            if other:
                if len(events) > before:  # as dispatched so far, should a line raise
                    self._last_event_id = last_id
                for line in other[:-1].split("\n"):
                    self._line(line, events)
                last_id = self._id_buffer
            elif len(data) < limit:
                append(new(ServerSentEvent, (event_type or "message", data, last_id, None)))
            else:
                if len(events) > before:
                    self._last_event_id = last_id
                self._event_type = event_type
                self._add_data(data)
                self._line("", events)
        self._last_event_id = last_id

    def _line(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:  # blank line: dispatch
            self._last_event_id = self._id_buffer
            if self._data:
                events.append(
                    ServerSentEvent(
                        self._event_type or "message",
                        "\n".join(self._data),
                        self._last_event_id,
                        self._block_retry,
                    )
                )
                self._data.clear()
            self._data_bytes = 0
            self._event_type = ""
            self._block_retry = None
            return
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._add_data(value)
        elif name:  # an empty name is a comment line (it starts with ":")
            self._field(name, value)

    def _add_data(self, value: str) -> None:
        self._data.append(value)
        self._data_bytes += (len(value) if value.isascii() else _utf8_len(value)) + 1
        if self._data_bytes > self._max:
            raise self._too_big("an event's data", self._data_bytes)

    def _field(self, name: str, value: str) -> None:
        if name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = self._block_retry = int(value)
        # any other field name is ignored (names are case-sensitive)

    def _reset_block(self) -> None:
        self._data.clear()
        self._data_bytes = 0
        self._event_type = ""
        self._block_retry = None

    def _too_big(self, what: str, size: int) -> StreamError:
        self._closed = True
        return StreamError(
            f"SSE event too large: {what} reached {size} bytes, "
            f"more than max_event_bytes={self._max}",
            hint="raise max_event_bytes if the server really sends events this large",
        )
