"""WebSocket faults, each with a defined outcome, through the real ``arazzo run`` process.

As :mod:`tests.test_faults_network` does for HTTP: each row of :data:`FAULTS` is a misbehaving
WebSocket server on 127.0.0.1 (:mod:`tests.support.ws_servers`, a real ``websockets`` server
playing a script), the workflow and options, the exit code and a fragment of the output. The
timeouts only guard against a hang; bounds are asserted by the message naming the bound.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import HANG_GUARD, PYTHON, Done, arazzo
from tests.support.ws_servers import HOLD, RECV, Close, Pause, Step, end, start, ws_server

OPENAPI = """\
openapi: 3.1.0
info: {title: ws faults, version: '1'}
servers: [{url: 'https://fal.run'}]
security: [{falKey: []}, {}]
components:
  securitySchemes:
    falKey: {type: apiKey, in: header, name: Authorization, x-arazzo-runner-prefix: 'Key '}
paths:
  /events:
    post:
      operationId: postEvents
      responses:
        '200': {description: events, content: {text/event-stream: {schema: {type: string}}}}
  /json:
    post:
      operationId: postJson
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: ws faults, version: '1'}
sourceDescriptions:
  - {name: api, url: ./ws.openapi.yaml, type: openapi}
workflows:
  - workflowId: json
    steps:
      - stepId: send
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 1}}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.send.outputs.body}
  - workflowId: twice
    steps:
      - stepId: first
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 1}}
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: second
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 2}}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.second.outputs.body}
  - workflowId: consume
    steps:
      - stepId: listen
        operationId: postEvents
        requestBody: {contentType: application/json, payload: {prompt: hi}}
        successCriteria: [{condition: $statusCode == 200}]
        x-arazzo-stream: {maxEvents: 100}
        outputs: {last: $response.body}
    outputs: {last: $steps.listen.outputs.last}
  - workflowId: handover
    steps:
      - stepId: listen
        operationId: postEvents
        requestBody: {contentType: application/json, payload: {prompt: hi}}
        successCriteria: [{condition: $statusCode == 200}]
