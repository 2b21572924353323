"""HAR 1.2 (HTTP Archive) of a run: every request and response, secrets masked.

:class:`HarRecorder` listens on the ``httpx.Client`` a run uses (its :meth:`~HarRecorder.
event_hooks`): on each request it notes the method, URL, headers and body as sent; on each
response the status and headers, and it wraps the response's byte stream so the body is
recorded *as it is read*, piece by piece with the time each piece arrived. So a
``text/event-stream`` body holds exactly the events the run received (also listed, decoded,
with their arrival times, in the entry's ``_events``), and a stream the run stopped reading is
recorded up to where it stopped. Each body keeps at most ``max_body_bytes`` and the whole
recording at most ``max_total_bytes`` of response bodies (the rest is counted, not kept;
``content.comment`` says so), so a long run's memory stays bounded. A request that got no
response is an entry with status 0 and ``_error``.

:meth:`HarRecorder.begin_page` starts a HAR page (one per workflow); :func:`render_har` gives
the file. Redaction happens when the file is made, with the caller's
:class:`~arazzo_runner.redact.Redactor` (the credentials of the run and their wire forms):
credential headers are masked by name (keeping ``Bearer``/``Key``...), cookies always, query
values by name and by value, and every known secret anywhere in URLs, headers and bodies;
values sent under a credential-like header or query name, and values that a JSON or form body
holds under one (an OAuth2 token answer's ``access_token``, a login's ``password``), become
known secrets for the whole file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx

from arazzo_runner import __version__
from arazzo_runner.media import EVENT_STREAM, media_type
from arazzo_runner.redact import MASK, Redactor, sensitive_name
from arazzo_runner.reporting._har_body import Piece, content, decoded_pieces, events, post_data

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_TOTAL_BYTES", "HarRecorder", "render_har"]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024


@dataclass
class _Entry:
    """One exchange as recorded (raw: redaction happens in :func:`render_har`)."""

    page: str | None
    started: datetime
    t0: float
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes | None
    status: int = 0
    reason: str = ""
    http_version: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    t_headers: float | None = None
    t_end: float | None = None
    pieces: list[Piece] = field(default_factory=list)
    kept: int = 0
    total: int = 0
    ended: bool = False  # the body was read to its end
    error: str | None = None

    def take(self, data: bytes, now: float, room: int) -> int:
        """Count ``data``, keep at most ``room`` bytes of it; return how many were kept."""
        self.total += len(data)
        if room <= 0 or not data:
            return 0
        piece = data[:room]
        self.pieces.append(((now - self.t0) * 1000, piece))
        self.kept += len(piece)
        return len(piece)

    def finish(self, now: float) -> None:
        if self.t_end is None:
            self.t_end = now


class _Tee(httpx.SyncByteStream):
    """The response's byte stream, recording each piece into the entry as it passes."""

    def __init__(self, inner: httpx.SyncByteStream, entry: _Entry, recorder: HarRecorder) -> None:
        self._inner, self._entry, self._recorder = inner, entry, recorder

    def __iter__(self) -> Iterator[bytes]:
        recorder, entry = self._recorder, self._entry
        try:
            for data in self._inner:
                room = min(recorder.max_body_bytes - entry.kept, recorder.budget)
                recorder.budget -= entry.take(data, recorder.clock(), room)
                yield data
        except Exception as exc:
            self._entry.error = f"the body broke off: {type(exc).__name__}"
            raise
        entry.ended = True
        entry.finish(recorder.clock())

    def close(self) -> None:
        self._entry.finish(self._recorder.clock())
        self._inner.close()


