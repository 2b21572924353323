"""The WebSocket transport end to end: the same workflow, results and events as over HTTP.

The mock (:mod:`arazzo_runner.mock`) serves every POST operation over fal's HTTP over
WebSockets too, on the same port as HTTP, so each test compares the two transports against one
real server on 127.0.0.1. Faults are in :mod:`tests.test_faults_websocket`.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.engine import Engine
from arazzo_runner.errors import RunTimeout
from arazzo_runner.mock import build_app, load_indexes, serve_app
from arazzo_runner.runner import Runner
from arazzo_runner.wire import SocketPool, WebSocketExecutor
from arazzo_runner.wire.fal_websocket import websocket_url
from arazzo_runner.wire.websocket import Socket, open_socket
from tests.support.cli import arazzo
from tests.support.ws_servers import RECV, Close, end, start, ws_server

ROOT = Path(__file__).resolve().parents[1]
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
HEADLINE = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
INPUTS = {"modelOwner": "fal-ai", "modelName": "any-llm", "input": {"prompt": "Why?"}}
NO_KEY = {"FAL_KEY": "", "FAL_KEY_ID": "", "FAL_KEY_SECRET": ""}


@dataclass
class Counting:
    """ASGI wrapper counting WebSocket handshakes and HTTP requests that reach the app."""

    app: Any
    handshakes: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with self.lock:
            if scope["type"] == "websocket":
                self.handshakes += 1
            elif scope["type"] == "http":
                self.requests += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def fal_mock() -> Iterator[tuple[Counting, str]]:
    (index,) = load_indexes(str(FAL_OPENAPI)).values()
    counting = Counting(build_app(index))
    with serve_app(counting) as base_url:
        yield counting, base_url


def _cli_events(*args: str) -> list[dict[str, Any]]:
    command = ["run", str(HEADLINE), "--mock", "--stream", "--json", *args]
    for name, value in INPUTS.items():
        command += ["-i", f"{name}={json.dumps(value) if isinstance(value, dict) else value}"]
    done = arazzo(*command, env=NO_KEY)
    assert done.code == 0, done.text
    lines = [json.loads(line) for line in done.out.splitlines() if line.strip()]
    *events, result = lines
    assert result["type"] == "result" and result["status"] == "passed", result
    return events


def test_headline_workflow_streams_the_same_seven_events_over_websocket() -> None:
    over_websocket = _cli_events("--transport", "websocket")
    over_http = _cli_events()
    assert len(over_websocket) == 7
    assert over_websocket == over_http
    assert json.loads(over_websocket[-1]["data"])["partial"] is False


def test_python_api_transport_websocket(fal_mock: tuple[Counting, str]) -> None:
    counting, base_url = fal_mock
    seen: list[tuple[str, Any]] = []
    runner = Runner(
        transport="websocket",
        servers={"falModelApis": base_url.replace("http://", "ws://")},
        auth={"falKey": "mock-id:mock-secret"},
        env={},
        stream_consumer=lambda step, events: seen.extend((step, e.json()) for e in events),
    )
    before = counting.handshakes
    result = runner.run(HEADLINE, inputs=INPUTS)
    assert result.passed, result.explain()
    assert counting.handshakes == before + 1
    [step] = result.steps
    assert step.status_code == 200 and step.url.startswith("ws://127.0.0.1:")
    assert [s for s, _ in seen] == ["openStream"] * 7
    assert seen[-1][1]["partial"] is False


def test_http_urls_in_servers_are_carried_over_websocket_too(
    fal_mock: tuple[Counting, str],
) -> None:
    counting, base_url = fal_mock
    runner = Runner(transport="websocket", servers={"falModelApis": base_url}, env={})
    runner.auth = {"falKey": "mock"}
    before_ws, before_http = counting.handshakes, counting.requests
    result = runner.run(HEADLINE, inputs=INPUTS)
    assert result.passed, result.explain()
    assert (counting.handshakes - before_ws, counting.requests - before_http) == (1, 0)


def test_runs_inside_one_runner_share_one_connection(fal_mock: tuple[Counting, str]) -> None:
    counting, base_url = fal_mock
    before = counting.handshakes
    counts: list[int] = []
    with Runner(
        transport="websocket",
        servers={"falModelApis": base_url},
        auth={"falKey": "k"},
        env={},
        stream_consumer=lambda step, events: counts.append(sum(1 for _ in events)),
    ) as runner:
        for _ in range(3):
            result = runner.run(HEADLINE, inputs=INPUTS)
            assert result.passed, result.explain()
    assert counts == [7, 7, 7]
    assert counting.handshakes == before + 1


def test_a_stream_left_unread_closes_its_connection(fal_mock: tuple[Counting, str]) -> None:
    """As an HTTP stream nobody reads is disconnected: the server stops, nothing is drained."""
    counting, base_url = fal_mock
    before = counting.handshakes
    with Runner(
        transport="websocket", servers={"falModelApis": base_url}, auth={"falKey": "k"}, env={}
    ) as runner:
        for _ in range(2):
            assert runner.run(HEADLINE, inputs=INPUTS).passed
    assert counting.handshakes == before + 2


def test_fal_key_is_not_sent_to_a_websocket_host_that_is_not_fals() -> None:
    env = {"FAL_KEY": "canary-id:canary-secret", "FAL_WS_RUN_HOST": "ws.example.test"}
    result = Runner(transport="websocket", env=env).run(HEADLINE, inputs=INPUTS)
    assert result.exit_code == 3
    [step] = result.steps
    reasons = " ".join(f.reason for f in step.failures)
    assert "FAL_KEY is only sent to fal's hosts and loopback, not to ws.example.test" in reasons
    assert "canary-secret" not in json.dumps(result.to_dict())


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        ("https://fal.run/fal-ai/any-llm/stream", {}, "wss://ws.fal.run/fal-ai/any-llm/stream"),
        ("https://fal.run/a/b", {"FAL_WS_RUN_HOST": "127.0.0.1:8443"}, "wss://127.0.0.1:8443/a/b"),
        (
            "https://fal.run/a/b",
            {"FAL_WS_RUN_HOST": "ws://127.0.0.1:8000"},
            "ws://127.0.0.1:8000/a/b",
        ),
        ("http://127.0.0.1:8000/a/b?x=1", {}, "ws://127.0.0.1:8000/a/b?x=1"),
        ("https://api.example.com/v1/run", {}, "wss://api.example.com/v1/run"),
        ("wss://ws.fal.run/a", {}, "wss://ws.fal.run/a"),
    ],
)
def test_websocket_url(url: str, environ: dict[str, str], expected: str) -> None:
    assert websocket_url(url, environ) == expected


def test_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="transport must be one of http, websocket"):
        Runner(transport="carrier-pigeon")


def test_cli_unknown_transport_exits_2() -> None:
    done = arazzo("run", str(HEADLINE), "--transport", "pigeon")
    assert done.code == 2
    assert "Invalid value for '--transport'" in done.err


# -- bounds only the executor sets ----------------------------------------------------------------


WIRE_OPENAPI = """\
openapi: 3.1.0
info: {title: ws, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /json:
    post:
      operationId: postJson
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
    get:
      operationId: getJson
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
"""
WIRE_ARAZZO = """\
arazzo: 1.0.1
info: {title: ws, version: '1'}
sourceDescriptions:
  - {name: api, url: ./wire.openapi.yaml, type: openapi}
workflows:
  - workflowId: post
    steps:
      - stepId: send
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 1}}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.send.outputs.body}
  - workflowId: mixed
    steps:
      - stepId: read
        operationId: getJson
      - stepId: send
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 1}}
"""


@pytest.fixture(scope="module")
def wire_workspace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("ws-wire")
    (folder / "wire.openapi.yaml").write_text(WIRE_OPENAPI, encoding="utf-8")
    (folder / "wire.arazzo.yaml").write_text(WIRE_ARAZZO, encoding="utf-8")
    return Runner().load(folder / "wire.arazzo.yaml")


def _run_wire(workspace: Any, url: str, workflow: str = "post", **settings: Any) -> Any:
    with WebSocketExecutor(workspace, servers={"api": url}, env={}, **settings) as executor:
        return Engine(workspace, executor).run(workflow, {})


def test_a_message_over_the_size_cap_fails_the_step(wire_workspace: Any) -> None:
    big = b'{"x": "' + b"y" * (80 * 1024) + b'"}'
    script = [RECV, start("r1", content_type="application/json"), big, end("r1")]
    with ws_server([script]) as server:
        result = _run_wire(wire_workspace, server.url, max_message_bytes=64 * 1024)
    assert result.exit_code == 3
    reason = result.steps[0].failures[0].reason
    assert "a message over the 65536-byte cap came" in reason, reason
    assert "the WebSocket was closed" in reason


def test_the_handshake_is_bounded(wire_workspace: Any) -> None:
    with socket.socket() as listener:  # accepts TCP, never answers the handshake
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"ws://127.0.0.1:{listener.getsockname()[1]}"
        result = _run_wire(wire_workspace, url, handshake_timeout=0.5)
    assert result.exit_code == 3
    reason = result.steps[0].failures[0].reason
    assert "timed out opening the WebSocket to 127.0.0.1:" in reason
    assert "(the handshake took over 0.5 s)" in reason
    assert RunTimeout.exit_code == 3


def test_only_post_steps_go_over_websocket(wire_workspace: Any) -> None:
    index = load_indexes(str(Path(wire_workspace.root.loc.file).parent / "wire.openapi.yaml"))
    counting = Counting(build_app(next(iter(index.values()))))
    with serve_app(counting) as base_url:
        result = _run_wire(wire_workspace, base_url.replace("http://", "ws://"), "mixed")
    assert result.passed, result.explain()
    read, send = result.steps
    assert read.url.startswith("http://127.0.0.1:") and send.url.startswith("ws://127.0.0.1:")
    assert (counting.requests, counting.handshakes) == (1, 1)


def test_a_broken_wss_body_names_the_default_port() -> None:
    import httpx

    from arazzo_runner.wire.response import transport_error

    request = httpx.Request("POST", "wss://ws.fal.run/fal-ai/any-llm/stream")
    error = transport_error(httpx.ReadError("gone", request=request), request)
    assert "the connection to ws.fal.run:443 failed" in error.message


def test_nothing_listening_is_could_not_connect(wire_workspace: Any) -> None:
    with socket.socket() as unused:  # a port that was free a moment ago, now closed
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = _run_wire(wire_workspace, f"ws://127.0.0.1:{port}")
    assert result.exit_code == 3
    assert f"could not connect to 127.0.0.1:{port}" in result.steps[0].failures[0].reason


def test_a_websocket_server_without_the_websocket_transport_says_what_is_missing() -> None:
    """Nothing is sent; the step fails naming the option (where -S values are checked, at the
    step or at the edge, is the option checks' business)."""
    done = arazzo(
        "run",
        str(HEADLINE),
        "-S",
        "falModelApis=ws://127.0.0.1:9",
        "-i",
        "modelOwner=fal-ai",
        "-i",
        "modelName=any-llm",
        "-i",
        'input={"prompt": "hi"}',
    )
    assert done.code != 0, done.text
    assert "--server falModelApis=ws://127.0.0.1:9: not an http(s) URL" in done.err
    assert "needs --transport websocket" in done.err


def test_every_face_offers_the_transports_the_runner_has() -> None:
    from arazzo_runner.cli.transport_option import TRANSPORT_CHOICES
    from arazzo_runner.pytest_plugin.options import TRANSPORT_NAMES as PLUGIN_NAMES
    from arazzo_runner.runner import TRANSPORT_NAMES
    from arazzo_runner.wire import TRANSPORTS

    assert tuple(TRANSPORTS) == TRANSPORT_NAMES == TRANSPORT_CHOICES == PLUGIN_NAMES


def test_pytest_plugin_runs_the_headline_over_websocket(
    pytester: pytest.Pytester, fal_mock: tuple[Counting, str]
) -> None:
    counting, base_url = fal_mock
    for folder in ("workflows", "openapi"):
        (pytester.path / folder).mkdir()
    shutil.copy(HEADLINE, pytester.path / "workflows")
    shutil.copy(FAL_OPENAPI, pytester.path / "openapi")
    inputs = pytester.path / "workflows" / "fal-ai-stream-inference-workflow.inputs.yaml"
    inputs.write_text(json.dumps({"stream-inference": INPUTS}), encoding="utf-8")
    pytester.makeini("[pytest]\narazzo_files = workflows/*.yml\n")
    before = counting.handshakes
    result = pytester.runpytest(
        "--arazzo-transport",
        "websocket",
        "--arazzo-server",
        f"falModelApis={base_url}",
        "--arazzo-auth",
        "falKey=mock-key",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)
    assert counting.handshakes == before + 1


def test_a_kept_connection_the_server_closed_is_replaced(wire_workspace: Any) -> None:
    """The server closes the connection after the first run (and the client has seen it, which
    is waited for, not timed): the next run opens a new one instead of failing on it. The
    close racing the next payload is not tested: that payload may have reached the server, so
    it is never re-sent and the step fails (tests.test_faults_websocket,
    closed-before-start-never-resent)."""
    first = [*_json_script("j1", b'{"n": 1}'), Close(1000)]
    with ws_server([first, _json_script("j2", b'{"n": 2}')]) as server:
        with Runner(transport="websocket", servers={"api": server.url}, env={}) as runner:
            assert runner.run(wire_workspace, "post").passed
            assert server.client_closed.wait(10.0)
            result = runner.run(wire_workspace, "post")
        handshakes = server.handshakes
    assert result.passed, result.explain()
    assert result.outputs == {"body": {"n": 2}}
    assert handshakes == 2


def _json_script(request_id: str, body: bytes) -> list[Any]:
    return [RECV, start(request_id, content_type="application/json"), body, end(request_id)]


class _LooksOpen(Socket):
    """A closed connection whose close the pool has not noticed yet (the race of a server
    closing a kept connection just before the next payload is sent)."""

    @property
    def open(self) -> bool:
        return True


def test_a_payload_refused_by_a_closed_kept_connection_goes_on_a_new_one(
    wire_workspace: Any,
) -> None:
    # every connection plays the same script: the closed one never gets to its RECV
    with ws_server([_json_script("j2", b'{"n": 2}')]) as server:
        url = f"{server.url}/json"
        closed = open_socket(url, {}, open_timeout=10)
        closed.close()  # the send on it raises: nothing can reach the server
        stale = _LooksOpen(url, closed._connection)
        pool = SocketPool()
        pool.lease(url, {}, lambda u, h: stale)  # the pool opened it ...
        pool.give_back(stale)  # ... and keeps it
        with WebSocketExecutor(
            wire_workspace, servers={"api": server.url}, env={}, pool=pool
        ) as executor:
            result = Engine(wire_workspace, executor).run("post", {})
        pool.close()
        received = list(server.received)
    assert result.passed, result.explain()
    assert stale.reused  # the kept connection was tried first ...
    assert received == ['{"n": 1}']  # ... and the payload sent once, on the new connection


@pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="the load extra is not installed"
)
def test_arazzo_load_over_websocket_keeps_the_users_connection(
    fal_mock: tuple[Counting, str], tmp_path: Path
) -> None:
    counting, base_url = fal_mock
    prefix = tmp_path / "ws"
    before = counting.handshakes
    args = ["load", str(HEADLINE), "--transport", "websocket", "-S", f"falModelApis={base_url}"]
    args += ["--auth", "falKey=mock-key", "-u", "1", "-r", "1", "-t", "6s", "--csv", str(prefix)]
    for name, value in INPUTS.items():
        args += ["-i", f"{name}={json.dumps(value) if isinstance(value, dict) else value}"]
    done = arazzo(*args, env=NO_KEY)
    assert done.code == 0, done.text
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    step = rows["stream-inference/openStream"]
    assert step["Failure Count"] == "0"
    assert int(step["Request Count"]) >= 2  # an iteration takes about 2 s against the mock
    assert counting.handshakes - before == 1  # the later iterations reused the connection
