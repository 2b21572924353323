"""Live progress: ``arazzo run`` on a pseudo-terminal shows a status line per running step (with
elapsed time, and for a stream its events and rate), replaced by the step's final line; the same
run piped shows none of it, prints what it printed before, and never imports the module."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from arazzo_runner.cli.progress import CLEAR, LiveProgress
from arazzo_runner.redact import Redactor
from arazzo_runner.results import StepResult
from tests.support.apps import make_fal_app
from tests.support.asgi_server import serve
from tests.support.cli import HANG_GUARD, PYTHON, ROOT

FAL = str(ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml")
INPUTS = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']
EVENTS = [
    {"event": "event", "delayMs": 250, "data": {"output": "x" * n, "partial": n < 6, "error": None}}
    for n in range(1, 7)
]  # six events a quarter of a second apart: the ticker redraws several times


@pytest.fixture()
def slow_stream() -> Iterator[str]:
    app: Starlette = make_fal_app("finite", events=EVENTS)
    with serve(app) as url:
        yield url


def _command(url: str, *extra: str) -> list[str]:
    args = ["run", FAL, *INPUTS, "-S", f"falModelApis={url}", "--stream", *extra]
    return [PYTHON, "-m", "arazzo_runner", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "FAL_KEY": "fal-test-key-123", "PYTHONIOENCODING": "utf-8"}


def _on_a_terminal(command: list[str]) -> tuple[int, str]:
    """Run ``command`` with stdin, stdout and stderr on one pseudo-terminal; all it showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    child = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=_env(), close_fds=True
    )
    os.close(slave)
    shown, deadline = bytearray(), time.monotonic() + HANG_GUARD
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            shown += data
    finally:
        os.close(master)
        code = child.wait(timeout=HANG_GUARD)
    return code, shown.decode("utf-8", errors="replace")


def test_a_terminal_sees_status_lines_replaced_by_the_final_line(slow_stream: str) -> None:
    code, shown = _on_a_terminal(_command(slow_stream))
    assert code == 0, shown
    statuses = [part for part in shown.split(CLEAR) if "stream-inference/openStream" in part]
    running = [s for s in statuses if " s" in s and "ok" not in s]
    assert len(running) >= 3  # redrawn while the stream went on
    assert any("events" in s and "/s" in s for s in running)  # events so far and their rate
    elapsed = [float(s.split("openStream ")[1].split(" s")[0]) for s in running]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 1.0  # six events 0.25 s apart
    # the status line is cleared and the step's own line takes its place, printed once
    assert f"{CLEAR}  ok   stream-inference/openStream 200" in shown
    assert shown.count("ok   stream-inference/openStream") == 1
    assert "stream-inference: passed" in shown
    assert shown.count("[openStream] #") == 6


def test_piped_output_has_no_progress_and_does_not_import_it(slow_stream: str) -> None:
    command = _command(slow_stream)
    command[1:1] = ["-X", "importtime"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=_env(), timeout=HANG_GUARD, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout and "\x1b" not in done.stdout
    assert "arazzo_runner.cli.progress" not in done.stderr  # -X importtime lists every import
    err = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert err == []  # no status line on a piped stderr either
    lines = done.stdout.splitlines()
    assert [line.split(" event:")[0] for line in lines[:6]] == [
        f"[openStream] #{n}" for n in range(1, 7)
    ]
    assert lines[6].startswith("  ok   stream-inference/openStream 200")
    assert lines[7].startswith("stream-inference: passed")


def test_json_on_a_terminal_has_no_progress(slow_stream: str) -> None:
    code, shown = _on_a_terminal(_command(slow_stream, "--json"))
    assert code == 0
    assert "\x1b" not in shown and "\r\n" in shown  # the terminal's own line ends only
    assert all(line.startswith("{") for line in shown.split("\r\n") if line)


def test_the_status_line_names_the_innermost_running_step_and_escapes_its_text() -> None:
    screen = io.StringIO()
    now = [100.0]
    progress = LiveProgress(
        screen,
        Redactor(["s3cret"]),
        final_lines=False,
        clock=lambda: now[0],
        visible=lambda text: text.replace("\x1b", "\\x1b"),
    )
    progress.step_started("outer", "call")
    now[0] += 1.5
    progress.step_started("inner", "bad\x1b[2Js3cret")
    now[0] += 0.5
    progress.saw_events(1)
    now[0] += 1.0
    progress.saw_events(2)
    progress.redraw()
    last = screen.getvalue().split(CLEAR)[-1]
    assert last.endswith("inner/bad\\x1b[2J*** 1.5 s  3 events, 2.0/s")
    progress.step_finished(StepResult("bad\x1b[2Js3cret", "inner", "passed"))
    progress.redraw()
    assert screen.getvalue().split(CLEAR)[-1].endswith("outer/call 3.0 s")
    progress.step_finished(StepResult("call", "outer", "passed"))
    assert screen.getvalue().endswith(CLEAR)  # nothing running: the line is gone
