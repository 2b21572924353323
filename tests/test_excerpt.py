"""An excerpt's JSON body skips the masking walk for plain JSON with nothing to mask (dicts with
``str`` keys, lists, scalars, no string under a credential-like key, no known secret in the
text): the text is the general path's for any data, and the shortcut is not taken otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from arazzo_runner import _excerpt
from arazzo_runner._missing import MISSING
from arazzo_runner.redact import Redactor
from arazzo_runner.results import jsonable
from tests.support.json_data import ANY_DATA, data_and_redactor


def _general_body(body: Any, redactor: Redactor) -> str | None:
    """``_excerpt._body`` before the shortcut."""
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
    if len(text) > _excerpt.MAX_BODY_CHARS:
        return text[: _excerpt.MAX_BODY_CHARS] + f"... ({len(text) - 1000} more characters)"
    return text


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_and_redactor(ANY_DATA))
def test_excerpt_body_is_the_general_path_text(case: tuple[Any, Redactor]) -> None:
    body, redactor = case
    assert _excerpt._body(body, redactor) == _general_body(body, redactor)


@pytest.mark.parametrize(
    "body",
    [
        {"token": "abc"},  # a credential-like key over a string: masked by name
        {"a": [{"password": "x"}]},
        {1: "one"},  # a key jsonable turns into text its own way
        {"a": ("t", "u")},
        {"a": b"bytes"},
        {"a": MISSING},
        {"a": {1, 2}},
        ("a", "b"),
        "text",
    ],
)
def test_excerpt_shortcut_is_not_taken_where_it_must_not(body: Any) -> None:
    redactor = Redactor()
    assert _excerpt._plain_text(body, redactor) is None
    assert _excerpt._body(body, redactor) == _general_body(body, redactor)


def test_excerpt_shortcut_is_not_taken_when_a_secret_shows() -> None:
    redactor = Redactor(["abcd-1234"])
    body = {"note": "key abcd-1234", "n": 1}
    assert _excerpt._plain_text(body, redactor) is None
    assert _excerpt._body(body, redactor) == '{"note": "key ***", "n": 1}'
    assert _excerpt._plain_text({"id": 5, "ok": True}, redactor) == '{"id": 5, "ok": true}'


@pytest.mark.parametrize("count", [0, 1, 20, 21, 30])
def test_excerpt_headers_are_the_general_path_pairs(count: int) -> None:
    redactor = Redactor(["s3cret-v"])
    headers = {f"X-H{i}": f"v{i} s3cret-v" for i in range(count)}
    headers.update({"Authorization": "Bearer t0ken-xyz"} if count else {})
    general = list(redactor.redact_headers(headers).items())
    if len(general) > _excerpt.MAX_HEADERS:
        more = len(general) - _excerpt.MAX_HEADERS
        general = general[: _excerpt.MAX_HEADERS] + [("...", f"{more} more headers")]
    assert _excerpt._headers(headers, redactor) == tuple(general)
