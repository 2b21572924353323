"""The stream hand-off: iterate the events of an already open ``text/event-stream`` response.

Like httpx-sse's ``EventSource``, :class:`EventStream` (sync) and :class:`AsyncEventStream`
(async) wrap an ``httpx.Response`` that was sent with ``stream=True`` and not read; they do not
own how the request was made, and they never reconnect or re-send anything (a streaming POST
would re-run, and re-bill, the inference).

Bounds, all in seconds, ``None`` disables one:

* ``first_byte_timeout`` (default 60): from the first iteration to the first body byte;
* ``idle_timeout`` (default 15): the longest silence between two reads that returned bytes;
* ``deadline`` (default ``None``): the whole iteration, whatever the server keeps sending.

Each read waits at most for the tightest bound that applies, so an event is delivered as soon
as its blank line arrives and a bound fires on time, without polling. httpcore reads the
``read`` timeout once per response body, so it cannot change between phases; instead:

* async: each read runs inside an ``anyio.move_on_after`` scope of the remaining time;
* sync: a per-stream watchdog thread, armed before each read, shuts the socket down when the
  bound passes (the blocked read then returns), and the stream raises ``RunTimeout``. Without a
  socket (mock transports) the bound is checked after each read returns.

While a stream is being iterated these bounds replace the client's ``read`` timeout.

``inspect`` (optional) is called with each event before it is delivered; when it returns
False the stream is closed and ends there, without that event (the description checks use it
to stop a stream at the first event that breaks its schema).

Errors: a bound raises :class:`~arazzo_runner.errors.RunTimeout` naming it and its value; a
broken connection raises :class:`~arazzo_runner.errors.StreamError`; a response that is not a
2xx ``text/event-stream`` raises :class:`NotAnEventStream` before any of its body is parsed.
The response is closed on every way out: end of body, error, ``close()``, context exit.

``figures()`` tells how the stream arrived (:mod:`arazzo_runner.streaming.figures`): time to
first byte and to first event from ``sent_at`` (the ``time.monotonic()`` at which the request
was sent, when the caller gives it), events read and the gaps between them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

import anyio
import httpx

from arazzo_runner.errors import RunTimeout, StreamError
from arazzo_runner.media import EVENT_STREAM, media_type
from arazzo_runner.results import StreamFigures
from arazzo_runner.settings import DEFAULT_FIRST_BYTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT
from arazzo_runner.streaming.bounds import Bounds, Watchdog, start_watchdog
from arazzo_runner.streaming.figures import Arrivals
from arazzo_runner.streaming.sse import DEFAULT_MAX_EVENT_BYTES, ServerSentEvent, SSEDecoder

__all__ = ["AsyncEventStream", "EventStream", "NotAnEventStream", "ensure_event_stream"]

_ERROR_BODY_LIMIT = 64 * 1024


class NotAnEventStream(StreamError):
    """The response is not a 2xx ``text/event-stream``; its body was not parsed.

    ``response`` is the (still unread) response, so a caller can read the small error body
    (fal sends JSON ``detail``/``error_type``; proxies send HTML) and close it.
    """

    def __init__(self, message: str, *, response: httpx.Response, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.response = response
        self.body = b""  # up to _ERROR_BODY_LIMIT bytes, filled in when a stream is iterated
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")


def ensure_event_stream(response: httpx.Response) -> None:
    """Raise :class:`NotAnEventStream` unless the status is 2xx and the media type is SSE.

    The media type is compared case-insensitively, ignoring parameters such as ``charset``.
    """
    content_type = response.headers.get("content-type", "")
    if response.is_success and media_type(content_type) == EVENT_STREAM:
        return
    if not response.is_success:
        problem = f"the server answered HTTP {response.status_code} {response.reason_phrase}"
    else:
        problem = f"HTTP {response.status_code} but Content-Type is {content_type or 'missing'!r}"
    details = [
        f"{name}: {response.headers[name]}"
        for name in ("content-type", "x-fal-error-type", "x-fal-request-id")
        if name in response.headers
    ]
    suffix = f" ({', '.join(details)})" if details else ""
    raise NotAnEventStream(
        f"expected a 2xx {EVENT_STREAM} response: {problem}{suffix}",
        response=response,
        hint="the body was not parsed as SSE; read it from error.response for details",
    )


class _StreamState:
    """What the sync and async streams share: decoder, bounds, bookkeeping, error mapping."""

    _stream_type: type = object

    def __init__(
        self,
        response: httpx.Response,
        *,
        first_byte_timeout: float | None = DEFAULT_FIRST_BYTE_TIMEOUT,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        deadline: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        check: bool = True,
        inspect: Callable[[ServerSentEvent], bool] | None = None,
        sent_at: float | None = None,
    ) -> None:
        if not isinstance(response.stream, self._stream_type):
            kind = "an async" if self._stream_type is httpx.AsyncByteStream else "a sync"
            raise TypeError(f"{type(self).__name__} needs {kind} httpx response")
        self._response = response
        self._decoder = SSEDecoder(max_event_bytes=max_event_bytes)
        self._bounds = Bounds(first_byte_timeout, idle_timeout, deadline)
        self._check = check
        self._inspect = inspect
        self._pending: deque[ServerSentEvent] = deque()
        self._events_received = 0
        self._last_event: ServerSentEvent | None = None
        self._begun = False
        self._done = False
        self._arrivals = Arrivals(sent_at, time.monotonic())

    check_response = staticmethod(ensure_event_stream)

    @property
    def response(self) -> httpx.Response:
        return self._response

    @property
    def events_received(self) -> int:
        """How many events were handed to the consumer so far."""
        return self._events_received

    @property
    def pending(self) -> int:
        """Events already decoded but not handed out yet (0: the next one needs a read)."""
        return len(self._pending)

    @property
    def last_event(self) -> ServerSentEvent | None:
        return self._last_event

    @property
    def last_event_id(self) -> str:
        return self._decoder.last_event_id

    @property
    def retry(self) -> int | None:
        return self._decoder.retry

    @property
    def closed(self) -> bool:
        return self._done

    def _begin(self) -> None:
        self._begun = True
        if self._check:
            ensure_event_stream(self._response)
        self._bounds.started = time.monotonic()

    def _own_read_timeout(self) -> None:
        """Our bounds govern the body from now on; see the module docstring."""
        timeouts = self._response.request.extensions.get("timeout")
        if isinstance(timeouts, dict):
            timeouts["read"] = None

    def figures(self) -> StreamFigures:
        """Time to first byte and first event, event count and gaps so far
        (:mod:`arazzo_runner.streaming.figures`; ``sent_at`` given: from that moment)."""
        return self._arrivals.figures(self._events_received)

    def _take(self, chunk: bytes | None) -> None:
        if chunk is None:
            events = self._decoder.close()
            self._done = True
        elif chunk:
            self._bounds.got_byte = True
            events = self._decoder.feed(chunk)
        else:
            return
        if events:
            self._arrivals.arrived(time.monotonic(), len(events))
            self._pending.extend(events)

    def _deliver(self) -> ServerSentEvent:
        event = self._pending.popleft()
        self._events_received += 1
        self._last_event = event
        return event

    def _timeout(self, label: str) -> RunTimeout:
        return RunTimeout(
            f"SSE stream timed out: {label} (after {self._events_received} events)",
            hint="the stream was closed; it is never re-sent automatically",
        )

    def _broken(self, exc: Exception) -> StreamError:
        what = str(exc) or type(exc).__name__
        return StreamError(
            f"SSE stream broke after {self._events_received} events: {what} ({type(exc).__name__})",
            hint="the stream was closed; it is never re-sent automatically",
        )


class EventStream(_StreamState):
    """Sync iteration over the events of an open streaming ``httpx.Response``.

    Iteration can be resumed after a ``break``; use ``with`` or :meth:`close` to release the
    connection early.
    """

    _chunks: Iterator[bytes] | None = None
    _watchdog: Watchdog | None = None

    _stream_type: type = httpx.SyncByteStream

    def __iter__(self) -> Iterator[ServerSentEvent]:
        """A generator over the events still to come (cheaper per event than ``__next__``).

        Every iterator shares this stream's state, so a new ``for`` loop after a ``break``
        resumes where the last one stopped, and ``next(stream)`` may be mixed in.
        """
        pending = self._pending
        inspect = self._inspect
        while True:
            while pending:
                event = pending.popleft()
                if inspect is not None and not inspect(event):
                    self.close()
                    return
                self._events_received += 1
                self._last_event = event
                yield event
            try:
                self._refill()
            except StopIteration:
                return

    def __next__(self) -> ServerSentEvent:
        pending = self._pending
        if not pending:
            self._refill()
        event = pending.popleft()  # _deliver, inlined: this runs once per event
        if self._inspect is not None and not self._inspect(event):
            self.close()
            raise StopIteration
        self._events_received += 1
        self._last_event = event
        return event

    def _refill(self) -> None:
        """Read until an event is decoded; StopIteration at the end of the stream."""
        while not self._pending:
            if self._done:
                raise StopIteration
            try:
                self._take(self._read())
            except NotAnEventStream as exc:
                exc.body = _read_some(self._response.iter_bytes())
                self.close()
                raise
            except BaseException:
                self.close()
                raise
            if self._done:
                self._release()

    def close(self) -> None:
        """Stop reading and close the connection (idempotent)."""
        self._done = True
        self._pending.clear()
        self._release()

    def _release(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        try:
            if self._chunks is not None:
                getattr(self._chunks, "close", lambda: None)()
        finally:
            self._response.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self) -> bytes | None:
        if not self._begun:
            self._begin()
            self._watchdog = start_watchdog(self._response, self._bounds)
            if self._watchdog is not None:
                self._own_read_timeout()
            self._chunks = _body_chunks(self._response)
        assert self._chunks is not None
        started = time.monotonic()
        wait, label = self._bounds.next_read(started)
        if wait == 0.0:
            raise self._timeout(label)
        watchdog = self._watchdog
        if watchdog is not None and wait is not None:
            watchdog.arm(started + wait)
        try:
            chunk = next(self._chunks, None)
        except (httpx.RequestError, httpx.StreamError) as exc:
            if watchdog is not None and watchdog.fired:
                raise self._timeout(label) from exc
            if isinstance(exc, httpx.TimeoutException):
                raise self._timeout(f"the HTTP client's timeout fired ({exc})") from exc
            raise self._broken(exc) from exc
        finally:
            if watchdog is not None:
                watchdog.disarm()
        if (watchdog is not None and watchdog.fired) or (
            watchdog is None and wait is not None and time.monotonic() - started > wait
        ):
            raise self._timeout(label)
        return chunk


def _identity(response: httpx.Response) -> bool:
    """True when the body has no content coding, so the raw bytes are the body."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    return coding in ("", "identity")


