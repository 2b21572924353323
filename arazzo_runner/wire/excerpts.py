"""A short, redacted :class:`~arazzo_runner.results.Excerpt` of one exchange, for failure messages.

Secrets are masked when the excerpt is made, through the run's
:class:`~arazzo_runner.redact.Redactor`: credential-looking header values whatever they hold,
body fields whose names look like credentials (``password``, ``token``...), and every known
secret wherever it appears (URL, headers, bodies). Bodies are cut to :data:`MAX_BODY_CHARS`.
"""

from __future__ import annotations

__all__ = ["MAX_BODY_CHARS", "MAX_HEADERS", "excerpt"]

import json
from collections.abc import Mapping
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.engine import Exchange
from arazzo_runner.redact import Redactor, sensitive_name
from arazzo_runner.results import JSON_SCALAR_TYPES, Excerpt, jsonable

MAX_BODY_CHARS = 1000
MAX_HEADERS = 20

_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
"""Exactly ``json.dumps(data, ensure_ascii=False, default=str)``, without a new encoder per call."""


def excerpt(exchange: Exchange, redactor: Redactor) -> Excerpt | None:
    """The excerpt of ``exchange``, or None when no request was built."""
    if not exchange.method or not exchange.url:
        return None
    streamed = exchange.stream is not None
    return Excerpt(
        method=exchange.method,
        url=redactor.redact_text(exchange.url),
        request_headers=_headers(exchange.request_headers, redactor),
        request_body=_body(exchange.request_body, redactor),
        status_code=exchange.status_code,
        response_headers=_headers(exchange.response_headers, redactor),
        response_body=None if streamed else _body(exchange.response_body, redactor),
        streamed=streamed,
    )


def _headers(headers: Mapping[str, str], redactor: Redactor) -> tuple[tuple[str, str], ...]:
    if not headers:
        return ()
    pairs = list(redactor.redact_headers(headers).items())
    if len(pairs) > MAX_HEADERS:
        pairs = pairs[:MAX_HEADERS] + [("...", f"{len(pairs) - MAX_HEADERS} more headers")]
    return tuple(pairs)


def _body(body: Any, redactor: Redactor) -> str | None:
    if body is MISSING or body is None:
        return None
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(body)} bytes of binary data)"
    text = _plain_text(body, redactor)
    if text is None:
        safe = redactor.redact_data(body, by_name=True)
        text = safe if isinstance(safe, str) else _JSON.encode(jsonable(safe))
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS] + f"... ({len(text) - MAX_BODY_CHARS} more characters)"
    return text


def _plain_text(body: Any, redactor: Redactor) -> str | None:
    """The text the general path makes, for a JSON object or array with nothing to mask; None
    for anything else (the general path then runs).

    *Plain* (:func:`_plain`): built of dicts with ``str`` keys, lists and JSON scalars, with no
    string under a credential-like key. For such data ``jsonable`` changes nothing and
    ``redact_data(by_name=True)`` only masks known secrets inside strings; when the JSON text
    holds none of them (:meth:`Redactor.clean_json`), the general path's text is that text.
    """
    if type(body) is not dict and type(body) is not list:
        return None
    try:
        if not _plain(body):
            return None
    except RecursionError:
        return None
    text = _JSON.encode(body)
    return text if redactor.clean_json(text) else None


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) is str:
                if sensitive_name(key):
                    return False
            elif not _plain(item):
                return False
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    return kind in JSON_SCALAR_TYPES
