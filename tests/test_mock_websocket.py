"""The mock speaks fal's HTTP over WebSockets: framing, pipelining, 422s, refused handshakes.

Two clients that are not ours consume it: one written here from the protocol notes
(``../shared/fal/websocket.md``: plain ``websockets``, nothing of arazzo_runner), and fal's own
``fal.apps.ws`` (the ``fal`` package, in its own virtualenv ``.venv-fal`` that
``scripts/check`` makes, because it pins versions our test tools do not accept). fal's client
always dials ``wss://$FAL_WS_RUN_HOST/...``, so that test serves the mock over TLS with a
throwaway CA. What both receive must be what ``arazzo run --stream`` receives over HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from arazzo_runner.mock import build_app, load_indexes, serve_app
from arazzo_runner.streaming import SSEDecoder
from tests.support.cli import arazzo
from tests.support.tls import make_tls

ROOT = Path(__file__).resolve().parents[1]
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
FAL_PYTHON = ROOT / ".venv-fal" / "bin" / "python"
KEY = {"Authorization": "Key mock-id:mock-secret"}
TIMEOUT = 30


@pytest.fixture(scope="module")
def ws_base() -> Iterator[str]:
    (index,) = load_indexes(str(FAL_OPENAPI)).values()
    with serve_app(build_app(index)) as base_url:
        yield base_url.replace("http://", "ws://")


def _open(ws_base: str, path: str = "/fal-ai/any-llm/stream") -> ClientConnection:
    return connect(ws_base + path, additional_headers=KEY, open_timeout=10)


def read_answer(connection: ClientConnection) -> tuple[dict[str, Any], list[bytes], dict[str, Any]]:
    """One bracket as the notes describe it: start, binary body messages, end."""
    start = json.loads(connection.recv(timeout=10))
    body: list[bytes] = []
    while True:
        message = connection.recv(timeout=10)
        if isinstance(message, str):
            return start, body, json.loads(message)
        body.append(message)


def _events(body: list[bytes]) -> list[Any]:
    decoder = SSEDecoder()
    events = [e for chunk in body for e in decoder.feed(chunk)] + decoder.close()
    return [e.json() for e in events]


def test_one_request_is_start_binary_events_end(ws_base: str) -> None:
    with _open(ws_base) as connection:
        connection.send(json.dumps({"prompt": "Why is the sky blue?"}))
        start, body, end = read_answer(connection)
    assert start["type"] == "start" and start["status"] == 200
    headers = {k.lower(): v for k, v in start["headers"].items()}
    assert headers["content-type"].startswith("text/event-stream")
    assert end["type"] == "end" and end["request_id"] == start["request_id"]
    assert end["status"] == 200 and end["time_to_first_byte_seconds"] > 0
    assert len(body) == 7  # one SSE event per binary message
    events = _events(body)
    assert [e["partial"] for e in events] == [True] * 6 + [False]


def test_pipelined_payloads_are_answered_in_order(ws_base: str) -> None:
    with _open(ws_base, "/fal-ai/flux/schnell/stream") as connection, _open(ws_base) as llm:
        connection.send(json.dumps({"prompt": "a lighthouse"}))
        connection.send(json.dumps({"prompt": "a lighthouse", "seed": 1}))
        llm.send(json.dumps({"prompt": "hi"}))
        answers = [read_answer(connection) for _ in range(2)]
        _, llm_body, _ = read_answer(llm)
    ids = [start["request_id"] for start, _, _ in answers]
    assert len(set(ids)) == 2
    for start, body, end in answers:
        assert end["request_id"] == start["request_id"]
        assert "images" in _events(body)[-1]  # flux's own example, chosen by model_name
    assert _events(llm_body)[-1]["partial"] is False


def test_a_bad_payload_gets_a_422_and_the_connection_stays_usable(ws_base: str) -> None:
    with _open(ws_base) as connection:
        connection.send("this is not JSON")
        start, body, end = read_answer(connection)
        connection.send(json.dumps({"prompt": "again"}))
        again = read_answer(connection)
    assert start["status"] == 422 and end["status"] == 422
    assert {k.lower(): v for k, v in start["headers"].items()}["content-type"] == (
        "application/json"
    )
    problem = json.loads(b"".join(body))
    assert problem["detail"][0]["loc"][0] == "body"
    assert again[0]["status"] == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer x"}], ids=["none", "bearer"])
def test_handshake_without_a_key_is_refused(ws_base: str, headers: dict[str, str]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_base + "/fal-ai/any-llm/stream", additional_headers=headers, open_timeout=10)
    response = refused.value.response
    assert response.status_code == 401
    assert json.loads(response.body)["detail"].startswith("Authentication is required")


def test_an_unknown_path_is_refused(ws_base: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_base + "/nothing", additional_headers=KEY, open_timeout=10)
    assert refused.value.response.status_code == 403


# -- fal's own client ------------------------------------------------------------------------------

FAL_SCRIPT = """
import json, sys
import fal.apps
with fal.apps.ws(sys.argv[1]) as connection:
    for prompt in ("one", "two"):
        connection.send({"prompt": prompt})
    for _ in range(2):
        events = []
        for chunk in connection.stream():
            for block in chunk.decode().replace("\\r\\n", "\\n").split("\\n\\n"):
                for line in block.split("\\n"):
                    if line.startswith("data:"):
                        events.append(json.loads(line[5:]))
        print(json.dumps(events), flush=True)