def _body_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives: ``iter_raw`` when nothing is to be decoded (it skips httpx's
    identity decoder and re-chunker, about 30% of the read path), else ``iter_bytes``."""
    return response.iter_raw() if _identity(response) else response.iter_bytes()


def _abody_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    return response.aiter_raw() if _identity(response) else response.aiter_bytes()


def _read_some(chunks: Iterator[bytes]) -> bytes:
    """At most ``_ERROR_BODY_LIMIT`` bytes of an error body (client timeouts still apply)."""
    body = bytearray()
    try:
        for chunk in chunks:
            body += chunk
            if len(body) >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    return bytes(body[:_ERROR_BODY_LIMIT])


async def _aread_some(chunks: AsyncIterator[bytes]) -> bytes:
    body = bytearray()
    try:
        async for chunk in chunks:
            body += chunk
            if len(body) >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    return bytes(body[:_ERROR_BODY_LIMIT])


class AsyncEventStream(_StreamState):
    """Async iteration (``async for``) over the events of an open async streaming response."""

    _chunks: AsyncIterator[bytes] | None = None

    _stream_type: type = httpx.AsyncByteStream

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> ServerSentEvent:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            try:
                self._take(await self._read())
            except NotAnEventStream as exc:
                exc.body = await _aread_some(self._response.aiter_bytes())
                await self.aclose()
                raise
            except BaseException:
                await self.aclose()
                raise
            if self._done:
                await self._release()
        if self._inspect is not None and not self._inspect(self._pending[0]):
            await self.aclose()
            raise StopAsyncIteration
        return self._deliver()

    async def aclose(self) -> None:
        """Stop reading and close the connection (idempotent)."""
        self._done = True
        self._pending.clear()
        await self._release()

    async def _release(self) -> None:
        try:
            if self._chunks is not None:
                await getattr(self._chunks, "aclose", _anoop)()
        finally:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _read(self) -> bytes | None:
        if not self._begun:
            self._begin()
            self._own_read_timeout()
            self._chunks = _abody_chunks(self._response)
        assert self._chunks is not None
        wait, label = self._bounds.next_read(time.monotonic())
        if wait == 0.0:
            raise self._timeout(label)
        chunk: bytes | None = None
        try:
            with anyio.move_on_after(wait) as scope:
                chunk = await anext(self._chunks, None)
        except (httpx.RequestError, httpx.StreamError) as exc:
            if isinstance(exc, httpx.TimeoutException):
                raise self._timeout(f"the HTTP client's timeout fired ({exc})") from exc
            raise self._broken(exc) from exc
        if scope.cancelled_caught:
            raise self._timeout(label)
        return chunk


async def _anoop() -> None:
    return None