class HarRecorder:
    """Records every exchange of the client it is hooked onto; see the module docstring."""

    def __init__(
        self,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.budget = max_total_bytes  # response body bytes the whole recording may still keep
        self.clock = clock
        self.pages: list[dict[str, Any]] = []
        self.entries: list[_Entry] = []
        self._open: dict[int, _Entry] = {}

    def event_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """For ``httpx.Client(event_hooks=...)``."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def begin_page(self, title: str) -> None:
        """Entries from now on belong to a new page (one per workflow run)."""
        started = datetime.now(timezone.utc).isoformat()
        page_id = f"page_{len(self.pages) + 1}"
        self.pages.append(
            {"startedDateTime": started, "id": page_id, "title": title, "pageTimings": {}}
        )

    def name_page(self, title: str) -> None:
        """Rename the current page (once the workflow a run picked is known)."""
        if self.pages:
            self.pages[-1]["title"] = title

    def _on_request(self, request: httpx.Request) -> None:
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            body = None  # a streamed upload: not recorded
        entry = _Entry(
            page=self.pages[-1]["id"] if self.pages else None,
            started=datetime.now(timezone.utc),
            t0=self.clock(),
            method=request.method,
            url=str(request.url),
            request_headers=list(request.headers.multi_items()),
            request_body=body,
        )
        self.entries.append(entry)
        self._open[id(request)] = entry

    def _on_response(self, response: httpx.Response) -> None:
        entry = self._open.pop(id(response.request), None)
        if entry is None:
            return
        entry.t_headers = self.clock()
        entry.status, entry.reason = response.status_code, response.reason_phrase
        entry.http_version = response.http_version
        entry.response_headers = list(response.headers.multi_items())
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _Tee(response.stream, entry, self)


# -- rendering ----------------------------------------------------------------------------------


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _headers(pairs: list[tuple[str, str]], redactor: Redactor) -> list[dict[str, str]]:
    return [{"name": k, "value": redactor.redact_header(k, v)} for k, v in pairs]


def _cookies(pairs: list[tuple[str, str]], header: str) -> list[dict[str, str]]:
    """Cookie names from ``Cookie``/``Set-Cookie``; values are always masked."""
    names: list[str] = []
    for key, value in pairs:
        if key.lower() != header:
            continue
        parts = value.split(";") if header == "cookie" else [value.split(";", 1)[0]]
        names += [p.split("=", 1)[0].strip() for p in parts if "=" in p]
    return [{"name": n, "value": MASK} for n in names]


def _query(url: str, redactor: Redactor) -> tuple[str, list[dict[str, str]]]:
    """The URL and its ``queryString``, values under credential-like names masked."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = [(k, MASK if sensitive_name(k) else redactor.redact_text(v)) for k, v in pairs]
    query = parts.query
    if any(sensitive_name(k) for k, _ in pairs):
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='*')}" for k, v in masked)
    safe_url = redactor.redact_text(urlunsplit(parts._replace(query=query)))
    return safe_url, [{"name": redactor.redact_text(k), "value": v} for k, v in masked]


def _ms(start: float | None, end: float | None) -> float:
    return round(max((end or 0.0) - (start or 0.0), 0.0) * 1000, 3) if start and end else 0.0


def _request(entry: _Entry, redactor: Redactor, limit: int) -> dict[str, Any]:
    url, query = _query(entry.url, redactor)
    body = entry.request_body or b""
    data: dict[str, Any] = {
        "method": entry.method,
        "url": url,
        "httpVersion": entry.http_version or "HTTP/1.1",
        "cookies": _cookies(entry.request_headers, "cookie"),
        "headers": _headers(entry.request_headers, redactor),
        "queryString": query,
        "headersSize": -1,
        "bodySize": len(body) if entry.request_body is not None else -1,
    }
    if body:
        mime = _header(entry.request_headers, "content-type") or "application/octet-stream"
        data["postData"] = post_data(body, mime, limit, redactor)
    return data


