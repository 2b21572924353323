"""An error answer fails its step with the server's own word on it: fal's 422 ``detail``,
``X-Fal-Error-Type`` and ``x-fal-request-id``, a proxy's HTML 502 named as such, and a 200 that
is not the stream the operation promised. Real fal-like app on 127.0.0.1, real CLI entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arazzo_runner.cli import main
from arazzo_runner.streaming.extension import event_value, reported_error, reports_no_error
from arazzo_runner.streaming.sse import ServerSentEvent
from tests.support.apps import make_fal_app
from tests.support.asgi_server import serve

FAL = str(
    Path(__file__).resolve().parents[1] / "workflows" / "fal-ai-stream-inference-workflow.yml"
)
INPUTS = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']


def run(capsys: pytest.CaptureFixture[str], mode: str, *args: str) -> tuple[int, str, str]:
    with serve(make_fal_app(mode)) as url:  # type: ignore[arg-type]
        with pytest.raises(SystemExit) as caught:
            main(["run", FAL, *INPUTS, "-S", f"falModelApis={url}", *args])
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


@pytest.fixture(autouse=True)
def fal_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FAL_KEY", "fal-test-key-123")
    yield


def test_a_422_names_fal_detail_error_type_and_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "validation-error", "--stream")
    assert code == 1
    assert "HTTP 422 Unprocessable Entity: body.prompt: field required" in out
    assert "X-Fal-Error-Type: validation_error" in out and "x-fal-request-id: " in out
    assert "422" in err and "body.prompt: field required" in err  # the one-line run error too


def test_the_json_result_carries_the_description_as_a_response_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "validation-error", "--json")
    assert code == 1
    [step] = json.loads(out)["steps"]
    assert step["statusCode"] == 422
    assert step["failures"][0]["condition"] == "$statusCode == 200"
    described = step["failures"][-1]
    assert described["source"] == "response" and described["condition"] is None
    assert described["reason"].startswith("HTTP 422 Unprocessable Entity")


def test_an_html_502_is_reported_as_a_proxy_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bad-gateway")
    assert code == 1
    assert "HTTP 502 Bad Gateway: HTML error page from a proxy" in out
    assert "<html" not in out.lower()


def test_a_json_200_where_a_stream_was_promised_is_a_clear_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "json", "--stream")
    assert code == 1
    assert "expected text/event-stream, got application/json" in out


def test_a_passing_stream_has_no_response_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "finite", "--json")
    assert code == 0
    assert json.loads(out)["steps"][0]["failures"] == []


def test_a_stream_event_with_an_error_fails_the_step_under_stream(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "model-error", "--stream", "--json")
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert [line["type"] for line in lines] == ["event", "event", "result"]
    [step] = lines[-1]["steps"]
    assert step["status"] == "failed"
    failure = step["failures"][-1]
    assert failure["source"] == "stream"
    assert failure["reason"].startswith("the stream reported an error in event 2: ")


def test_without_stream_the_open_stream_is_judged_on_its_headers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "model-error", "--json")
    assert code == 0  # nobody read the events: the 200 text/event-stream is the step's answer
    assert json.loads(out)["steps"][0]["failures"] == []


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda kids: st.lists(kids) | st.dictionaries(st.sampled_from(["error", "x"]), kids),
    )
)
def test_the_printer_skips_parsing_only_events_that_cannot_carry_an_error(value: object) -> None:
    """``reports_no_error`` lets ``--stream`` skip parsing an event: it must never hide one."""
    for data in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        if reports_no_error(data):
            assert reported_error(event_value(ServerSentEvent(data=data))) is None


def test_the_shortcut_sees_the_common_shapes() -> None:
    assert reports_no_error('{"output": "x", "partial": true, "error": null}')
    assert reports_no_error('{"output": "x"}')
    assert not reports_no_error('{"output": "x", "error": "boom"}')
    assert not reports_no_error('{"\\u0065rror": "boom"}')
    assert not reports_no_error('{"error": null, "x": {"error": 1}}')
