"""``arazzo mock`` and ``arazzo run --mock`` as a user runs them: real processes, real signals.

Every process is bounded by a timeout and killed if a test fails midway, so nothing hangs.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
FAL_WORKFLOW = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
TIMEOUT = 30.0
URL_LINE = re.compile(r"^(?P<name>\S+) -> (?P<url>http://127\.0\.0\.1:\d+)$")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends POSIX signals")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for name in ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"):
        env.pop(name, None)  # no account: the mock needs none
    env["PYTHONUNBUFFERED"] = "1"
    return env


def arazzo(*args: str) -> list[str]:
    return [sys.executable, "-m", "arazzo_runner", *args]


class Lines:
    """Lines of a process's stream as they arrive, each with the time it was read."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[tuple[float, str] | None] = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self._queue.put((time.monotonic(), line.rstrip("\n")))
        self._queue.put(None)

    def next(self, timeout: float = TIMEOUT) -> str | None:
        """The next line (None at end of stream); fails the test after ``timeout``."""
        item = self._queue.get(timeout=timeout)
        if item is None:
            return None
        self.seen.append(item)
        return item[1]

    def rest(self, timeout: float = TIMEOUT) -> list[str]:
        found = []
        while (line := self.next(timeout)) is not None:
            found.append(line)
        return found


@dataclass(frozen=True)
class Proc:
    process: subprocess.Popen[str]
    out: Lines
    err: Lines


Spawn = Callable[[list[str]], Proc]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    started: list[Proc] = []

    def start(args: list[str]) -> Proc:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        assert process.stdout is not None and process.stderr is not None
        started.append(Proc(process, Lines(process.stdout), Lines(process.stderr)))
        return started[-1]

    yield start
    for proc in started:
        if proc.process.poll() is None:
            proc.process.kill()
        proc.process.wait(timeout=TIMEOUT)
        proc.out.thread.join(timeout=TIMEOUT)
        proc.err.thread.join(timeout=TIMEOUT)


def _urls(stdout: Lines, count: int) -> dict[str, str]:
    urls = {}
    for _ in range(count):
        line = stdout.next()
        assert line is not None, "the mock ended before printing its URL"
        match = URL_LINE.match(line)
        assert match, line
        urls[match["name"]] = match["url"]
    return urls


# --------------------------------------------------------------------------- arazzo mock
def test_arazzo_mock_serves_until_ctrl_c(spawn: Spawn) -> None:
    proc = spawn(arazzo("mock", str(FAL_OPENAPI), "--port", "0"))
    process, stdout, stderr = proc.process, proc.out, proc.err
    (url,) = _urls(stdout, 1).values()
    assert stderr.next() == "serving; press Ctrl-C to stop"
    with httpx.Client(timeout=10, trust_env=False) as client:
        streamed = client.post(f"{url}/fal-ai/any-llm/stream", json={"prompt": "hi"})
        assert streamed.status_code == 200
        assert streamed.text.count("event: event") >= 6
        assert client.post(f"{url}/fal-ai/any-llm/stream", json=[1]).status_code == 422
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=TIMEOUT) == 0
    assert stderr.rest() == ["stopped"]
    assert stdout.rest() == []


def test_ctrl_c_in_the_middle_of_a_stream_still_stops_cleanly(
    spawn: Spawn,
) -> None:
    proc = spawn(arazzo("mock", str(FAL_OPENAPI)))
    process, stdout, stderr = proc.process, proc.out, proc.err
    (url,) = _urls(stdout, 1).values()
    with httpx.Client(timeout=10, trust_env=False) as client:
        request = client.build_request("POST", f"{url}/fal-ai/any-llm/stream", json={})
        response = client.send(request, stream=True)
        try:
            first = next(response.iter_raw())
            assert first.startswith(b"event: event")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=TIMEOUT) == 0
        finally:
            response.close()
    assert "stopped" in stderr.rest()
    assert not any("Traceback" in line for _, line in stderr.seen)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_right_after_start_up_still_stops_cleanly(spawn: Spawn, signum: int) -> None:
    proc = spawn(arazzo("mock", str(FAL_OPENAPI)))
    _urls(proc.out, 1)  # the servers are up; "serving" may not be printed yet
    proc.process.send_signal(signum)
    assert proc.process.wait(timeout=TIMEOUT) == 0
    assert proc.err.rest()[-1] == "stopped"


