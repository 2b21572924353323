"""Reading one response: headers, a bounded body, ``Retry-After``, and what went wrong.

:func:`describe_error_response` turns an error answer into one helpful message (fal's
``detail`` and ``X-Fal-Error-Type``, a proxy's HTML page); the engine uses it for failed
steps. :func:`transport_error` maps an httpx exception to a
:class:`~arazzo_runner.errors.RunTimeout` or :class:`~arazzo_runner.errors.TransportError`
that names ``host:port``.
"""

from __future__ import annotations

__all__ = [
    "MAX_BODY_BYTES",
    "decode_body",
    "describe_error_response",
    "header_value",
    "headers_dict",
    "parse_retry_after",
    "read_body",
    "sse_only_declared",
    "transport_error",
]

import email.utils
import http
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import Operation
from arazzo_runner.errors import RunError, RunTimeout, TransportError
from arazzo_runner.media import EVENT_STREAM, charset, media_type

MAX_BODY_BYTES = 32 * 1024 * 1024
_TEXT_TYPES = ("application/x-www-form-urlencoded", "application/javascript", "application/xml")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_DIGITS = re.compile(r"\d+(\.\d+)?\Z")


def headers_dict(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Plain dict of header pairs; a repeated name keeps its first spelling, values joined by
    ``", "``."""
    result: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in headers:
        key = spelled.setdefault(name.lower(), name)
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of ``name`` (lower-case) in a :func:`headers_dict` map, in any case: what
    ``httpx.Headers.get(name)`` gives for the headers it was made from (repeats joined by
    ``", "`` the same way), or None."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), else None."""
    if value is None:
        return None
    text = value.strip()
    if _DIGITS.match(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def read_body(
    response: httpx.Response,
    max_bytes: int = MAX_BODY_BYTES,
    *,
    until: float | None = None,
    late: RunError | None = None,
) -> bytes:
    """The (decoded) body, at most ``max_bytes``; more raises RunError. Closes the response.

    ``until`` is a ``time.monotonic()`` instant: a body still arriving then (a slow drip that
    never trips the read timeout) raises ``late``."""
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise RunError(
                    f"the response body is larger than {max_bytes // (1024 * 1024)} MiB",
                    hint="the body was not kept; a stream should be text/event-stream",
                )
            if until is not None and time.monotonic() > until:
                raise late or RunTimeout("the body was still arriving at the deadline")
    finally:
        response.close()
    return bytes(body)


def _is_textual(essence: str) -> bool:
    return (
        essence.startswith("text/")
        or essence.endswith(("+json", "+xml", "/json"))
        or essence in _TEXT_TYPES
    )


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """Parsed JSON for JSON media types (invalid JSON stays text), text for textual types,
    bytes otherwise; MISSING for an empty body."""
    if not raw:
        return MISSING
    essence = media_type(content_type)
    if not essence:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    if not _is_textual(essence):
        return raw
    try:
        text = raw.decode(charset(content_type), errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    if essence == "application/json" or essence.endswith("+json"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def sse_only_declared(operation: Operation, status: int) -> bool:
    """The operation declares ``text/event-stream`` and nothing else for this 2xx status."""
    response = operation.responses.get(str(status)) or operation.responses.get(
        f"{str(status)[0]}XX"
    )
    if response is None or not response.content:
        return False
    return all(media_type(name) == EVENT_STREAM for name in response.content)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _loc(item: Mapping[str, Any]) -> str:
    loc = item.get("loc")
    if isinstance(loc, (list, tuple)):
        return ".".join(str(part) for part in loc)
    return str(loc) if loc is not None else "?"


def _detail_lines(body: Any) -> list[str]:
    if not isinstance(body, Mapping):
        return []
    detail = body.get("detail")
    if isinstance(detail, list):
        return [
            f"{_loc(d)}: {d.get('msg', d)}" if isinstance(d, Mapping) else str(d) for d in detail
        ]
    for key in ("detail", "message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return [value]
        if isinstance(value, Mapping) and isinstance(value.get("message"), str):
            return [value["message"]]
    return []


def _text_summary(body: Any, content_type: str) -> str | None:
    if not isinstance(body, (str, bytes)):
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if media_type(content_type) == "text/html" or text.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html")
    ):
        title = _TITLE.search(text)
        found = f": {' '.join(title.group(1).split())}" if title else ""
        return f"HTML error page from a proxy{found}"
    flat = " ".join(text.split())
    return (flat[:200] + "...") if len(flat) > 200 else flat or None


def describe_error_response(status: int, headers: Mapping[str, str], body: Any) -> str:
    """One message for an error answer: status, ``detail`` (a 422 list as ``loc: msg``
    lines), fal's error type and request id, or "HTML error page from a proxy"."""
    folded = {k.lower(): v for k, v in headers.items()}
    head = f"HTTP {status} {_phrase(status)}".rstrip()
    lines = _detail_lines(body)
    summary = None if lines else _text_summary(body, folded.get("content-type", ""))
    if summary is not None:
        lines = [f"{summary} ({status})" if summary.startswith("HTML") else summary]
    extras = []
    error_type = folded.get("x-fal-error-type")
    if error_type is None and isinstance(body, Mapping) and isinstance(body.get("error_type"), str):
        error_type = body["error_type"]
    if error_type:
        extras.append(f"X-Fal-Error-Type: {error_type}")
    if folded.get("x-fal-request-timeout-type") == "user":
        extras.append("a timeout the request asked for")
    if folded.get("x-fal-request-id"):
        extras.append(f"x-fal-request-id: {folded['x-fal-request-id']}")
    tail = f" ({', '.join(extras)})" if extras else ""
    if len(lines) > 1:
        return f"{head}{tail}:\n" + "\n".join(f"  {line}" for line in lines)
    return f"{head}: {lines[0]}{tail}" if lines else f"{head}{tail}"


def _where(request: httpx.Request) -> str:
    url = request.url
    port = url.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(url.scheme, 0)
    return f"{url.host}:{port}"


_TIMEOUT_WHAT = {
    httpx.ConnectTimeout: "connecting to",
    httpx.ReadTimeout: "waiting for an answer from",
    httpx.WriteTimeout: "sending the request to",
    httpx.PoolTimeout: "waiting for a free connection to",
}


def transport_error(
    exc: httpx.HTTPError, request: httpx.Request, *, resent: bool = False
) -> RunError:
    """A RunTimeout or TransportError for an httpx failure; the message names ``host:port``.

    ``resent``: the request was sent a second time (on a new connection) and failed again."""
    where = _where(request)
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        what = next((t for k, t in _TIMEOUT_WHAT.items() if isinstance(exc, k)), "talking to")
        return RunTimeout(
            f"timed out {what} {where} ({type(exc).__name__})",
            hint="raise the timeout if the server is slow; the request was not re-sent",
        )
    if isinstance(exc, httpx.ConnectError):
        return TransportError(
            f"could not connect to {where}: {reason}", hint="is the server running? see --server"
        )
    return TransportError(
        f"the connection to {where} failed: {reason} ({type(exc).__name__})",
        hint="sent twice, the second time on a new connection"
        if resent
        else "the request was not re-sent",
    )
