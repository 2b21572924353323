"""Description checks in real runs: a starlette server on 127.0.0.1 answers what each test
sets, ``arazzo run`` (a child process) or :class:`Runner` checks it against the description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from arazzo_runner import Runner
from tests.support.asgi_server import serve
from tests.support.cli import arazzo

DATA = Path(__file__).parent / "data"
SHOP = DATA / "contract" / "shop.arazzo.yaml"
SECRET = "k3y-d0-not-show"
GOOD = {"items": [{"name": "pen", "price": 1.5}], "next": None}


@dataclass
class Shop:
    """What ``GET /items`` answers, and how often it was asked."""

    body: Any = field(default_factory=lambda: GOOD)
    status: int = 200
    content_type: str = "application/json"
    calls: int = 0


def _shop_app(shop: Shop) -> Starlette:
    async def items(request: Request) -> Response:
        shop.calls += 1
        text = shop.body if isinstance(shop.body, str) else json.dumps(shop.body)
        return Response(text, shop.status, headers={"X-Total": "1"}, media_type=shop.content_type)

    return Starlette(routes=[Route("/items", items)])


@pytest.fixture()
def shop() -> Iterator[tuple[Shop, str]]:
    state = Shop()
    with serve(_shop_app(state)) as url:
        yield state, url


def _run(url: str, *extra: str, limit: int = 10) -> Any:
    return arazzo(
        "run", str(SHOP), "-S", f"shop={url}", "-i", f"limit={limit}",
        "--auth", f"apiKey={SECRET}", *extra,
    )  # fmt: skip


def test_a_body_that_breaks_its_schema_fails_with_pointer_keyword_and_line(
    shop: tuple[Shop, str],
) -> None:
    state, url = shop
    state.body = {"items": [{"name": "pen", "price": "cheap"}]}
    done = _run(url)
    assert done.code == 1, done.text
    assert "schema: the response body at /items/0/price" in done.text
    assert "keyword type" in done.text
    lines = (DATA / "openapi" / "shop.openapi.yaml").read_text().splitlines()
    where = done.text.split("shop.openapi.yaml:", 1)[1].split(")", 1)[0]
    assert lines[int(where) - 1].strip() == "type: number"


def test_schema_warn_passes_and_shows_the_warning(shop: tuple[Shop, str]) -> None:
    state, url = shop
    state.body = {"items": [{"name": "pen", "price": "cheap"}]}
    done = _run(url, "--severity", "schema=warn")
    assert done.code == 0, done.text
    assert "warning: schema: the response body at /items/0/price" in done.text


@pytest.mark.parametrize(
    ("status", "content_type", "check"),
    [(500, "application/json", "status-code"), (200, "text/html", "content-type")],
)
def test_an_undeclared_status_or_media_type_fails_its_check(
    shop: tuple[Shop, str], status: int, content_type: str, check: str
) -> None:
    state, url = shop
    state.status, state.content_type, state.body = status, content_type, "<p>hello</p>"
    done = _run(url, "--json", "--severity", "schema=off")
    data = json.loads(done.out)
    [failure] = [f for f in data["steps"][0]["failures"] if f.get("check")]
    assert failure["check"] == check and failure["severity"] == "error"
    off = _run(url, "--json", "--severity", f"{check}=off", "--severity", "schema=off")
    checks = [f.get("check") for f in json.loads(off.out)["steps"][0]["failures"]]
    assert check not in checks


def test_a_request_the_description_forbids_is_not_sent(shop: tuple[Shop, str]) -> None:
    state, url = shop
    done = _run(url, limit=99)
    assert done.code == 1, done.text
    assert "request: query parameter 'limit' at /: 99 is greater than the maximum of 50" in (
        done.text
    )
    assert state.calls == 0
    assert _run(url, "--severity", "request=warn", limit=99).code == 0
    assert state.calls == 1


def test_json_junit_and_har_name_the_check_and_keep_secrets_masked(
    shop: tuple[Shop, str], tmp_path: Path
) -> None:
    state, url = shop
    state.body = {"items": SECRET}
    junit, har = tmp_path / "run.xml", tmp_path / "run.har"
    done = _run(url, "--json", "--junit-xml", str(junit), "--har", str(har))
    assert done.code == 1
    [failure] = json.loads(done.out)["steps"][0]["failures"]
    assert failure["check"] == "schema" and failure["pointer"] == "/items"
    assert failure["keyword"] == "type" and "shop.openapi.yaml:" in failure["schema"]
    xml = junit.read_text()
    assert "schema: the response body at /items" in xml and "keyword type" in xml
    [entry] = json.loads(har.read_text())["log"]["entries"]
    [check] = entry["_checks"]
    assert check["check"] == "schema" and check["pointer"] == "/items"
    for text in (done.text, xml, json.dumps(entry["_checks"])):
        assert SECRET not in text
        assert "***" in text


def _ticks_app(sent: list[int]) -> Starlette:
    async def ticks(request: Request) -> Response:
        from starlette.responses import StreamingResponse

        count, bad = int(request.query_params["count"]), int(request.query_params["bad"])

        async def frames() -> Any:
            block = []
            for n in range(1, count + 1):
                data = {"n": "five" if n == bad else n, "text": "tick"}
                block.append(f"event: tick\ndata: {json.dumps(data)}\n\n")
                if len(block) == 500 or n == count:
                    sent.append(n)
                    yield "".join(block).encode()
                    block = []

        return StreamingResponse(frames(), media_type="text/event-stream")

    return Starlette(routes=[Route("/ticks", ticks)])


def _stream(url: str, count: int, bad: int, **settings: Any) -> tuple[list[Any], Any]:
    runner = Runner(servers={"events": url}, **settings)
    events = []
    inputs = {"count": count, "bad": bad}
    with runner.stream(DATA / "contract" / "ticks.arazzo.yaml", inputs=inputs) as run:
        for _, event in run:
            events.append(json.loads(event.data)["n"])
        return events, run.result


def test_an_event_that_breaks_the_item_schema_fails_the_step_at_that_event() -> None:
    with serve(_ticks_app([])) as url:
        events, result = _stream(url, 10, 7)
    assert events == [1, 2, 3, 4, 5, 6]  # delivered before the bad one, nothing after
    assert result.status == "failed"
    [failure] = result.steps[0].failures
    assert failure.check == "event-schema" and failure.pointer == "/data/n"
    assert "event 7" in failure.reason and failure.keyword == "type"
    assert failure.schema is not None and "events-contract.openapi.yaml:" in failure.schema


def test_event_schema_warn_delivers_every_event() -> None:
    with serve(_ticks_app([])) as url:
        events, result = _stream(url, 10, 7, severity={"event-schema": "warn"})
    assert len(events) == 10 and result.passed
    [warning] = result.steps[0].warnings
    assert warning.severity == "warn" and "event 7" in warning.reason


def test_a_long_stream_is_checked_event_by_event_with_flat_memory() -> None:
    """100 000 events, every one checked (the last one breaks the schema and is caught), while
    the memory the run holds stays flat: nothing of the stream is kept."""
    import tracemalloc

    samples: dict[int, int] = {}
    with serve(_ticks_app([])) as url:
        tracemalloc.start()
        try:
            count = 0
            runner = Runner(servers={"events": url})
            inputs = {"count": 100_000, "bad": 100_000}
            with runner.stream(DATA / "contract" / "ticks.arazzo.yaml", inputs=inputs) as run:
                for _ in run:
                    count += 1
                    if count in (2_000, 99_000):
                        samples[count] = tracemalloc.get_traced_memory()[0]
                result = run.result
        finally:
            tracemalloc.stop()
    assert count == 99_999
    [failure] = result.steps[0].failures
    assert "event 100000" in failure.reason and failure.check == "event-schema"
    growth = samples[99_000] - samples[2_000]
    assert growth < 512 * 1024, growth  # 97 000 events (about 4 MB) went through in between


@pytest.mark.parametrize(("bad", "passed"), [(0, True), (7, False)])
def test_a_stream_consumed_in_the_step_is_checked_too(bad: int, passed: bool) -> None:
    """``x-arazzo-stream``: the bad event ends the stream; the check is the reason, not the
    ``until`` that was no longer reached."""
    path = DATA / "contract" / "ticks-consumed.arazzo.yaml"
    with serve(_ticks_app([])) as url:
        result = Runner(servers={"events": url}).run(path, inputs={"count": 10, "bad": bad})
    assert result.passed is passed, result.explain()
    step = result.steps[0]
    if passed:
        assert step.events == 10 and step.outputs == {"last": 10}
        return
    assert step.events == 6 and step.outputs == {"last": 6}
    [failure] = step.failures
    assert failure.check == "event-schema" and "event 7" in failure.reason
