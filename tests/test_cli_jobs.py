"""``arazzo run --jobs N``: workflows run concurrently, results and reports as with ``--jobs 1``.

A small app on 127.0.0.1 answers ``GET /wait/{name}?ms=M`` after M milliseconds and keeps
what it saw: how many requests were in flight at once (in all, and per name) and in which order
they arrived. Concurrency is asserted from those counts, never from wall-clock times.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.asgi_server import serve
from tests.support.cli import HANG_GUARD, PYTHON
from tests.support.reports import run_cli

OPENAPI = """\
openapi: 3.1.0
info: {title: wait, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9/unused"}]
paths:
  /wait/{name}:
    get:
      operationId: wait
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: ms, in: query, required: true, schema: {type: integer}}
      responses:
        "200":
          description: done
          content:
            application/json:
              schema: {type: object}
"""


def _workflow(name: str, ms: int, *, depends: str | None = None, fails: bool = False) -> str:
    after = f"    dependsOn: [{depends}]\n" if depends else ""
    wanted = 201 if fails else 200
    return (
        f"  - workflowId: {name}\n{after}    steps:\n"
        f"      - stepId: wait\n        operationId: wait\n"
        f"        parameters:\n          - {{name: name, in: path, value: {name}}}\n"
        f"          - {{name: ms, in: query, value: {ms}}}\n"
        f"        successCriteria:\n          - condition: $statusCode == {wanted}\n"
    )


def _document(title: str, workflows: list[str]) -> str:
    head = (
        f"arazzo: 1.0.1\ninfo: {{title: {title}, version: 1.0.0}}\n"
        "sourceDescriptions:\n  - {name: api, url: wait.openapi.yaml, type: openapi}\n"
        "workflows:\n"
    )
    return head + "".join(workflows)


class Seen:
    """What the app saw: requests in flight (now, most at once, per name) and arrivals."""

    def __init__(self) -> None:
        self.now: dict[str, int] = {}
        self.most = 0
        self.most_per_name: dict[str, int] = {}
        self.order: list[str] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def _app(seen: Seen) -> Starlette:
    async def wait(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        seen.order.append(name)
        seen.now[name] = seen.now.get(name, 0) + 1
        seen.most = max(seen.most, sum(seen.now.values()))
        seen.most_per_name[name] = max(seen.most_per_name.get(name, 0), seen.now[name])
        try:
            await asyncio.sleep(int(request.query_params["ms"]) / 1000)
        finally:
            seen.now[name] -= 1
        return JSONResponse({"name": name})

    return Starlette(routes=[Route("/wait/{name}", wait)])


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def base(seen: Seen) -> Iterator[str]:
    with serve(_app(seen)) as url:
        yield url


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """Two files, eight workflows: one fails its criterion, one depends on another."""
    (tmp_path / "wait.openapi.yaml").write_text(OPENAPI)
    first = [_workflow(f"w{i}", 300) for i in range(5)]
    first.append(_workflow("late", 300, depends="w0"))
    (tmp_path / "a.arazzo.yaml").write_text(_document("a", first))
    second = [_workflow("x0", 300), _workflow("x1", 300, fails=True)]
    (tmp_path / "b.arazzo.yaml").write_text(_document("b", second))
    return tmp_path


def _untimed(data: Any) -> Any:
    """``data`` without the keys that hold timings."""
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if k not in ("durationMs", "stream")}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def _run(capsys: pytest.CaptureFixture[str], suite: Path, base: str, *args: str) -> Any:
    code, out, err = run_cli(capsys, "run", str(suite), "-S", f"api={base}", "--json", *args)
    assert code == 1, err  # x1 fails its criterion
    return json.loads(out)


def test_jobs_give_the_results_of_a_sequential_run(
    capsys: pytest.CaptureFixture[str], suite: Path, base: str, seen: Seen
) -> None:
    seen.reset()
    alone = _run(capsys, suite, base, "--jobs", "1")
    assert seen.most == 1
    seen.reset()
    together = _run(capsys, suite, base, "--jobs", "4")
    assert seen.most >= 2  # more than one workflow was waiting on the server at once
    assert seen.most <= 4
    assert _untimed(together) == _untimed(alone)
    assert [(o["file"].rsplit("/", 1)[-1], o["workflowId"]) for o in together] == [
        ("a.arazzo.yaml", "w0"),
        ("a.arazzo.yaml", "w1"),
        ("a.arazzo.yaml", "w2"),
        ("a.arazzo.yaml", "w3"),
        ("a.arazzo.yaml", "w4"),
        ("a.arazzo.yaml", "late"),
        ("b.arazzo.yaml", "x0"),
        ("b.arazzo.yaml", "x1"),
    ]


def test_a_dependant_starts_after_its_dependency(
    capsys: pytest.CaptureFixture[str], suite: Path, base: str, seen: Seen
) -> None:
    seen.reset()
    _run(capsys, suite, base, "--jobs", "8")
    assert seen.most >= 2
    # w0 runs twice (its own job, then inside late's run), never both at once
    assert seen.order.count("w0") == 2
    assert seen.most_per_name["w0"] == 1
    assert seen.order.index("late") > seen.order.index("w0", seen.order.index("w0") + 1)


def test_reports_are_those_of_a_sequential_run(
    capsys: pytest.CaptureFixture[str], suite: Path, base: str, tmp_path: Path
) -> None:
    texts = {}
    for jobs in ("1", "3"):
        report, junit = tmp_path / f"r{jobs}.json", tmp_path / f"j{jobs}.xml"
        args = ("--jobs", jobs, "--report-json", str(report), "--junit-xml", str(junit))
        _run(capsys, suite, base, *args)
        cases = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase")]
        texts[jobs] = (_untimed(json.loads(report.read_text())), cases)
    assert texts["1"] == texts["3"]
    assert texts["1"][1] == ["w0", "w1", "w2", "w3", "w4", "late", "x0", "x1"]


def test_progress_lines_keep_document_order(
    capsys: pytest.CaptureFixture[str], suite: Path, base: str
) -> None:
    args = ("run", str(suite), "-S", f"api={base}", "--jobs", "4")
    code, out, _ = run_cli(capsys, *args)
    assert code == 1
    heads = [line.split("#")[1] for line in out.splitlines() if ".arazzo.yaml#" in line]
    assert heads == ["w0", "w1", "w2", "w3", "w4", "late", "x0", "x1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--jobs", "0"), "--jobs must be at least 1"),
        (("--jobs", "2", "--stream"), "--stream (or --until) prints events live"),
        (("--jobs", "2", "--har", "x.har"), "--har records one run at a time"),
        (("--jobs", "2", "--html", "x.html"), "--html records one run at a time"),
    ],
)
def test_bad_jobs_options_exit_2(
    capsys: pytest.CaptureFixture[str], suite: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = run_cli(capsys, "run", str(suite), *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_ctrl_c_stops_every_job_and_writes_the_reports(
    suite: Path, base: str, seen: Seen, tmp_path: Path
) -> None:
    slow = [
        _workflow("quick", 10),
        *(_workflow(f"slow{i}", 20_000, depends="quick") for i in range(3)),
    ]
    (suite / "a.arazzo.yaml").write_text(_document("a", slow))
    (suite / "b.arazzo.yaml").unlink()
    report = tmp_path / "report.json"
    seen.reset()
    child = subprocess.Popen(
        [PYTHON, "-m", "arazzo_runner", "run", str(suite), "-S", f"api={base}"]
        + ["--jobs", "4", "--report-json", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while sum(seen.now.get(f"slow{i}", 0) for i in range(3)) < 3:
            assert time.monotonic() < deadline, "the slow workflows never all started"
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=HANG_GUARD)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    outcomes = json.loads(report.read_text())
    assert [(o["workflowId"], o["exitCode"]) for o in outcomes] == [
        ("quick", 0),
        ("slow0", 130),
        ("slow1", 130),
        ("slow2", 130),
    ]


def test_mock_with_jobs_gives_the_results_of_a_sequential_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each file's mocks start once; its jobs run on a copy of the runner pointing at them."""
    todo = str(Path(__file__).resolve().parents[1] / "docs" / "examples" / "todo")
    runs = []
    for jobs in ("1", "3"):
        code, out, err = run_cli(capsys, "run", todo, "--mock", "--json", "--jobs", jobs)
        assert code == 0, err
        runs.append(_untimed(json.loads(re.sub(r"127\.0\.0\.1:\d+", "mock", out))))
    assert runs[0] == runs[1]  # each run's mocks listen on ports of their own
    assert [o["workflowId"] for o in runs[1]] == ["health", "create-and-read", "read-one"]
