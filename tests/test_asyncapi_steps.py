"""Arazzo 1.1 AsyncAPI steps that run: ``send`` / ``receive`` over a WebSocket channel.

Everything goes through the real entry point (:func:`arazzo_runner.cli.main`, exit codes
included) against real WebSocket servers on 127.0.0.1: the AsyncAPI mock that ``--mock``
starts, or a scripted ``websockets`` server (``tests.support.ws_servers``) for the cases the
mock does not play (a reply with another correlation id, silence). The workflow is
``workflows/fal-ai-websocket-workflow.arazzo.yaml`` over
``asyncapi/fal-websocket.asyncapi.yaml``; variants are written to ``tmp_path`` from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner.cli import main
from arazzo_runner.mock.asyncapi import build_asyncapi_app
from arazzo_runner.mock.serve import serve_app
from tests.support.ws_servers import HOLD, RECV, end, start, ws_server

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "workflows" / "fal-ai-websocket-workflow.arazzo.yaml"
ASYNCAPI = ROOT / "asyncapi" / "fal-websocket.asyncapi.yaml"
SOURCE = "falWebSocket"


def arazzo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = arazzo(capsys, "run", *args, "--json")
    return code, json.loads(out), err


def variant(tmp_path: Path, change: Any, asyncapi: Path = ASYNCAPI) -> str:
    """The workflow with ``change(document)`` applied, its source pointing at ``asyncapi``."""
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    document["sourceDescriptions"][0]["url"] = str(asyncapi)
    change(document)
    path = tmp_path / "variant.arazzo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def steps_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stepId"]: s for s in document["workflows"][0]["steps"]}


def test_both_new_files_validate_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = arazzo(capsys, "validate", "--strict", str(ASYNCAPI), str(WORKFLOW))
    assert code == 0, out + err
    assert "ok: 2 files valid" in out
    assert "error" not in out and "warning" not in out


def test_list_shows_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = arazzo(capsys, "list", str(WORKFLOW))
    assert code == 0
    assert "model-over-websocket" in out
    assert "prompt: string (required)" in out


def test_the_workflow_passes_against_the_mock(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = run_json(capsys, str(WORKFLOW), "--mock", "-i", "prompt=hello")
    assert code == 0, err
    assert result["status"] == "passed"
    steps = {s["stepId"]: s for s in result["steps"]}
    assert list(steps) == ["sendInput", "receiveStart", "receiveEnd"]
    started = steps["receiveStart"]["outputs"]["requestId"]
    # the mock gives each request a fresh id; the end message carries the start's
    assert len(started) == 36 and started != "5d76da89-5a6f-4b93-a5b6-9d2f0f0e2a41"
    assert steps["receiveEnd"]["outputs"]["requestId"] == started
    assert result["outputs"] == {
        "requestId": started,
        "contentType": "text/event-stream; charset=utf-8",
    }
    # the two body messages between start and end did not match the correlationId
    assert "skipped 2 message(s) of other correlationIds" in steps["receiveEnd"]["notes"]


def test_the_mock_answers_each_request_with_its_own_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two requests on one connection (one per run would not show it): two brackets."""

    def twice(document: dict[str, Any]) -> None:
        steps = document["workflows"][0]["steps"]
        send, first, last = steps
        again = [dict(send, stepId="sendAgain"), dict(first, stepId="startAgain")]
        steps[:] = [send, first, again[0], last, again[1]]
        del steps[1]["dependsOn"]
        document["workflows"][0]["outputs"] = {
            "first": "$steps.receiveStart.outputs.requestId",
            "second": "$steps.startAgain.outputs.requestId",
        }

    code, result, err = run_json(capsys, variant(tmp_path, twice), "--mock", "-i", "prompt=hi")
    assert code == 0, err
    assert result["outputs"]["first"] != result["outputs"]["second"]


