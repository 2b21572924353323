"""A generic fake HTTP API that answers from a list of mock responses (for corpus workflows).

    mocks = jentic_mocks(config, entry=0) + parse_mocks(extra)
    app = make_fake_app(mocks)
    with serve(app) as base_url:
        ...
    app.state.calls       # ["GET /pet/findByTags?tags=a&tags=b", ...]
    app.state.unmatched   # requests no mock answered (they got a 404)

A mock is the dictionary format of Jentic's arazzo-engine ``test_config.yaml``::

    - path: /pet/{petId}/coupons      # template, or an absolute URL (only its path is kept)
      method: get
      query_params: {tags: [a, b]}    # optional, also spelled request_params: required values
      request_body: {recipient_id: x} # optional: required subset of the JSON or form body
      request_headers: {Authorization: Bearer t}   # optional (our addition): exact values
      status_code: 200
      response: {...}                 # JSON body; or `text:` for a plain body
      headers: {Location: ...}

The first mock whose method, path and requirements match answers; a ``{name}`` segment matches
any one segment. Jentic writes relative paths sometimes from the host (``/bnpl/v1/products``)
and sometimes from the server URL (``/echo`` under ``https://api.example.com/v1``), so a relative
mock path also matches as a whole-segment suffix of the request path. ``jentic_mocks`` puts a
test entry's own ``custom_mocks`` before the file-wide ones (theirs take precedence, as the
format's comments say).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["Mock", "jentic_mocks", "make_fake_app", "parse_mocks"]

_NO_BODY = object()


@dataclass(frozen=True)
class Mock:
    method: str
    path: str
    suffix: bool = False
    status: int = 200
    body: Any = _NO_BODY
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    request_body: Any = _NO_BODY
    request_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = [
            "[^/]+" if re.fullmatch(r"\{[^}]+\}", seg) else re.escape(seg)
            for seg in self.path.split("/")
        ]
        prefix = "(?:/[^/]+)*" if self.suffix else ""
        return re.compile(prefix + "/".join(parts).rstrip("/") + "/?")


def parse_mocks(entries: Sequence[Mapping[str, Any]]) -> list[Mock]:
    """Mocks from ``test_config.yaml``-style dictionaries (``url:`` is a synonym of ``path:``)."""
    return [_parse_mock(entry) for entry in entries]


def _parse_mock(entry: Mapping[str, Any]) -> Mock:
    where = str(entry.get("path", entry.get("url", "/")))
    absolute = bool(urlsplit(where).scheme)
    return Mock(
        method=str(entry.get("method", "get")).upper(),
        path=(urlsplit(where).path or "/") if absolute else where,
        suffix=not absolute,
        status=int(entry.get("status_code", 200)),
        body=entry["response"] if "response" in entry else _NO_BODY,
        text=entry.get("text"),
        headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
        query=dict(entry.get("query_params") or entry.get("request_params") or {}),
        request_body=entry["request_body"] if "request_body" in entry else _NO_BODY,
        request_headers={str(k): str(v) for k, v in (entry.get("request_headers") or {}).items()},
    )


def jentic_mocks(config: Mapping[str, Any], entry: int) -> list[Mock]:
    """The mocks for ``config["workflows"][entry]``: its own first, then every file-wide one."""
    test = config["workflows"][entry]
    own = parse_mocks(test.get("custom_mocks") or [])
    shared: list[Mock] = []
    for mocks in (config.get("custom_mocks") or {}).values():
        shared.extend(parse_mocks(mocks or []))
    return own + shared


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_ok(wanted: Mapping[str, Any], got: Mapping[str, list[str]]) -> bool:
    for name, value in wanted.items():
        values = got.get(name, [])
        if isinstance(value, list):
            joined = [v for raw in values for v in raw.split(",")]
            if [_text(v) for v in value] not in (values, joined):
                return False
        elif values != [_text(value)]:
            return False
    return True


def _subset(wanted: Any, got: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(got, Mapping) and all(
            key in got and _subset(value, got[key]) for key, value in wanted.items()
        )
    if isinstance(got, str) and not isinstance(wanted, str):
        return got == _text(wanted)  # form bodies carry text only
    return bool(wanted == got)


def _body(raw: bytes, content_type: str) -> Any:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return {k: v[0] for k, v in parse_qs(raw.decode("latin-1")).items()}
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _matches(mock: Mock, request: Request, query: Mapping[str, list[str]], body: Any) -> bool:
    if mock.method != request.method or not mock.pattern.fullmatch(request.url.path):
        return False
    if not _query_ok(mock.query, query):
        return False
    if any(request.headers.get(k) != v for k, v in mock.request_headers.items()):
        return False
    return mock.request_body is _NO_BODY or _subset(mock.request_body, body)


def _answer(mock: Mock) -> Response:
    if mock.body is not _NO_BODY:
        return JSONResponse(mock.body, status_code=mock.status, headers=dict(mock.headers))
    return Response(mock.text or b"", status_code=mock.status, headers=dict(mock.headers))


def make_fake_app(mocks: Sequence[Mock]) -> Starlette:
    """A starlette app answering every request from ``mocks`` (404 JSON when none matches)."""
    calls: list[str] = []
    unmatched: list[str] = []

    async def handle(request: Request) -> Response:
        raw_query = request.url.query
        line = f"{request.method} {request.url.path}" + (f"?{raw_query}" if raw_query else "")
        calls.append(line)
        query = parse_qs(raw_query, keep_blank_values=True)
        body = _body(await request.body(), request.headers.get("content-type", ""))
        for mock in mocks:
            if _matches(mock, request, query, body):
                return _answer(mock)
        unmatched.append(line)
        return JSONResponse({"error": f"no mock for {line}"}, status_code=404)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{rest:path}", handle, methods=methods)])
    app.state.calls = calls
    app.state.unmatched = unmatched
    return app