"""


@pytest.fixture(scope="module")
def tls_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tls = make_tls(tmp_path_factory.mktemp("ws-tls"))
    (index,) = load_indexes(str(FAL_OPENAPI)).values()
    with serve_app(build_app(index), ssl_certfile=tls.cert, ssl_keyfile=tls.key) as base_url:
        yield base_url.removeprefix("https://"), tls.ca


@pytest.mark.skipif(not FAL_PYTHON.exists(), reason="no .venv-fal (scripts/check makes it)")
def test_fal_apps_ws_consumes_the_mock(tls_base: tuple[str, str], ws_base: str) -> None:
    host, ca = tls_base
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        FAL_WS_RUN_HOST=host,
        FAL_KEY="mock-id:mock-secret",
        SSL_CERT_FILE=ca,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUTF8="1",
    )
    done = subprocess.run(
        [str(FAL_PYTHON), "-c", FAL_SCRIPT, "fal-ai/any-llm/stream"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    theirs = [json.loads(line) for line in done.stdout.splitlines()]
    with _open(ws_base) as connection:
        connection.send(json.dumps({"prompt": "one"}))
        _, body, _ = read_answer(connection)
    assert theirs == [_events(body), _events(body)]
    assert len(theirs[0]) == 7


def test_arazzo_run_dials_fal_ws_run_host_over_tls_like_fals_client(
    tls_base: tuple[str, str],
) -> None:
    """No -S: the description's https://fal.run becomes wss://$FAL_WS_RUN_HOST, the key from
    FAL_KEY rides on the handshake (loopback), and the TLS mock's CA is trusted through
    SSL_CERT_FILE, as for HTTP."""
    host, ca = tls_base
    env = {
        "FAL_WS_RUN_HOST": host,
        "FAL_KEY": "tls-id:tls-secret",
        "SSL_CERT_FILE": ca,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    done = arazzo(
        "run",
        str(ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"),
        "--transport",
        "websocket",
        "--stream",
        "--json",
        "-i",
        "modelOwner=fal-ai",
        "-i",
        "modelName=any-llm",
        "-i",
        'input={"prompt": "hi"}',
        env=env,
    )
    assert done.code == 0, done.text
    lines = [json.loads(line) for line in done.out.splitlines()]
    assert [line["type"] for line in lines] == ["event"] * 7 + ["result"]
    assert lines[-1]["steps"][0]["request"]["url"] == f"wss://{host}/fal-ai/any-llm/stream"
    assert "tls-secret" not in done.text