def _response(entry: _Entry, redactor: Redactor) -> dict[str, Any]:
    headers = entry.response_headers
    mime = _header(headers, "content-type") or "x-unknown"
    encoding = _header(headers, "content-encoding")
    return {
        "status": entry.status,
        "statusText": entry.reason,
        "httpVersion": entry.http_version,
        "cookies": _cookies(headers, "set-cookie"),
        "headers": _headers(headers, redactor),
        "content": content(
            entry.pieces, entry.total, mime=mime, encoding=encoding, redactor=redactor
        ),
        "redirectURL": redactor.redact_text(_header(headers, "location")),
        "headersSize": -1,
        "bodySize": entry.total if entry.t_headers is not None else -1,
    }


def _entry(entry: _Entry, redactor: Redactor, limit: int) -> dict[str, Any]:
    wait, receive = _ms(entry.t0, entry.t_headers), _ms(entry.t_headers, entry.t_end)
    data: dict[str, Any] = {
        "startedDateTime": entry.started.isoformat(),
        "time": round(wait + receive, 3),
        "request": _request(entry, redactor, limit),
        "response": _response(entry, redactor),
        "cache": {},
        "timings": {"send": 0, "wait": wait, "receive": receive},
    }
    if entry.page is not None:
        data["pageref"] = entry.page
    mime = media_type(_header(entry.response_headers, "content-type"))
    if mime == EVENT_STREAM:
        pieces = decoded_pieces(entry.pieces, _header(entry.response_headers, "content-encoding"))
        complete = entry.ended and entry.kept >= entry.total
        data["_events"] = events(pieces or [], complete=complete, redactor=redactor)
        data["_eventsComplete"] = complete
    if entry.t_headers is None:
        data["_error"] = "no response was received"
    elif entry.error is not None:
        data["_error"] = entry.error
    return data


def _learn(data: Any, found: set[str]) -> None:
    """Collect the string values under credential-like keys, at any depth."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and sensitive_name(str(key)):
                found.add(value)
            else:
                _learn(value, found)
    elif isinstance(data, list):
        for item in data:
            _learn(item, found)


def _body_values(body: bytes, content_type: str, found: set[str]) -> None:
    essence = media_type(content_type)
    text = body.decode("utf-8", errors="replace")
    if essence == "application/x-www-form-urlencoded":
        _learn(dict(parse_qsl(text, keep_blank_values=True)), found)
    elif essence == "application/json" or essence.endswith("+json"):
        try:
            _learn(json.loads(text), found)
        except ValueError:
            pass


def _with_body_secrets(recorder: HarRecorder, redactor: Redactor) -> Redactor:
    """The redactor plus every value sent under a credential-like header or query name, and
    every value a JSON or form body holds under such a name (an OAuth2 ``access_token``, a
    ``password`` sent to log in...), so those are masked wherever else they appear."""
    found: set[str] = set()
    learned = Redactor(redactor.secrets)
    for entry in recorder.entries:
        for name, value in entry.request_headers:
            learned.add_sent(name, value)
        for name, value in parse_qsl(urlsplit(entry.url).query, keep_blank_values=True):
            learned.add_sent(name, value)
        if entry.request_body:
            _body_values(entry.request_body, _header(entry.request_headers, "content-type"), found)
        pieces = decoded_pieces(entry.pieces, _header(entry.response_headers, "content-encoding"))
        if pieces and entry.kept >= entry.total:
            body = b"".join(data for _, data in pieces)
            _body_values(body, _header(entry.response_headers, "content-type"), found)
    for value in found:
        learned.add(value)
    return learned


def render_har(recorder: HarRecorder, redactor: Redactor) -> dict[str, Any]:
    """The HAR 1.2 document (a dict for ``json.dumps``), every string redacted (also every
    value found in a JSON or form body under a credential-like name)."""
    redactor = _with_body_secrets(recorder, redactor)
    limit = recorder.max_body_bytes
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "arazzo-runner", "version": __version__},
            "pages": [redactor.redact_data(p) for p in recorder.pages],
            "entries": [_entry(e, redactor, limit) for e in recorder.entries],
        }
    }
