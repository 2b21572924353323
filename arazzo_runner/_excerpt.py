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

from ._missing import MISSING
from .calls import Exchange
from .redact import Redactor
from .results import Excerpt, jsonable

MAX_BODY_CHARS = 1000
MAX_HEADERS = 20


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
    safe = redactor.redact_headers(headers)
    pairs = list(safe.items())
    if len(pairs) > MAX_HEADERS:
        pairs = pairs[:MAX_HEADERS] + [("...", f"{len(safe) - MAX_HEADERS} more headers")]
    return tuple(pairs)


def _body(body: Any, redactor: Redactor) -> str | None:
    if body is MISSING or body is None:
        return None
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(body)} bytes of binary data)"
    safe = redactor.redact_data(body, by_name=True)
    text = (
        safe
        if isinstance(safe, str)
        else json.dumps(jsonable(safe), ensure_ascii=False, default=str)
    )
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS] + f"... ({len(text) - MAX_BODY_CHARS} more characters)"
    return text