def _two_free_ports() -> int:
    """A port that is free, with the next one free too (both were bound, then released)."""
    for _ in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no two consecutive free ports on 127.0.0.1")


def test_an_arazzo_file_mocks_each_openapi_source_on_the_given_ports(
    spawn: Spawn,
) -> None:
    port = _two_free_ports()
    proc = spawn(arazzo("mock", "workflows/multi-source.arazzo.yaml", "--port", str(port)))
    process = proc.process
    urls = _urls(proc.out, 2)
    assert list(urls) == ["catalog", "accounts"]  # the source descriptions' names
    assert sorted(urls.values()) == [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=TIMEOUT) == 0


def test_a_busy_port_is_a_clear_error(spawn: Spawn) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            arazzo("mock", str(FAL_OPENAPI), "--port", str(port)),
            capture_output=True,
            text=True,
            env=_env(),
            timeout=TIMEOUT,
            check=False,
        )
    assert done.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


MISSING_SOURCE = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: gone, url: ./nowhere.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - {stepId: s, operationId: x}
"""

# case -> (file text or None for no file, what `mock` says, what `run --mock` says)
BAD_DESCRIPTIONS = {
    "missing": (None, "file not found", "file not found"),
    "bad-yaml": ("openapi: 3.1.0\npaths: [1\n", "not valid YAML", "not valid YAML"),
    "not-openapi": ("hello: world\n", "not an OpenAPI description", "add `arazzo: 1.0.1`"),
    "missing-source": (
        MISSING_SOURCE,
        "source 'gone' cannot be mocked: file not found",
        "source description 'gone' cannot be loaded: file not found",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DESCRIPTIONS))
@pytest.mark.parametrize("command", ["mock", "run"])
def test_a_description_that_cannot_be_loaded_exits_2_with_a_clear_error(
    tmp_path: Path, case: str, command: str
) -> None:
    text, from_mock, from_run = BAD_DESCRIPTIONS[case]
    path = tmp_path / "doc.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    args = ["mock", str(path)] if command == "mock" else ["run", str(path), "--mock"]
    done = subprocess.run(
        arazzo(*args), capture_output=True, text=True, env=_env(), timeout=TIMEOUT, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ")
    assert (from_mock if command == "mock" else from_run) in done.stderr
    assert "doc.yaml" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


# --------------------------------------------------------------------------- arazzo run --mock
def test_run_mock_prints_the_fal_stream_as_it_builds_up(
    spawn: Spawn,
) -> None:
    proc = spawn(
        arazzo(
            "run",
            str(FAL_WORKFLOW),
            "--mock",
            "--stream",
            "-i",
            "modelOwner=fal-ai",
            "-i",
            "modelName=any-llm",
            "-i",
            'input={"prompt": "Why is the sky blue?"}',
        )
    )
    stdout = proc.out
    lines = stdout.rest()
    assert proc.process.wait(timeout=TIMEOUT) == 0, proc.err.rest()
    events = [line for line in lines if line.startswith("[openStream] #")]
    datas = [json.loads(line.split(" event: ", 1)[1]) for line in events]
    assert len(datas) >= 6
    outputs = [d["output"] for d in datas]
    assert all(
        b.startswith(a) and len(b) > len(a) for a, b in zip(outputs, outputs[1:], strict=False)
    )
    assert [d["partial"] for d in datas] == [True] * (len(datas) - 1) + [False]
    assert any("stream-inference: passed" in line for line in lines)
    # Progressive: each event line was printed when its event came, not all at the end.
    times = [t for t, line in stdout.seen if line.startswith("[openStream] #")]
    assert times[-1] - times[0] > 0.2


def test_run_mock_json_streams_flux_progress_then_images() -> None:
    done = subprocess.run(
        arazzo(
            "run",
            str(FAL_WORKFLOW),
            "--mock",
            "--stream",
            "--json",
            "-i",
            "modelOwner=fal-ai",
            "-i",
            "modelName=flux/schnell",
            "-i",
            'input={"prompt": "A lighthouse"}',
        ),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    datas = [json.loads(r["data"]) for r in records if r.get("type") == "event"]
    assert [d["progress"] for d in datas[:-1]] == [0.25, 0.5, 0.75]
    assert datas[-1]["images"][0]["content_type"] == "image/jpeg"
    assert records[-1]["status"] == "passed"


def test_run_mock_on_a_repo_workflow_passes() -> None:
    done = subprocess.run(
        arazzo("run", "workflows/multi-source.arazzo.yaml", "--mock"),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "item-owner: passed" in done.stdout


def test_run_mock_fails_clearly_where_examples_cannot_satisfy_the_workflow() -> None:
    """The petstore workflow wants the pet it listed; the mock's getPet example is another."""
    done = subprocess.run(
        arazzo(
            "run",
            "workflows/petstore.arazzo.yaml",
            "--mock",
            "-i",
            "username=a",
            "-i",
            "password=b",
        ),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert "FAIL login-list-get/getPet" in done.stdout
    assert done.stderr.startswith("error: step getPet failed:")
    assert "Traceback" not in done.stderr


def test_ctrl_c_during_run_mock_stops_the_stream_and_the_mock(spawn: Spawn) -> None:
    proc = spawn(
        arazzo(
            "run",
            str(FAL_WORKFLOW),
            "--mock",
            "--stream",
            "-i",
            "modelOwner=fal-ai",
            "-i",
            "modelName=any-llm",
            "-i",
            "input={}",
        )
    )
    first = proc.out.next()
    assert first is not None and first.startswith("[openStream] #1 event:")
    proc.process.send_signal(signal.SIGINT)
    assert proc.process.wait(timeout=TIMEOUT) == 130
    errors = proc.err.rest()
    assert errors and errors[-1].startswith("interrupted after ")
    assert not any("Traceback" in line for line in errors)
    assert not any("passed" in line for line in proc.out.rest())


WITHOUT_STARLETTE = (
    "import sys; sys.modules['starlette'] = None; from arazzo_runner.cli import main; "
)


@pytest.mark.parametrize(
    "args",
    [
        ["mock", str(FAL_OPENAPI)],
        ["run", str(FAL_WORKFLOW), "--mock", "-i", "modelOwner=a", "-i", "modelName=b"],
    ],
    ids=["mock", "run"],
)
def test_without_the_mock_extra_the_error_says_what_to_install(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_STARLETTE + f"main({args!r})"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 2
    assert "needs the mock extra" in done.stderr and "arazzo-runner[mock]" in done.stderr
    assert "Traceback" not in done.stderr


def test_arazzo_mock_serves_the_sources_of_a_1_1_document(spawn: Spawn) -> None:
    """workflows/cafe-1.1.arazzo.yaml: its source URL resolves against $self and is read next
    to the file; the OpenAPI 3.2 querystring operation answers with its example."""
    proc = spawn(arazzo("mock", "workflows/cafe-1.1.arazzo.yaml", "--port", "0"))
    urls = _urls(proc.out, 1)
    assert list(urls) == ["cafe"]
    assert proc.err.next() == "serving; press Ctrl-C to stop"
    with httpx.Client(timeout=10, trust_env=False) as client:
        menu = client.get(f"{urls['cafe']}/menu?category=beverage&limit=2")
        assert menu.status_code == 200
        assert menu.json()["items"][0] == {"id": "m-tea", "name": "Tea", "category": "beverage"}
        placed = client.post(f"{urls['cafe']}/orders", json={"customerName": "Ann", "items": []})
        assert placed.status_code == 201 and placed.json()["status"] == "placed"
        assert client.post(f"{urls['cafe']}/orders", json=[1]).status_code == 422
    proc.process.send_signal(signal.SIGINT)
    assert proc.process.wait(timeout=TIMEOUT) == 0
