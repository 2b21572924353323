"""The canary: unique secrets go in by every door, and no output of ``arazzo run`` holds one.

Four secrets, each a string that appears nowhere else:

* ``FAL_KEY`` (the fal scheme, ``Authorization: Key …``) and ``ARAZZO_AUTH_ENVKEY`` (an apiKey
  header scheme) from the environment;
* ``--auth cliKey=…`` (an apiKey scheme sent in the query string, so it is part of the URL);
* an ``X-Session-Token`` header parameter of the step (a header whose name says credential),
  its value given as an input.

The server is hostile: it echoes every header and the query back in its bodies, in an error
message, in a response header and in SSE event data. The CLI runs as a subprocess in every
output mode (terminal, ``--json``, ``--stream``, ``--stream --json``, passing, failing and
erroring runs), with every report file that ``arazzo run --help`` lists (``--report-json``,
``--junit-xml``, ``--har``), and stdout, stderr and every file written are searched for each
secret. A leak fails the test with the output mode and where the secret was found.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
HANG_GUARD = 60.0

SECRETS = {
    "FAL_KEY": "canaryFal7f3a9c41",
    "ARAZZO_AUTH_ENVKEY": "canaryEnv52be0d17",
    "--auth": "canaryCli9e61a8f3",
    "X-Session-Token": "canaryHdr0c4d7b25",
}

OPENAPI = """\
openapi: 3.1.0
info: {title: canary, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
security: [{falKey: [], envKey: [], cliKey: []}]
components:
  parameters:
    session: {name: X-Session-Token, in: header, schema: {type: string}}
  securitySchemes:
    falKey: {type: apiKey, in: header, name: Authorization, x-arazzo-runner-prefix: 'Key '}
    envKey: {type: apiKey, in: header, name: X-Env-Key}
    cliKey: {type: apiKey, in: query, name: api_key}
paths:
  /echo:
    get:
      operationId: echo
      parameters: [{$ref: '#/components/parameters/session'}]
      responses: {'200': {description: what arrived}}
  /fail:
    get:
      operationId: fail
      parameters: [{$ref: '#/components/parameters/session'}]
      responses: {'500': {description: an error that quotes the request}}
  /stream:
    get:
      operationId: stream
      parameters: [{$ref: '#/components/parameters/session'}]
      responses:
        '200': {description: events, content: {text/event-stream: {schema: {type: string}}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: canary, version: '1'}
sourceDescriptions:
  - {name: api, url: ./canary.openapi.yaml, type: openapi}
components:
  parameters:
    session: {name: X-Session-Token, in: header, value: $inputs.sessionToken}
workflows:
  - workflowId: passes
    inputs: {type: object, properties: {sessionToken: {type: string}}}
    steps:
      - stepId: echo
        operationId: echo
        parameters: [{reference: $components.parameters.session}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          body: $response.body
          sent: $request.header.Authorization
          session: $request.header.X-Session-Token
          url: $url
    outputs: {body: $steps.echo.outputs.body, sent: $steps.echo.outputs.sent}
  - workflowId: fails
    inputs: {type: object, properties: {sessionToken: {type: string}}}
    steps:
      - stepId: echo
        operationId: echo
        parameters: [{reference: $components.parameters.session}]
        successCriteria:
          - condition: $response.body#/headers/authorization == 'nope'
          - context: $response.body
            condition: '^nothing$'
            type: regex
          - context: $response.body
            condition: $.headers[?@ == 'nope']
            type: jsonpath
        outputs: {body: $response.body}
  - workflowId: errors
    inputs: {type: object, properties: {sessionToken: {type: string}}}
    steps:
      - stepId: fail
        operationId: fail
        parameters: [{reference: $components.parameters.session}]
        outputs: {body: $response.body, echoed: $response.header.X-Echo}
  - workflowId: streams
    inputs: {type: object, properties: {sessionToken: {type: string}}}
    steps:
      - stepId: listen
        operationId: stream
        parameters: [{reference: $components.parameters.session}]
        successCriteria: [{condition: $statusCode == 200}]
  - workflowId: consumes
    inputs: {type: object, properties: {sessionToken: {type: string}}}
    steps:
      - stepId: listen
        operationId: stream
        parameters: [{reference: $components.parameters.session}]
        x-arazzo-stream: {until: $response.body#/n == 1}
        outputs: {last: $response.body}
    outputs: {last: $steps.listen.outputs.last}
"""


def _reflected(request: Request) -> dict[str, object]:
    """What arrived, as received and in the forms a server may show it in: base64 of every
    header value (``Key <FAL_KEY>`` included) and the raw, percent-encoded query string."""
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in request.headers.items()}
    return {
        "headers": dict(request.headers),
        "query": dict(request.query_params),
        "base64": encoded,
        "raw_query": request.url.query,
    }


def _hostile_app() -> Starlette:
    async def echo(request: Request) -> Response:
        return JSONResponse(_reflected(request))

    async def fail(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        body = {"detail": f"key {auth} rejected", **_reflected(request)}
        return JSONResponse(body, status_code=500, headers={"X-Echo": auth})

    async def stream(request: Request) -> Response:
        reflected = json.dumps(_reflected(request))

        async def events() -> Iterator[bytes]:  # type: ignore[misc]
            for n in range(2):
                yield f'data: {{"n": {n}, "seen": {reflected}}}\n\n'.encode()

        return StreamingResponse(events(), media_type="text/event-stream")  # type: ignore[arg-type]

    return Starlette(routes=[Route("/echo", echo), Route("/fail", fail), Route("/stream", stream)])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(_hostile_app()) as url:
        yield url


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("canary")
    (folder / "canary.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (folder / "canary.arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
    return folder / "canary.arazzo.yaml"


def _report_options() -> list[str]:
    """The report-file options this version of ``arazzo run`` has."""
    done = subprocess.run(
        [PYTHON, "-m", "arazzo_runner", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    return [o for o in ("--report-json", "--junit-xml", "--har") if o in done.stdout]


REPORTS = _report_options()

MODES = {
    "text-passes": ("-w", "passes"),
    "json-passes": ("-w", "passes", "--json"),
    "text-fails": ("-w", "fails"),
    "json-fails": ("-w", "fails", "--json"),
    "text-errors": ("-w", "errors"),
    "json-errors": ("-w", "errors", "--json"),
    "stream-text": ("-w", "streams", "--stream"),
    "stream-json": ("-w", "streams", "--stream", "--json"),
    "consumed-json": ("-w", "consumes", "--json"),
    "query-json": ("-w", "passes", "--query", "steps[0]"),
}


def _run(workflow: Path, url: str, out_dir: Path, *args: str) -> dict[str, str]:
    """Every text the run produced, by where it went."""
    env = {**os.environ, "FAL_KEY": SECRETS["FAL_KEY"]}
    env["ARAZZO_AUTH_ENVKEY"] = SECRETS["ARAZZO_AUTH_ENVKEY"]
    reports = {option: out_dir / f"report{option.replace('-', '_')}" for option in REPORTS}
    command = [
        PYTHON, "-m", "arazzo_runner", "run", str(workflow), "-S", f"api={url}",
        "--auth", f"cliKey={SECRETS['--auth']}",
        "-i", f"sessionToken={SECRETS['X-Session-Token']}",
        *args,
        *[part for option, path in reports.items() for part in (option, str(path))],
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=HANG_GUARD, check=False
    )
    texts = {"stdout": done.stdout, "stderr": done.stderr, "exit": str(done.returncode)}
    for option, path in reports.items():
        if path.exists():
            texts[option] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def _forms(secret: str) -> list[str]:
    """The secret and what it becomes on the wire or in an echo: percent-encoded, base64 of
    it alone and of the header values it was sent in (``Key …``, ``Bearer …``)."""
    found = [secret, quote(secret, safe="")]
    for value in (secret, f"Key {secret}", f"Bearer {secret}"):
        found.append(base64.b64encode(value.encode()).decode().rstrip("="))
    return found


def _leaks(texts: dict[str, str]) -> list[str]:
    return [
        f"{door} secret in {where} (as {form!r})"
        for door, secret in SECRETS.items()
        for form in _forms(secret)
        for where, text in texts.items()
        if form in text
    ]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_no_secret_in_any_output(workflow: Path, server: str, tmp_path: Path, mode: str) -> None:
    texts = _run(workflow, server, tmp_path, *MODES[mode])
    assert "Traceback" not in texts["stderr"], texts["stderr"]
    assert texts["exit"] in {"0", "1"}, texts  # it ran: passed or failed, never crashed
    assert [o for o in REPORTS if o not in texts] == []  # every report file was written
    _assert_no_leak(texts)


def _assert_no_leak(texts: dict[str, str]) -> None:
    assert _leaks(texts) == [], {k: v[:3000] for k, v in texts.items()}


def test_the_secrets_really_were_sent(workflow: Path, server: str, tmp_path: Path) -> None:
    """Guards the canary itself: a run that sent no credential would prove nothing."""
    texts = _run(workflow, server, tmp_path, "-w", "passes", "--json")
    assert texts["exit"] == "0", texts
    headers = json.loads(texts["stdout"])["outputs"]["body"]["headers"]
    # the server echoed what it received; the output shows it masked (the whole header value
    # is a secret the run sent, so it is masked whole)
    assert headers["authorization"] in {"***", "Key ***"} and headers["x-env-key"] == "***"
    assert headers["x-session-token"] == "***"


def test_no_secret_in_a_transport_error(workflow: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}"
        for extra in ((), ("--json",)):
            texts = _run(workflow, refused, tmp_path, "-w", "passes", *extra)
            assert texts["exit"] == "3", texts
            _assert_no_leak(texts)


def test_the_executor_learns_every_credential_it_sends(workflow: Path, server: str) -> None:
    """Below the CLI: after one exchange the run's redactor masks all four secrets."""
    from arazzo_runner.document.workspace import open_workspace
    from arazzo_runner.engine.port import OperationCall
    from arazzo_runner.wire.executor import HttpExecutor

    workspace = open_workspace(str(workflow))
    assert workspace.root is not None
    step = workspace.root.workflows[0].steps[0]
    call = OperationCall(
        workspace.root, "passes", step, (("X-Session-Token", "header", SECRETS["X-Session-Token"]),)
    )
    env = {"FAL_KEY": SECRETS["FAL_KEY"], "ARAZZO_AUTH_ENVKEY": SECRETS["ARAZZO_AUTH_ENVKEY"]}
    auth = {"cliKey": SECRETS["--auth"]}
    with HttpExecutor(workspace, servers={"api": server}, auth=auth, env=env) as executor:
        exchange = executor.execute(call)
        exchange.close()
        assert exchange.status_code == 200, exchange.error
        shown = executor.redactor.redact_data(exchange.response_body)
    assert _leaks({"body": json.dumps(shown)}) == []
    assert shown["headers"]["x-session-token"] == "***"


def test_the_python_api_results_and_httpx_logs_hold_no_secret(
    workflow: Path, server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``RunResult.to_dict()``, ``repr()``, the step URLs (the query key), reasons, outputs (the
    echoing server's answer extracted as an output) and httpx's own INFO lines are masked for a
    caller of the library."""
    from arazzo_runner import Runner

    env = {"FAL_KEY": SECRETS["FAL_KEY"], "ARAZZO_AUTH_ENVKEY": SECRETS["ARAZZO_AUTH_ENVKEY"]}
    runner = Runner(servers={"api": server}, auth={"cliKey": SECRETS["--auth"]}, env=env)
    inputs = {"sessionToken": SECRETS["X-Session-Token"]}
    with caplog.at_level(logging.INFO, logger="httpx"):
        result = runner.run(str(workflow), "fails", inputs)
    assert result.steps and result.steps[0].url is not None
    assert "api_key=" in result.steps[0].url  # the key was in the URL, masked
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    assert result.steps[0].outputs, "the echo was extracted as an output"
    texts = {
        "to_dict": json.dumps(result.to_dict()),
        "repr": repr(result),
        "outputs": repr([result.outputs, [step.outputs for step in result.steps]]),
        "step urls": repr([step.url for step in result.steps]),
        "reasons": repr([step.failures for step in result.steps]),
        "explain": result.explain(),
        "logs": caplog.text,
    }
    _assert_no_leak(texts)


def test_reveal_outputs_hands_back_outputs_as_the_workflow_made_them(
    workflow: Path, server: str
) -> None:
    """``Runner(reveal_outputs=True)``: a caller that needs a value the run also sent (a token
    it logged in for) gets it unmasked; URLs and reasons stay masked."""
    from arazzo_runner import Runner

    env = {"FAL_KEY": SECRETS["FAL_KEY"], "ARAZZO_AUTH_ENVKEY": SECRETS["ARAZZO_AUTH_ENVKEY"]}
    runner = Runner(
        servers={"api": server}, auth={"cliKey": SECRETS["--auth"]}, env=env, reveal_outputs=True
    )
    result = runner.run(str(workflow), "fails", {"sessionToken": SECRETS["X-Session-Token"]})
    assert _leaks({"outputs": json.dumps(result.to_dict()["steps"][0]["outputs"])})
    _assert_no_leak({"step urls": repr([step.url for step in result.steps])})


def test_auth_without_a_scheme_name_is_not_echoed(workflow: Path) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "arazzo_runner", "run", str(workflow), "--auth", SECRETS["--auth"]],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "--auth expects SCHEME=VALUE" in done.stderr
    _assert_no_leak({"stdout": done.stdout, "stderr": done.stderr})
