"""An excerpt's JSON body skips the masking walk for plain JSON with nothing to mask (dicts with
``str`` keys, lists, scalars, no string under a credential-like key, no known secret in the
text): the text is the general path's for any data, and the shortcut is not taken otherwise.
``Runner(excerpts=False)`` (what ``arazzo run`` uses: it never shows them) builds none, and
the rest of the result is the same."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from arazzo_runner._missing import MISSING
from arazzo_runner.redact import Redactor
from arazzo_runner.results import RunResult, jsonable
from arazzo_runner.runner import Runner
from arazzo_runner.wire import excerpts as _excerpt
from tests.support.apps import make_petstore_app
from tests.support.asgi_server import serve
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


# -- Runner(excerpts=False) --------------------------------------------------------------------

PETSTORE = str(Path(__file__).resolve().parents[1] / "workflows" / "petstore.arazzo.yaml")
GOOD = {"username": "alice", "password": "wonderland"}


@pytest.fixture(scope="module")
def petstore() -> Iterator[str]:
    with serve(make_petstore_app()) as url:
        yield url


@pytest.mark.parametrize(
    ("inputs", "auth"),
    [
        (GOOD, {"apiKeyAuth": "wrong-api-key-123"}),
        ({**GOOD, "password": "not-the-password"}, {}),
    ],
)
def test_without_excerpts_the_result_is_the_same_but_for_them(
    petstore: str, inputs: dict[str, str], auth: dict[str, str]
) -> None:
    settings: dict[str, Any] = {"servers": {"petstore": petstore}, "auth": auth, "env": {}}
    kept = Runner(**settings).run(PETSTORE, inputs=inputs)
    skipped = Runner(**settings, excerpts=False).run(PETSTORE, inputs=inputs)
    assert any(step.excerpt is not None for step in kept.steps)
    assert all(step.excerpt is None for step in skipped.steps)
    assert _comparable(skipped) == _comparable(kept)
    for secret in (*auth.values(), "not-the-password"):
        assert secret not in repr(skipped) and secret not in skipped.explain()


def _comparable(result: RunResult) -> str:
    """The result as JSON without durations, and without the number in the pet store's tokens
    (it counts logins)."""
    data = result.to_dict()
    data.pop("durationMs")
    for step in data["steps"]:
        step.pop("durationMs")
    return re.sub(r"tok-alice-\d+", "tok-alice-N", json.dumps(data))
