"""``arazzo run --stream`` options against a real fal-like SSE app on 127.0.0.1: ``--until``
(JMESPath truthiness, implies ``--stream``), ``--query``, bad expressions refused before any
request, and the status line a terminal gets cleared before each event line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from arazzo_runner.cli import main
from arazzo_runner.cli.jmespath_options import compile_option, truthy
from arazzo_runner.cli.output import StreamPrinter
from arazzo_runner.cli.progress import CLEAR, LiveProgress
from arazzo_runner.errors import InputError
from arazzo_runner.redact import Redactor
from arazzo_runner.streaming.sse import ServerSentEvent
from tests.support.apps import make_fal_app
from tests.support.asgi_server import serve

FAL = str(
    Path(__file__).resolve().parents[1] / "workflows" / "fal-ai-stream-inference-workflow.yml"
)
INPUTS = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']
DATA = [
    {"output": "a", "partial": True, "error": None, "n": 0},
    {"output": "ab", "partial": True, "error": None, "n": 1},
    {"output": "abc", "partial": False, "error": None, "n": 2},
]
EVENTS = [{"event": "event", "data": data} for data in DATA]


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Starlette, str]]:
    monkeypatch.setenv("FAL_KEY", "fal-test-key-123")
    app = make_fal_app("finite", interval_ms=1, events=EVENTS)
    with serve(app) as url:
        yield app, url


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(["run", FAL, *INPUTS, "-S", f"falModelApis={url}", *args])
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


def event_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [json.loads(line["data"]) for line in lines if line["type"] == "event"]


def test_until_stops_at_the_first_true_event_and_implies_stream(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = fal
    code, out, err = run(capsys, url, "--json", "--until", "output == 'ab'")
    assert code == 0, err
    assert [event["n"] for event in event_lines(out)] == [0, 1]
    assert json.loads(out.splitlines()[-1])["type"] == "result"


def test_until_uses_jmespath_truthiness(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = fal
    # n is 0 on the first event: a number is true in JMESPath (it is false in Python)
    code, out, _ = run(capsys, url, "--json", "--until", "n")
    assert code == 0 and [event["n"] for event in event_lines(out)] == [0]
    # error is null on every event: never true, so every event is read
    code, out, _ = run(capsys, url, "--json", "--until", "error")
    assert code == 0 and [event["n"] for event in event_lines(out)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("option", "text"), [("--until", "partial == `false"), ("--query", "outputs.[")]
)
def test_a_bad_expression_is_exit_2_before_any_request(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], option: str, text: str
) -> None:
    app, url = fal
    code, out, err = run(capsys, url, "--stream", option, text)
    assert code == 2 and out == ""
    assert f"{option} {text!r} is not a JMESPath expression" in err
    assert "Traceback" not in err
    assert app.state.fal.requests == []


def test_query_applies_to_the_result(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = fal
    code, out, err = run(capsys, url, "--query", "steps[0].statusCode")
    assert code == 0, err
    assert out.strip() == "200"


def test_truthiness_table() -> None:
    assert [truthy(v) for v in (None, False, "", [], {})] == [False] * 5
    assert [truthy(v) for v in (0, 0.0, "x", [0], {"a": None}, True)] == [True] * 6
    assert compile_option(None, "--until") is None
    with pytest.raises(InputError, match="--query"):
        compile_option("a.[", "--query")


def test_a_terminal_gets_its_status_line_cleared_before_each_event_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    screen = io.StringIO()
    progress = LiveProgress(screen, Redactor(), final_lines=False)
    printer = StreamPrinter(as_json=False, until=None, redactor=Redactor(), status=progress)
    events = [ServerSentEvent(data=json.dumps(e), event="event") for e in DATA]
    progress.step_started("stream-inference", "openStream")
    printer("openStream", iter(events))
    out = capsys.readouterr().out
    assert out.count("[openStream] #") == 3
    shown = screen.getvalue()
    # drawn at the start and after each event, cleared before each event line and at the end
    assert shown.count("stream-inference/openStream") == 4
    assert shown.count(CLEAR) == 4 + 4 and shown.endswith(CLEAR)
