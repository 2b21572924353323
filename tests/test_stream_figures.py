"""Streaming figures: time to first byte and first event, event count, gaps between events.

The arithmetic is checked on :class:`~arazzo_runner.streaming.figures.Arrivals` with made-up
clocks; the rest streams for real from an app on 127.0.0.1 that waits before its first event
and between events, and checks the figures in ``--json``, the JSON and JUnit reports and the
terminal lines against those waits, with generous bounds (never exact times).
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from arazzo_runner.streaming.figures import SAMPLE, Arrivals
from tests.support.asgi_server import serve
from tests.support.reports import run_cli

FIRST_MS, GAP_MS, EVENTS = 200, 60, 4

OPENAPI = """\
openapi: 3.1.0
info: {title: ticks, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9/unused"}]
paths:
  /ticks:
    get:
      operationId: ticks
      responses:
        "200":
          description: events
          content:
            text/event-stream:
              schema: {type: string}
  /plain:
    get:
      operationId: plain
      responses:
        "200":
          description: json
          content:
            application/json:
              schema: {type: object}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: ticks, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: ticks.openapi.yaml, type: openapi}
workflows:
  - workflowId: read
    steps:
      - stepId: plain
        operationId: plain
      - stepId: ticks
        operationId: ticks
        x-arazzo-stream: {maxEvents: 10}
  - workflowId: handed
    steps:
      - stepId: ticks
        operationId: ticks
"""


def _app() -> Starlette:
    async def ticks(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            await asyncio.sleep(FIRST_MS / 1000)
            for n in range(EVENTS):
                if n:
                    await asyncio.sleep(GAP_MS / 1000)
                yield f'data: {{"n": {n}}}\n\n'.encode()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def plain(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/ticks", ticks), Route("/plain", plain)])


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    (tmp_path / "ticks.openapi.yaml").write_text(OPENAPI)
    path = tmp_path / "ticks.arazzo.yaml"
    path.write_text(ARAZZO)
    return path


# -- the arithmetic --------------------------------------------------------------------------


def test_first_event_gaps_and_percentiles_from_arrivals() -> None:
    arrivals = Arrivals(sent_at=10.0, opened_at=10.005)
    for now in (10.050, 10.060, 10.080, 10.110):  # gaps 10, 20, 30 ms
        arrivals.arrived(now, 1)
    figures = arrivals.figures(4)
    assert (figures.first_byte_ms, figures.first_event_ms, figures.events) == (5.0, 50.0, 4)
    assert (figures.gap_p50_ms, figures.gap_p99_ms, figures.gap_max_ms) == (20.0, 30.0, 30.0)


def test_events_of_one_read_count_as_zero_gaps() -> None:
    arrivals = Arrivals(sent_at=None, opened_at=0.0)
    arrivals.arrived(1.0, 3)  # three events in the first read: two zero gaps
    arrivals.arrived(1.5, 1)
    figures = arrivals.figures(4)
    assert figures.first_byte_ms is None  # no send time given
    assert figures.first_event_ms == 1000.0  # from the stream's creation
    assert (figures.gap_p50_ms, figures.gap_p99_ms, figures.gap_max_ms) == (0.0, 500.0, 500.0)


def test_no_event_and_one_event_have_no_gaps() -> None:
    none = Arrivals(sent_at=0.0, opened_at=0.001).figures(0)
    assert (none.first_event_ms, none.gap_p50_ms, none.gap_max_ms) == (None, None, None)
    one = Arrivals(sent_at=0.0, opened_at=0.001)
    one.arrived(0.002, 1)
    assert one.figures(1).gap_p99_ms is None


def test_a_long_stream_keeps_a_bounded_sample_and_the_exact_max() -> None:
    arrivals = Arrivals(sent_at=0.0, opened_at=0.0)
    now = 0.0
    for i in range(SAMPLE * 5):
        now += 0.001 if i != SAMPLE * 3 else 0.5  # one long gap in the middle
        arrivals.arrived(now, 1)
    figures = arrivals.figures(SAMPLE * 5)
    assert len(arrivals.gaps) == SAMPLE
    assert figures.gap_max_ms == 500.0
    assert figures.gap_p50_ms == pytest.approx(1.0, abs=0.01)


# -- real streams ----------------------------------------------------------------------------


def _check(figures: dict[str, object], events: int = EVENTS) -> None:
    first_byte, first_event = figures["firstByteMs"], figures["firstEventMs"]
    assert isinstance(first_byte, float) and isinstance(first_event, float)
    assert 0 <= first_byte <= first_event
    assert first_event >= FIRST_MS  # the app waits that long after the request arrived
    assert figures["events"] == events
    gaps = figures["gapMs"]
    assert isinstance(gaps, dict)
    assert 0 < gaps["p50"] <= gaps["p99"] <= gaps["max"]
    assert gaps["max"] >= GAP_MS / 2  # loopback jitter can shorten one gap, not halve them all


def test_json_carries_the_figures_of_a_consumed_stream(
    capsys: pytest.CaptureFixture[str], doc: Path, base: str
) -> None:
    code, out, err = run_cli(capsys, "run", str(doc), "-w", "read", "-S", f"api={base}", "--json")
    assert code == 0, err
    plain, ticks = json.loads(out)["steps"]
    assert "stream" not in plain
    _check(ticks["stream"])


def test_json_carries_the_figures_of_a_stream_handed_to_stream(
    capsys: pytest.CaptureFixture[str], doc: Path, base: str
) -> None:
    args = ("run", str(doc), "-w", "handed", "-S", f"api={base}", "--stream", "--json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["type"] == "result"
    _check(result["steps"][0]["stream"])
    args = ("run", str(doc), "-w", "handed", "-S", f"api={base}", "--stream")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "handed/ticks 200" in out and f"({EVENTS} events, first event " in out


def test_reports_and_terminal_show_the_figures(
    capsys: pytest.CaptureFixture[str], doc: Path, base: str, tmp_path: Path
) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    args = ("run", str(doc), "--all", "-S", f"api={base}")
    code, out, err = run_cli(capsys, *args, "--report-json", str(report), "--junit-xml", str(junit))
    assert code == 0, err
    read = json.loads(report.read_text())[0]
    _check(read["steps"][1]["stream"])
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    properties = {
        p.get("name"): float(p.get("value", "nan")) for p in cases["read"].iter("property")
    }
    assert set(properties) == {
        f"stream.ticks.{name}"
        for name in ("firstByteMs", "firstEventMs", "events", "gapP50Ms", "gapP99Ms", "gapMaxMs")
    }
    assert properties["stream.ticks.firstEventMs"] >= FIRST_MS
    assert properties["stream.ticks.events"] == EVENTS
    lines = out.splitlines()
    assert any(
        "read/ticks 200" in line and f"({EVENTS} events, first event" in line for line in lines
    )
    header = next(line for line in lines if line.startswith("workflow "))
    assert header.split()[:6] == ["workflow", "status", "steps", "duration", "first", "event"]
