"""Fidelity: fal's own Python client (fal-client) consumes our mock of fal's API.

``fal_client.stream()`` always builds ``https://{FAL_RUN_HOST}/{application}/stream`` (the host
is read from the environment when the package is imported), authenticates with
``Authorization: Key $FAL_KEY`` and yields every SSE event's data parsed as JSON. So the mock
serves the fal description over TLS with a throwaway trustme CA, and fal-client runs in a
subprocess whose environment points ``FAL_RUN_HOST`` at it and ``SSL_CERT_FILE`` at the CA
(httpx, under fal-client, reads both). What fal-client receives must be exactly what our own
``EventStream`` and ``arazzo run --stream --json`` receive from the same server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_runner.mock import build_app, load_indexes, serve_app
from arazzo_runner.streaming.event_stream import EventStream
from tests.support.tls import TLSFiles, make_tls

ROOT = Path(__file__).resolve().parent.parent
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
WORKFLOW = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
FAL_KEY = "mock-key-id:mock-key-secret"
TIMEOUT = 30  # seconds for any subprocess; the streams themselves last about a second

FAL_SCRIPT = """
import json, sys
import fal_client
for event in fal_client.stream(sys.argv[1], arguments=json.loads(sys.argv[2]), timeout=20):
    print(json.dumps(event), flush=True)
"""

FAL_ERROR_SCRIPT = """
import json, sys
import fal_client, httpx_sse
try:
    for event in fal_client.stream(sys.argv[1], arguments=json.loads(sys.argv[2]), timeout=20):
        print(json.dumps(event), flush=True)
except httpx_sse.SSEError as exc:
    print("SSEError:", exc)
"""

ANY_LLM = ("fal-ai/any-llm", {"prompt": "Why is the sky blue?"})
FLUX = ("fal-ai/flux/schnell", {"prompt": "A lighthouse at dawn", "seed": 42})


@dataclass
class Recorder:
    """ASGI wrapper that records each request's method, raw path and headers."""

    app: Any
    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            with self.lock:
                self.seen.append(
                    {"method": scope["method"], "path": scope["raw_path"].decode(), **headers}
                )
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class TLSMock:
    base_url: str
    tls: TLSFiles
    recorder: Recorder

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("https://")


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSMock]:
    tls = make_tls(tmp_path_factory.mktemp("tls"))
    (index,) = load_indexes(str(FAL_OPENAPI)).values()
    recorder = Recorder(build_app(index))
    with serve_app(recorder, ssl_certfile=tls.cert, ssl_keyfile=tls.key) as base_url:
        yield TLSMock(base_url, tls, recorder)


def _env(mock: TLSMock) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("FAL_KEY_ID", None)
    env.pop("FAL_KEY_SECRET", None)
    env.update(
        FAL_RUN_HOST=mock.host,
        FAL_KEY=FAL_KEY,
        SSL_CERT_FILE=mock.tls.ca,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUTF8="1",
    )
    return env


def _run(args: list[str], mock: TLSMock) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=_env(mock), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


_MEMO: dict[tuple[str, str, str], list[Any]] = {}


def fal_client_events(mock: TLSMock, application: str, arguments: Any) -> list[Any]:
    """What ``fal_client.stream()`` yields (one run per server and input, then remembered)."""
    key = (mock.base_url, application, json.dumps(arguments))
    if key not in _MEMO:
        _MEMO[key] = _fal_client_run(mock, application, arguments)
    return _MEMO[key]


def _fal_client_run(mock: TLSMock, application: str, arguments: Any) -> list[Any]:
    done = _run([sys.executable, "-c", FAL_SCRIPT, application, json.dumps(arguments)], mock)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def our_events(mock: TLSMock, application: str, arguments: Any) -> list[Any]:
    with httpx.Client(verify=mock.tls.client_context(), timeout=10, trust_env=False) as client:
        request = client.build_request(
            "POST",
            f"{mock.base_url}/{application}/stream",
            json=arguments,
            headers={"Authorization": f"Key {FAL_KEY}", "Accept": "text/event-stream"},
        )
        with EventStream(client.send(request, stream=True), first_byte_timeout=10) as stream:
            return [event.json() for event in stream]


def cli_events(mock: TLSMock, owner: str, name: str, arguments: Any) -> list[Any]:
    args = [sys.executable, "-m", "arazzo_runner", "run", str(WORKFLOW), "--stream", "--json"]
    args += ["-S", f"falModelApis={mock.base_url}", "-i", f"modelOwner={owner}"]
    args += ["-i", f"modelName={name}", "-i", f"input={json.dumps(arguments)}"]
    done = _run(args, mock)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [json.loads(line["data"]) for line in lines if line.get("type") == "event"]


@pytest.mark.parametrize(("application", "arguments"), [ANY_LLM, FLUX], ids=["any-llm", "flux"])
def test_fal_client_stream_receives_the_events_we_receive(
    mock: TLSMock, application: str, arguments: Any
) -> None:
    theirs = fal_client_events(mock, application, arguments)
    ours = our_events(mock, application, arguments)
    assert theirs == ours
    assert len(theirs) >= 4


def test_any_llm_events_build_up_to_a_final_answer(mock: TLSMock) -> None:
    events = fal_client_events(mock, *ANY_LLM)
    outputs = [e["output"] for e in events]
    assert all(
        later.startswith(earlier) for earlier, later in zip(outputs, outputs[1:], strict=False)
    )
    assert [e["partial"] for e in events] == [True] * (len(events) - 1) + [False]
    assert all(e["error"] is None for e in events)


def test_flux_sends_progress_then_images(mock: TLSMock) -> None:
    events = fal_client_events(mock, *FLUX)
    *progress, final = events
    assert [e["progress"] for e in progress] == sorted(e["progress"] for e in progress)
    assert all(e["images"][0]["content_type"] for e in progress)
    assert final["images"][0]["url"].startswith("https://")
    assert "progress" not in final


def test_fal_client_request_reaches_the_mock_as_fal_would_see_it(mock: TLSMock) -> None:
    before = len(mock.recorder.seen)
    _fal_client_run(mock, *FLUX)
    (request,) = mock.recorder.seen[before:]
    assert request["method"] == "POST"
    assert request["path"] == "/fal-ai/flux/schnell/stream"
    assert request["authorization"] == f"Key {FAL_KEY}"
    assert request["content-type"] == "application/json"
    assert "text/event-stream" in request["accept"]
    assert request["user-agent"].startswith("fal-client/")


def test_arazzo_run_stream_json_receives_the_same_events(mock: TLSMock) -> None:
    assert cli_events(mock, "fal-ai", "any-llm", ANY_LLM[1]) == fal_client_events(mock, *ANY_LLM)
    assert cli_events(mock, "fal-ai", "flux/schnell", FLUX[1]) == fal_client_events(mock, *FLUX)


def test_invalid_input_is_a_422_json_answer_which_fal_client_refuses_as_not_a_stream(
    mock: TLSMock,
) -> None:
    done = _run([sys.executable, "-c", FAL_ERROR_SCRIPT, "fal-ai/any-llm", "[1, 2]"], mock)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SSEError:") and "application/json" in done.stdout
    with httpx.Client(verify=mock.tls.client_context(), timeout=10, trust_env=False) as client:
        answer = client.post(f"{mock.base_url}/fal-ai/any-llm/stream", json=[1, 2])
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body"] and problem["type"] == "value_error.type"
