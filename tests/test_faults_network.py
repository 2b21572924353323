"""Network faults, each with a defined outcome, through the real ``arazzo run`` process.

Every row of :data:`FAULTS` is one misbehaving server (a raw-socket script on 127.0.0.1 from
:mod:`tests.support.fault_servers`), the workflow and options it is run with, and what must come
out: the exit code and a fragment of the output. The CLI runs as a subprocess with a generous
``timeout`` that only guards against a hang (no timed assertions: the bounds themselves are
asserted by the message naming the bound that fired). Signals get their own tests below.

Faults already covered closer to the code are not repeated here: the SSE decoder under any
chunking (test_sse_decoder.py), the EventStream bounds against raw sockets
(test_event_stream.py), body caps and read timeouts of the executor (test_executor.py).
"""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cli import HANG_GUARD, PYTHON, Done, arazzo
from tests.support.fault_servers import (
    READ,
    ScriptedServer,
    http_response,
    scripted_server,
    sse_head,
)
from tests.support.sse_servers import HOLD, RESET, Pause, Step

ROOT = Path(__file__).resolve().parents[1]

OPENAPI = """\
openapi: 3.1.0
info: {title: faults, version: '1'}
servers: [{url: 'http://127.0.0.1:9/'}]
paths:
  /json:
    get:
      operationId: getJson
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
    post:
      operationId: postJson
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
  /events:
    get:
      operationId: getEvents
      responses:
        '200': {description: events, content: {text/event-stream: {schema: {type: string}}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: faults, version: '1'}
sourceDescriptions:
  - {name: api, url: ./faults.openapi.yaml, type: openapi}
workflows:
  - workflowId: json
    steps:
      - stepId: fetch
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.fetch.outputs.body}
  - workflowId: post
    steps:
      - stepId: send
        operationId: postJson
        requestBody: {contentType: application/json, payload: {n: 1}}
        successCriteria: [{condition: $statusCode == 200}]
  - workflowId: regex
    steps:
      - stepId: fetch
        operationId: getJson
        successCriteria:
          - {context: $response.body, condition: '^(a+)+$', type: regex}
  - workflowId: jsonpath
    steps:
      - stepId: fetch
        operationId: getJson
        successCriteria:
          - {context: $response.body, condition: "$[?match(@.a, '(a+)+$')]", type: jsonpath}
  - workflowId: twice
    steps:
      - stepId: first
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: second
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.second.outputs.body}
  - workflowId: retry
    steps:
      - stepId: fetch
        operationId: getJson
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: again, type: retry, retryAfter: 0, retryLimit: 2}
        outputs: {body: $response.body}
    outputs: {body: $steps.fetch.outputs.body}
  - workflowId: consume
    steps:
      - stepId: listen
        operationId: getEvents
        successCriteria: [{condition: $statusCode == 200}]
        x-arazzo-stream: {maxEvents: 100}
        outputs: {last: $response.body}
    outputs: {last: $steps.listen.outputs.last}
  - workflowId: handover
    steps:
      - stepId: listen
        operationId: getEvents
        successCriteria: [{condition: $statusCode == 200}]
"""


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("faults")
    (folder / "faults.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (folder / "faults.arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
    return str(folder / "faults.arazzo.yaml")


def arazzo_run(workflow: str, url: str, *args: str, env: dict[str, str] | None = None) -> Done:
    """``arazzo run`` in a child process; fails the test (not hangs) past the hang guard."""
    return arazzo("run", workflow, "-S", f"api={url}", *args, env=env)


# -- the matrix --------------------------------------------------------------------------------


def _gzip_events(*events: bytes) -> list[Step]:
    """Each event compressed and flushed on its own, as a streaming proxy would send it."""
    packer = zlib.compressobj(wbits=31)
    pieces: list[Step] = [packer.compress(e) + packer.flush(zlib.Z_SYNC_FLUSH) for e in events]
    pieces.append(packer.flush())
    return pieces


def _huge_event(megabytes: int) -> list[Step]:
    chunk = b"x" * (1024 * 1024)
    return [b"data: ", *([chunk] * megabytes), b"\n\n"]


def _drip(seconds: float, every: float = 0.05) -> list[Step]:
    """A heartbeat comment every ``every`` seconds: never idle, never done."""
    return [step for _ in range(int(seconds / every)) for step in (b": ping\n\n", Pause(every))]


_GZIP_JSON = gzip.compress(b'{"zipped": true}')
_HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@dataclass(frozen=True)
class Fault:
    name: str
    connections: Sequence[Sequence[Step]] | None  # None: nothing listens (connection refused)
    args: tuple[str, ...]
    code: int
    fragments: str | tuple[str, ...]  # each must appear in the output
    connections_made: int | None = None
    output: dict[str, object] | None = field(default=None)


FAULTS = [
    Fault("refused", None, ("-w", "json"), 3, "could not connect to 127.0.0.1:"),
    # A connection closed before any answer: what must hold is the exit code, how many
    # connections were made (a GET is sent once more, a POST never) and that the message names
    # the broken connection; not which exception won (a clean close and a reset both happen).
    Fault(
        "closed-before-headers-get-sent-twice",
        [[]],
        ("-w", "json"),
        3,
        ("the connection to 127.0.0.1:", "(sent twice, the second time on a new connection)"),
        connections_made=2,
    ),
    Fault(
        "closed-before-headers-post-never-resent",
        [[]],
        ("-w", "post"),
        3,
        ("the connection to 127.0.0.1:", "(the request was not re-sent)"),
        connections_made=1,
    ),
    Fault("not-http", [[b"SSH-2.0-OpenSSH_9.6\r\n"]], ("-w", "json"), 3, "the connection to"),
    Fault(
        "reset-mid-body",
        [[http_response(body=b'{"half": ', length=100), RESET]],
        ("-w", "json"),
        3,
        "the connection to 127.0.0.1:",
    ),
    Fault(
        "closed-mid-body",
        [[http_response(body=b'{"half": ', length=100)]],
        ("-w", "json"),
        3,
        "received 9 bytes, expected 100",
    ),
    Fault(
        "html-502-from-a-proxy",
        [[http_response("502 Bad Gateway", _HTML_502, headers=[("Content-Type", "text/html")])]],
        ("-w", "json"),
        1,
        "HTTP 502 Bad Gateway: HTML error page from a proxy: 502 Bad Gateway (502)",
    ),
    Fault(
        "429-retry-after-seconds",
        [
            [http_response("429 Too Many Requests", b"{}", headers=[("Retry-After", "1")])],
            [http_response(body=b'{"ok": 1}')],
        ],
        ("-w", "retry", "--json"),
        0,
        '"attempts": 2',
        connections_made=2,
        output={"body": {"ok": 1}},
    ),
    Fault(
        "503-retry-after-http-date",
        [
            [
                http_response(
                    "503 Service Unavailable",
                    b"<html><title>busy</title></html>",
                    headers=[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
                )
            ],
            [http_response(body=b'{"ok": 2}')],
        ],
        ("-w", "retry", "--json"),
        0,
        '"attempts": 2',
        connections_made=2,
        output={"body": {"ok": 2}},
    ),
    Fault(
        "503-every-time",
        [[http_response("503 Service Unavailable", b"{}", headers=[("Retry-After", "0")])]],
        ("-w", "retry"),
        1,
        "x3",
        connections_made=3,
    ),
    Fault(
        "regex-criterion-that-backtracks-forever",
        [[http_response(body=b"a" * 64 + b"!", headers=[("Content-Type", "text/plain")])]],
        ("-w", "regex"),
        1,
        "the regex /^(a+)+$/ on $response.body: it ran longer than 1 s and was stopped"
        " (catastrophic backtracking?)",
    ),
    Fault(
        "jsonpath-match-that-backtracks-forever",
        [[http_response(body=b'[{"a": "' + b"a" * 64 + b'!"}]')]],
        ("-w", "jsonpath"),
        1,
        "JSONPath $[?match(@.a, '(a+)+$')] on $response.body: it ran longer than 1 s",
    ),
    Fault(
        "gzip-json-body",
        [
            [
                http_response(
                    body=_GZIP_JSON,
                    headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                )
            ]
        ],
        ("-w", "json", "--json"),
        0,
        '"zipped": true',
        output={"body": {"zipped": True}},
    ),
    Fault(
        "keep-alive-dropped-between-steps",
        [
            [http_response(body=b'{"n": 1}', keep_alive=True)],  # then the server hangs up
            [http_response(body=b'{"n": 2}', keep_alive=True)],
        ],
        ("-w", "twice", "--json"),
        0,
        '"status": "passed"',
        connections_made=2,
        output={"body": {"n": 2}},
    ),
    Fault(
        "keep-alive-reused",
        [[http_response(body=b'{"n": 1}', keep_alive=True), READ, http_response(body=b"{}")]],
        ("-w", "twice"),
        0,
        "passed",
        connections_made=1,
    ),
    Fault(
        "stall-after-headers-until-timeout",
        [[http_response(body=b"{", length=100), HOLD]],
        ("-w", "json", "--timeout", "1"),
        3,
        "the run deadline of 1 s passed during reading the body",
        connections_made=1,
    ),
    Fault(
        "no-answer-until-timeout",
        [[HOLD]],
        ("-w", "json", "--timeout", "1"),
        3,
        "the run deadline of 1 s passed during waiting for the answer",
        connections_made=1,
    ),
    # -- streams consumed by the step (x-arazzo-stream) --------------------------------------
    Fault(
        "stream-silent-after-headers-until-timeout",
        [[sse_head(), HOLD]],
        ("-w", "consume", "--timeout", "1"),
        3,
        "the run deadline of 1 s passed during the stream (after 0 events)",
    ),
    Fault(
        "stream-reset-mid-event",
        [[sse_head(), b'data: {"n": 1}\n\n', b"data: half", RESET]],
        ("-w", "consume"),
        3,
        "SSE stream broke after 1 events",
    ),
    Fault(
        "stream-closed-mid-event",
        [[sse_head(), b'data: {"n": 1}\n\n', b'data: {"n": 2']],
        ("-w", "consume", "--json"),
        0,
        '"events": 1',
        output={"last": {"n": 1}},  # an unfinished block is dropped, by the SSE rules
    ),
    Fault(
        "stream-idle-after-an-event",
        [[sse_head(), b'data: {"n": 1}\n\n', HOLD]],
        ("-w", "consume", "--idle-timeout", "0.5"),
        3,
        "idle_timeout=0.5 s",
    ),
    Fault(
        "stream-gzip-encoded",
        [[sse_head(("Content-Encoding", "gzip")), *_gzip_events(b"data: 1\n\n", b"data: 2\n\n")]],
        ("-w", "consume", "--json"),
        0,
        '"events": 2',
        output={"last": 2},
    ),
    Fault(
        "stream-event-over-max-size",
        [[sse_head(), *_huge_event(17), HOLD]],
        ("-w", "consume"),
        3,
        "max_event_bytes=16777216",
    ),
    Fault(
        "stream-invalid-utf8",
        [[sse_head(), b"data: caf\xc3\n\n", b"data: \xff\xfeok\n\n"]],
        ("-w", "consume", "--json"),
        0,
        '"events": 2',
        output={"last": "\ufffd\ufffdok"},
    ),
    Fault(
        "stream-error-status-announced-as-stream",
        [[b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/event-stream\r\n\r\n", HOLD]],
        ("-w", "consume"),
        1,
        "FAIL",
    ),
    Fault(
        "stream-that-is-json",
        [[http_response(body=b'{"not": "a stream"}')]],
        ("-w", "consume"),
        1,
        "expected text/event-stream, got application/json",
    ),
    # -- streams handed to the terminal (--stream) --------------------------------------------
    Fault(
        "handover-reset-mid-event",
        [[sse_head(), b"data: one\n\n", b"data: half", RESET]],
        ("-w", "handover", "--stream"),
        3,
        "SSE stream broke after 1 events",
    ),
    Fault(
        "handover-silent-until-timeout",
        [[sse_head(), HOLD]],
        ("-w", "handover", "--stream", "--timeout", "1"),
        3,
        "SSE stream timed out: deadline=",
    ),
    Fault(
        "handover-idle",
        [[sse_head(), b"data: one\n\n", HOLD]],
        ("-w", "handover", "--stream", "--idle-timeout", "0.5"),
        3,
        "idle_timeout=0.5 s",
    ),
    Fault(
        "handover-event-over-max-size",
        [[sse_head(), *_huge_event(17), HOLD]],
        ("-w", "handover", "--stream"),
        3,
        "max_event_bytes=16777216",
    ),
    Fault(
        "handover-escape-sequence-in-data",
        [[sse_head(), b"data: \x1b]0;pwned\x07\x1b[2J\n\n"]],
        ("-w", "handover", "--stream"),
        0,
        "message: \\x1b]0;pwned\\x07",  # shown, not obeyed, by the terminal
    ),
    Fault(
        "handover-gzip-and-invalid-utf8",
        [[sse_head(("Content-Encoding", "gzip")), *_gzip_events(b"data: a\xffb\n\n")]],
        ("-w", "handover", "--stream"),
        0,
        "message: a\ufffdb",
    ),
]


def _serve(fault: Fault) -> Iterator[ScriptedServer | None]:
    if fault.connections is None:
        yield None
        return
    with scripted_server(fault.connections) as server:
        yield server


def _refused_url() -> str:
    import socket

    with socket.socket() as sock:  # bound, never listening: the port refuses connections
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_network_fault(workflow: str, fault: Fault) -> None:
    for server in _serve(fault):
        done = arazzo_run(workflow, server.url if server else _refused_url(), *fault.args)
        assert done.code == fault.code, done.text
        fragments = (fault.fragments,) if isinstance(fault.fragments, str) else fault.fragments
        assert [f for f in fragments if f not in done.text] == [], done.text
        assert "Traceback" not in done.text and "\x1b" not in done.text
        if server is not None and fault.connections_made is not None:
            assert server.connections == fault.connections_made
        if fault.output is not None:
            result = json.loads(done.out.splitlines()[-1])
            assert result["outputs"] == fault.output


# -- the run's overall deadline ------------------------------------------------------------------
#
# A slow drip never trips a read or idle timeout; only the run's deadline (``--timeout``) stops
# it, so the executor caps every request, body and stream by the time the run has left. These
# rows run the engine with the real executor, as the Runner does.

_SLOW_BODY = [http_response(body=b"{", length=10_000), *([b" ", Pause(0.05)] * 100)]
_SILENT = [HOLD]


@dataclass(frozen=True)
class Late:
    name: str
    script: Sequence[Step]
    workflow_id: str
    during: str


LATE = [
    Late("no-answer", [HOLD], "json", "during waiting for the answer"),
    Late("stall-after-headers", [http_response(body=b"{", length=100), HOLD], "json", "body"),
    Late("slow-drip-body", _SLOW_BODY, "json", "during reading the body"),
    Late("slow-drip-stream", [sse_head(), *_drip(5.0)], "consume", "the stream (after 0 events)"),
    Late(
        "slow-drip-events",
        [sse_head(), *[s for _ in range(100) for s in (b"data: {}\n\n", Pause(0.05))]],
        "consume",
        "during the stream",
    ),
]


def _engine_run(
    workflow: str, url: str, workflow_id: str, deadline: float, consumer: object = None
) -> object:
    from arazzo_runner.document.workspace import open_workspace
    from arazzo_runner.engine.flow import Engine, RunLimits
    from arazzo_runner.settings import RunSettings
    from arazzo_runner.wire.executor import HttpExecutor

    workspace = open_workspace(workflow)
    settings = RunSettings(timeout=deadline)
    with HttpExecutor(workspace, servers={"api": url}, settings=settings) as executor:
        limits = RunLimits(settings)
        engine = Engine(workspace, executor, limits=limits, stream_consumer=consumer)  # type: ignore[arg-type]
        return engine.run(workflow_id, {})


@pytest.mark.parametrize("late", LATE, ids=[row.name for row in LATE])
def test_run_deadline_bounds_every_wait(workflow: str, late: Late) -> None:
    with scripted_server([late.script]) as server:
        result = _engine_run(workflow, server.url, late.workflow_id, 0.5)
        assert server.connections == 1  # a timeout is never re-sent
    assert result.exit_code == 3  # type: ignore[attr-defined]
    reason = result.steps[-1].failures[0].reason  # type: ignore[attr-defined]
    assert "the run deadline of 0.5 s passed" in reason and late.during in reason


def test_run_deadline_bounds_a_handed_over_stream(workflow: str) -> None:
    from arazzo_runner.errors import RunTimeout

    seen: list[str] = []

    def consumer(step_id: str, stream: Iterator[object]) -> None:
        for event in stream:
            seen.append(getattr(event, "data", ""))

    script = [sse_head(), b"data: first\n\n", *_drip(5.0)]
    with scripted_server([script]) as server:
        with pytest.raises(RunTimeout, match=r"deadline=0\.\d+ s passed \(after 1 events\)"):
            _engine_run(workflow, server.url, "handover", 0.5, consumer)
        assert server.client_closed.wait(5.0)
    assert seen == ["first"]


def test_a_deadline_already_spent_sends_nothing_more(workflow: str) -> None:
    first = [http_response(body=b"{", length=10_000), *([b" ", Pause(0.05)] * 100)]
    with scripted_server([first, [http_response(body=b"{}")]]) as server:
        result = _engine_run(workflow, server.url, "twice", 0.3)
        assert server.connections == 1
    assert result.exit_code == 3  # type: ignore[attr-defined]
    assert [s.step_id for s in result.steps] == ["first"]  # type: ignore[attr-defined]


def test_cli_timeout_stops_a_slow_drip(workflow: str) -> None:
    with scripted_server([[sse_head(), *_drip(20.0)]]) as server:
        done = arazzo_run(workflow, server.url, "-w", "consume", "--timeout", "1")
    assert done.code == 3, done.text
    assert "the run deadline of 1 s passed during the stream" in done.text


# -- SIGINT / SIGTERM mid-stream ---------------------------------------------------------------


def _events_forever() -> list[Step]:
    return [s for n in range(250) for s in (f'data: {{"n": {n}}}\n\n'.encode(), Pause(0.02))]


def _start(workflow: str, url: str, *args: str) -> subprocess.Popen[str]:
    command = [PYTHON, "-m", "arazzo_runner", "run", workflow, "-S", f"api={url}", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )


def _interrupt_after_first_event(child: subprocess.Popen[str], signum: int) -> Done:
    assert child.stdout is not None
    first = child.stdout.readline()  # blocks until the first event is printed
    child.send_signal(signum)
    try:
        rest, err = child.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise
    return Done(child.returncode, first + rest, err)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_signal_mid_stream_closes_and_reports(
    workflow: str, signum: int, code: int, as_json: bool
) -> None:
    extra = ("--json",) if as_json else ()
    with scripted_server([[sse_head(), *_events_forever()]]) as server:
        child = _start(workflow, server.url, "-w", "handover", "--stream", *extra)
        done = _interrupt_after_first_event(child, signum)
        assert server.connections == 1, done.text
        assert server.client_closed.wait(5.0)  # the connection was closed, not left open
    assert done.code == code, done.text
    assert re.search(r"interrupted after [1-9]\d* event\(s\); connection closed", done.err)
    assert "Traceback" not in done.text
    first, last = done.out.splitlines()[0], done.out.splitlines()[-1]
    if as_json:
        assert json.loads(first)["data"] == '{"n": 0}'
        partial = json.loads(last)  # the partial result: the step in progress is an error
        assert partial["type"] == "result" and partial["error"].startswith("interrupted")
        [step] = partial["steps"]
        assert step["status"] == "error" and step["failures"][-1]["reason"].startswith(
            "interrupted"
        )
    else:
        assert first == '[listen] #1 message: {"n": 0}'
        assert "- interrupted (Ctrl-C or SIGTERM)" in done.out


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_signal_while_waiting_for_an_answer(workflow: str, signum: int, code: int) -> None:
    with scripted_server([[HOLD]]) as server:
        child = _start(workflow, server.url, "-w", "json")
        deadline = time.monotonic() + HANG_GUARD
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signum)
        try:
            _, err = child.communicate(timeout=HANG_GUARD)
        finally:
            child.kill()
        assert server.client_closed.wait(5.0)
    assert child.returncode == code, err
    assert "interrupted" in err and "Traceback" not in err


def test_ctrl_c_again_while_reports_are_written_keeps_them_whole(
    workflow: str, tmp_path: Path
) -> None:
    """The first SIGINT stops the run; more of them while the command cleans up are ignored,
    so every report is written, whole (a burst of them, so some land during the writing)."""
    reports = {
        "--report-json": tmp_path / "out" / "report.json",
        "--junit-xml": tmp_path / "out" / "junit.xml",
        "--har": tmp_path / "out" / "run.har",
    }
    options = [part for option, path in reports.items() for part in (option, str(path))]
    with scripted_server([[sse_head(), *_events_forever()]]) as server:
        child = _start(workflow, server.url, "-w", "handover", "--stream", *options)
        assert child.stdout is not None
        child.stdout.readline()  # the first event: the run is under way
        deadline = time.monotonic() + HANG_GUARD
        while child.poll() is None and time.monotonic() < deadline:
            child.send_signal(signal.SIGINT)
            time.sleep(0.002)
        rest, err = child.communicate(timeout=HANG_GUARD)
    assert child.returncode == 130, err
    assert "Traceback" not in err
    assert json.loads(reports["--report-json"].read_text(encoding="utf-8"))
    assert json.loads(reports["--har"].read_text(encoding="utf-8"))["log"]["entries"]
    import xml.etree.ElementTree as ET

    assert ET.parse(reports["--junit-xml"]).getroot().tag in {"testsuites", "testsuite"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "junit.xml",
        "report.json",
        "run.har",
    ]  # fmt: skip  (no temporary file left behind)