"""


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("ws-faults")
    (folder / "ws.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (folder / "ws.arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
    return str(folder / "ws.arazzo.yaml")


NO_KEY = {"FAL_KEY": "", "FAL_KEY_ID": "", "FAL_KEY_SECRET": "", "ARAZZO_AUTH_FALKEY": ""}


def ws_run(workflow: str, url: str, *args: str, env: dict[str, str] | None = None) -> Done:
    command = ("run", workflow, "--transport", "websocket", "-S", f"api={url}", *args)
    return arazzo(*command, env={**NO_KEY, **(env or {})})


def _event(n: int) -> bytes:
    return f'data: {{"n": {n}}}\n\n'.encode()


def _json_answer(request_id: str, body: bytes) -> list[Step]:
    return [RECV, start(request_id, content_type="application/json"), body, end(request_id)]


@dataclass(frozen=True)
class Fault:
    name: str
    scripts: Sequence[Sequence[Step]]
    args: tuple[str, ...]
    code: int
    fragment: str
    refuse: int | None = None
    handshakes: int | None = None


FAULTS = [
    Fault(
        "handshake-refused-401",
        [[]],
        ("-w", "json"),
        3,
        "the WebSocket handshake to 127.0.0.1:",
        refuse=401,
    ),
    Fault(
        "handshake-refused-403-names-status",
        [[]],
        ("-w", "json"),
        3,
        "was refused: HTTP 403 Forbidden",
        refuse=403,
    ),
    Fault(
        "closed-before-start-never-resent",
        [[RECV, Close(1011, "app crashed")]],
        ("-w", "json"),
        3,
        "closed before the answer started (close code 1011 app crashed)",
        handshakes=1,
    ),
    Fault(
        "closed-mid-stream",
        [[RECV, start("r1"), _event(1), _event(2), Close(1011, "gone")]],
        ("-w", "consume"),
        3,
        "SSE stream broke after 2 events: the WebSocket closed before the end message"
        " (close code 1011 gone)",
    ),
    Fault(
        "closed-mid-json-body",
        [[RECV, start("r1", content_type="application/json"), b'{"half": ', Close(1001)]],
        ("-w", "json"),
        3,
        "the WebSocket closed before the end message (close code 1001)",
    ),
    Fault(
        "no-end-message-idle-bound",
        [[RECV, start("r1"), _event(1), HOLD]],
        ("-w", "consume", "--idle-timeout", "0.5"),
        3,
        "idle_timeout=0.5 s: no byte arrived in time (after 1 events)",
    ),
    Fault(
        "no-start-message-until-deadline",
        [[RECV, HOLD]],
        ("-w", "json", "--timeout", "1"),
        3,
        "the run deadline of 1 s passed during waiting for the answer",
    ),
    Fault(
        "mismatched-request-id",
        [[RECV, start("r1"), _event(1), end("someone-else")]],
        ("-w", "consume"),
        3,
        "the end message's request_id 'someone-else' is not the start message's 'r1'",
    ),
    Fault(
        "binary-before-start",
        [[RECV, b"data: 1\n\n"]],
        ("-w", "json"),
        3,
        "did not answer with a start message (got a binary message)",
    ),
    Fault(
        "events-across-frames",
        [[RECV, start("r1"), b'data: {"n"', b": 1}\n", b"\ndata: ", b'{"n": 2}\n\n', end("r1")]],
        ("-w", "consume", "--json"),
        0,
        '"last": {"n": 2}',
    ),
    Fault(
        "422-over-websocket",
        [
            _json_answer("r1", b'{"detail": [{"loc": ["body", "n"], "msg": "bad n"}]}')[:1]
            + [
                start("r1", 422, "application/json"),
                b'{"detail": [{"loc": ["body", "n"], "msg": "bad n"}]}',
                end("r1", 422),
            ]
        ],
        ("-w", "json"),
        1,
        "HTTP 422 Unprocessable Entity: body.n: bad n",
    ),
    Fault(
        "two-steps-one-connection",
        [_json_answer("r1", b'{"n": 1}') + _json_answer("r2", b'{"n": 2}')],
        ("-w", "twice", "--json"),
        0,
        '"body": {"n": 2}',
        handshakes=1,
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_websocket_fault(workflow: str, fault: Fault) -> None:
    with ws_server(fault.scripts, refuse=fault.refuse) as server:
        done = ws_run(workflow, server.url, *fault.args, env={"FAL_KEY": "bad-id:bad-secret"})
        if fault.handshakes is not None:
            assert server.handshakes == fault.handshakes, done.text
    assert done.code == fault.code, done.text
    assert fault.fragment in done.text, done.text
    assert "Traceback" not in done.text


def test_refused_handshake_without_key_names_the_status(workflow: str) -> None:
    with ws_server([[]], refuse=401, body=b'{"detail": "No key"}') as server:
        done = ws_run(workflow, server.url, "-w", "json")
        sent = server.headers
    assert done.code == 3, done.text
    assert 'was refused: HTTP 401 Unauthorized: {"detail": "No key"}' in done.err
    assert "FAL_KEY" in done.err  # the hint says where the key comes from
    assert all("authorization" not in h for h in sent)  # no credential was made up


def test_payload_is_the_request_body_and_key_rides_on_the_handshake(workflow: str) -> None:
    env = {"FAL_KEY": "ws-canary-id:ws-canary-secret"}
    with ws_server([_json_answer("r1", b'{"ok": true}')]) as server:
        done = ws_run(workflow, server.url, "-w", "json", "--json", env=env)
        received, headers = list(server.received), list(server.headers)
    assert done.code == 0, done.text
    assert json.loads(received[0]) == {"n": 1}
    assert headers[0]["authorization"] == "Key ws-canary-id:ws-canary-secret"
    assert "ws-canary-secret" not in done.text


# -- SIGINT / SIGTERM mid-stream ----------------------------------------------------------------


def _events_forever() -> list[Step]:
    return [s for n in range(250) for s in (_event(n), Pause(0.02))]


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_signal_mid_stream_closes_and_reports(
    workflow: str, tmp_path: Path, signum: int, code: int
) -> None:
    report = tmp_path / "report.json"
    with ws_server([[RECV, start("r1"), *_events_forever()]]) as server:
        command = [
            PYTHON,
            "-m",
            "arazzo_runner",
            "run",
            workflow,
            "--transport",
            "websocket",
            "-S",
            f"api={server.url}",
            "-w",
            "handover",
            "--stream",
            "--report-json",
            str(report),
        ]
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # the first event is printed
        child.send_signal(signum)
        try:
            rest, err = child.communicate(timeout=HANG_GUARD)
        finally:
            child.kill()
        assert server.client_closed.wait(5.0)  # the connection was closed, not left open
    assert child.returncode == code, err
    assert first == '[listen] #1 message: {"n": 0}\n'
    assert re.search(r"interrupted after [1-9]\d* event\(s\); connection closed", err)
    assert "Traceback" not in rest + err
    partial = json.loads(report.read_text(encoding="utf-8"))
    assert partial["error"].startswith("interrupted") or partial["status"] != "passed"


def test_the_workflows_of_a_run_share_one_connection_per_endpoint(workflow: str) -> None:
    """``--all``: json and twice post to /json, consume and handover to /events: two
    connections, each used by every step to its endpoint in turn."""
    json_answers = [
        *_json_answer("j1", b'{"n": 1}'),  # json
        *_json_answer("t1", b'{"n": 1}'),  # twice: first
        *_json_answer("t2", b'{"n": 2}'),  # twice: second
    ]
    stream = [RECV, start("s1"), _event(1), _event(2), end("s1")]
    # consume reads its stream to the end message (the connection is kept); handover's stream
    # is closed unread, which closes the connection
    with ws_server([json_answers, [*stream, *stream]]) as server:
        done = ws_run(workflow, server.url, "--all")
        handshakes, received = server.handshakes, len(server.received)
    assert done.code == 0, done.text
    assert (handshakes, received) == (2, 5), done.text