def test_server_option_points_the_source_at_another_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = [RECV, start("r-1"), b"data: {}\n\n", end("r-1")]
    with ws_server([script]) as server:
        code, result, err = run_json(
            capsys, str(WORKFLOW), "-S", f"{SOURCE}={server.url}", "-i", "prompt=hello"
        )
    assert code == 0, err
    assert result["outputs"]["requestId"] == "r-1"
    assert server.handshakes == 1  # one connection for the send and both receives
    assert [json.loads(m) for m in server.received] == [{"prompt": "hello"}]


def test_the_mock_serves_on_a_port_the_server_option_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    with serve_app(build_asyncapi_app(data)) as base:
        url = "ws://" + base.split("://", 1)[1]
        code, result, err = run_json(
            capsys, str(WORKFLOW), "-S", f"{SOURCE}={url}", "-i", "prompt=x"
        )
    assert code == 0, err
    assert result["status"] == "passed"


def test_a_receive_that_times_out_fails_naming_the_step_and_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def wrong_id(document: dict[str, Any]) -> None:
        end_step = steps_of(document)["receiveEnd"]
        end_step["correlationId"] = "$inputs.requestId"
        end_step["timeout"] = 300
        document["workflows"][0]["inputs"]["properties"]["requestId"] = {"type": "string"}

    path = variant(tmp_path, wrong_id)
    code, result, err = run_json(capsys, path, "--mock", "-i", "prompt=hi", "-i", "requestId=nope")
    assert code == 1
    assert result["status"] == "failed"
    failed = result["steps"][-1]
    assert failed["stepId"] == "receiveEnd" and failed["status"] == "failed"
    reason = failed["failures"][0]["reason"]
    assert reason == (
        "step receiveEnd: no message matching correlationId 'nope' arrived within the step's"
        " timeout of 300 ms (3 other message(s) skipped)"
    )
    code, out, err = arazzo(capsys, "run", path, "--mock", "-i", "prompt=hi", "-i", "requestId=x")
    assert code == 1
    assert "receiveEnd" in out and "timeout of 300 ms" in out + err


def test_a_silent_channel_times_out_and_on_failure_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def quiet_then_end(document: dict[str, Any]) -> None:
        first = steps_of(document)["receiveStart"]
        first["timeout"] = 200
        first["onFailure"] = [{"name": "giveUp", "type": "end"}]

    script = [RECV, HOLD]
    with ws_server([script]) as server:
        code, result, _ = run_json(
            capsys,
            variant(tmp_path, quiet_then_end),
            "-S",
            f"{SOURCE}={server.url}",
            "-i",
            "prompt=hi",
        )
    assert code == 1
    assert result["endedBy"] == "giveUp"
    receive = result["steps"][1]
    assert receive["stepId"] == "receiveStart"
    assert receive["failures"][0]["reason"] == (
        "step receiveStart: no message arrived within the step's timeout of 200 ms"
    )
    assert [s["stepId"] for s in result["steps"]] == ["sendInput", "receiveStart"]


def test_message_payload_in_criteria_and_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def stricter(document: dict[str, Any]) -> None:
        first = steps_of(document)["receiveStart"]
        first["successCriteria"].append({"condition": "$message.payload#/status == 201"})
        first["outputs"]["status"] = "$message.payload#/status"

    code, result, _ = run_json(capsys, variant(tmp_path, stricter), "--mock", "-i", "prompt=p")
    assert code == 1
    step = result["steps"][1]
    assert step["outputs"]["status"] == 200
    assert [f["condition"] for f in step["failures"]] == ["$message.payload#/status == 201"]


def test_a_receive_step_reads_a_sequence_with_the_stream_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def streamed(document: dict[str, Any]) -> None:
        last = steps_of(document)["receiveEnd"]
        del last["correlationId"]
        last["x-arazzo-stream"] = {"until": "$message.payload#/type == 'end'", "maxEvents": 50}
        last["outputs"]["type"] = "$message.payload#/type"

    code, result, err = run_json(capsys, variant(tmp_path, streamed), "--mock", "-i", "prompt=p")
    assert code == 0, err
    last = result["steps"][-1]
    assert last["outputs"]["type"] == "end"
    assert last["events"] == 3  # two body messages, then the end message


def test_stream_until_never_met_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def never(document: dict[str, Any]) -> None:
        last = steps_of(document)["receiveEnd"]
        del last["correlationId"]
        last["x-arazzo-stream"] = {"until": "$message.payload#/type == 'gone'", "maxEvents": 2}

    code, result, _ = run_json(capsys, variant(tmp_path, never), "--mock", "-i", "prompt=p")
    assert code == 1
    reason = result["steps"][-1]["failures"][0]["reason"]
    until = "$message.payload#/type == 'gone'"
    assert reason == f"step receiveEnd: 2 message(s) came before `until` held ({until})"


KAFKA = """\
asyncapi: 3.0.0
info: {title: Orders, version: 1.0.0}
servers:
  broker: {host: 'localhost:9092', protocol: kafka}
channels:
  orders:
    address: orders
    messages:
      order: {payload: {type: object}}
operations:
  placeOrder:
    action: receive
    channel: {$ref: '#/channels/orders'}
"""

ORDERS = """\
arazzo: 1.1.0
info: {title: Orders, version: 1.0.0}
sourceDescriptions:
- {name: orders, url: ./orders.asyncapi.yaml, type: asyncapi}
workflows:
- workflowId: place
  steps:
  - stepId: placeOrder
    operationId: $sourceDescriptions.orders.placeOrder
    action: send
    requestBody: {payload: {petId: 1}}
"""


def test_a_kafka_source_cannot_run_naming_the_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "orders.asyncapi.yaml").write_text(KAFKA, encoding="utf-8")
    (tmp_path / "orders.arazzo.yaml").write_text(ORDERS, encoding="utf-8")
    code, out, err = arazzo(capsys, "validate", str(tmp_path / "orders.arazzo.yaml"))
    assert code == 0, out + err  # a valid document; only running it is not possible
    code, out, err = arazzo(capsys, "run", str(tmp_path / "orders.arazzo.yaml"))
    assert code == 3
    assert "cannot run step placeOrder: protocol kafka is not supported (supported: ws, wss)" in err
    assert "Traceback" not in err


def test_an_asyncapi_2_source_is_a_clear_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = KAFKA.replace("asyncapi: 3.0.0", "asyncapi: 2.6.0")
    (tmp_path / "orders.asyncapi.yaml").write_text(old, encoding="utf-8")
    (tmp_path / "orders.arazzo.yaml").write_text(ORDERS, encoding="utf-8")
    code, out, err = arazzo(capsys, "validate", str(tmp_path / "orders.asyncapi.yaml"))
    assert code == 0 and "asyncapi-2" in out  # a warning, not an error
    code, out, err = arazzo(capsys, "run", str(tmp_path / "orders.arazzo.yaml"))
    assert code == 3
    assert "AsyncAPI 2.x documents are validated but not run (supported: 3.0)" in err


def test_validate_reports_a_broken_asyncapi_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = KAFKA.replace("'#/channels/orders'", "'#/channels/missing'").replace(
        "action: receive", "action: publish"
    )
    path = tmp_path / "broken.asyncapi.yaml"
    path.write_text(broken, encoding="utf-8")
    code, out, _ = arazzo(capsys, "validate", str(path))
    assert code == 2
    assert "bad-ref" in out and "'#/channels/missing'" in out
    assert "bad-action" in out


def test_the_fal_key_goes_on_the_handshake_and_nowhere_else(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAL_KEY", "key-id:very-secret")
    script = [RECV, start("r-2"), end("r-2")]
    with ws_server([script]) as server:
        code, out, err = arazzo(
            capsys, "run", str(WORKFLOW), "-S", f"{SOURCE}={server.url}", "-i", "prompt=hi"
        )
    assert code == 0, err
    assert server.headers[0]["authorization"] == "Key key-id:very-secret"
    assert "very-secret" not in out + err


def test_an_unreachable_channel_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with ws_server([[HOLD]]) as server:
        url = server.url  # the port is free again once the server has stopped
    code, _, err = arazzo(capsys, "run", str(WORKFLOW), "-S", f"{SOURCE}={url}", "-i", "prompt=hi")
    assert code == 3
    assert "step sendInput failed: could not connect to 127.0.0.1:" in err
