"""``arazzo load`` on Locust: per-step stats, streaming figures, master and workers, locustfiles.

Every load runs in a child process (Locust patches the standard library for gevent, which must
never happen inside the test process) for a few seconds against an app on 127.0.0.1 started
here, and is checked through Locust's own CSV files and the counts each process prints.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import os
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.asgi_server import serve
from tests.support.cli import HANG_GUARD, PYTHON

# never import Locust here (it patches the process for gevent): only ask whether it is installed
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="the load extra is not installed"
)

OPENAPI = """\
openapi: 3.1.0
info: {title: load, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9/unused"}]
paths:
  /ok:
    get:
      operationId: ok
      responses: {"200": {description: ok}}
  /ticks:
    get:
      operationId: ticks
      responses:
        "200":
          description: events
          content: {text/event-stream: {schema: {type: string}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: load, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: load.openapi.yaml, type: openapi}
workflows:
  - workflowId: shop
    steps:
      - stepId: browse
        operationId: ok
      - stepId: pay
        operationId: ok
        successCriteria:
          - condition: $statusCode == 201
        onFailure:
          - {name: go-on, type: goto, stepId: watch}
      - stepId: watch
        operationId: ticks
"""

LOCUSTFILE = """\
from arazzo_runner.loadtest import ArazzoUser


class Shopper(ArazzoUser):
    workflow_file = {doc!r}
    workflow_id = "shop"
    servers = {{"api": {base!r}}}
"""


def _app() -> Starlette:
    async def ok(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ticks(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for n in range(3):
                await asyncio.sleep(0.005)
                yield f"data: {n}\n\n".encode()

        return StreamingResponse(body(), media_type="text/event-stream")

    return Starlette(routes=[Route("/ok", ok), Route("/ticks", ticks)])


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    (tmp_path / "load.openapi.yaml").write_text(OPENAPI)
    path = tmp_path / "shop.arazzo.yaml"
    path.write_text(ARAZZO)
    return path


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "arazzo_runner", "load", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _finish(child: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, err = child.communicate(timeout=HANG_GUARD)
    finally:
        child.kill()
    return child.returncode, out + err


def _rows(prefix: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_headless_load_reports_every_step(doc: Path, base: str, tmp_path: Path) -> None:
    prefix = tmp_path / "out" / "shop"
    args = (str(doc), "-S", f"api={base}", "-u", "3", "-r", "3", "-t", "4s")
    code, text = _finish(_start(*args, "--csv", str(prefix), "--html", "r.html", cwd=tmp_path))
    assert code == 1, text  # the pay step fails on every iteration
    assert "Traceback" not in text
    rows = _rows(prefix)
    browse, pay, watch = (
        rows[("GET", "shop/browse")],
        rows[("GET", "shop/pay")],
        rows[("GET", "shop/watch")],
    )
    iterations = int(browse["Request Count"])
    assert iterations > 0
    assert browse["Failure Count"] == "0"
    assert pay["Failure Count"] == pay["Request Count"]
    assert watch["Failure Count"] == "0"
    for figure in ("TTFB", "TTFE"):
        assert int(rows[(figure, "shop/watch")]["Request Count"]) == int(watch["Request Count"])
    failures = Path(f"{prefix}_failures.csv").read_text(encoding="utf-8")
    assert 'GET,shop/pay,"$statusCode is 200, expected == 201"' in failures
    assert "<html" in (tmp_path / "r.html").read_text(encoding="utf-8").lower()
    total = int(rows[("", "Aggregated")]["Request Count"])
    assert re.search(rf"local: {total} request\(s\)", text)


def test_master_and_two_workers_add_up(doc: Path, base: str, tmp_path: Path) -> None:
    port = str(_free_port())
    prefix = tmp_path / "master"
    common = (str(doc), "-S", f"api={base}")
    master = _start(
        *common,
        *("--master", "--expect-workers", "2", "--master-bind-host", "127.0.0.1"),
        *("--master-bind-port", port, "-u", "4", "-r", "4", "-t", "4s", "--csv", str(prefix)),
        cwd=tmp_path,
    )
    workers = [
        _start(
            *common, "--worker", "--master-host", "127.0.0.1", "--master-port", port, cwd=tmp_path
        )
        for _ in range(2)
    ]
    code, text = _finish(master)
    done = [_finish(worker) for worker in workers]
    assert code == 1, text
    sent = []
    for worker_code, worker_text in done:
        assert worker_code in (0, 1), worker_text
        found = re.search(r"worker: (\d+) request\(s\)", worker_text)
        assert found is not None, worker_text
        sent.append(int(found.group(1)))
    assert all(count > 0 for count in sent)  # both workers ran users
    assert int(_rows(prefix)[("", "Aggregated")]["Request Count"]) == sum(sent)


def test_a_locustfile_with_arazzo_user(doc: Path, base: str, tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(doc=str(doc), base=base))
    prefix = tmp_path / "own"
    done = subprocess.run(
        [PYTHON, "-m", "locust", "-f", str(locustfile), "--headless", "-u", "2", "-r", "2"]
        + ["-t", "4s", "--csv", str(prefix), "--only-summary"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # Locust's own code: some requests failed
    rows = _rows(prefix)
    assert int(rows[("GET", "shop/browse")]["Request Count"]) > 0
    assert rows[("GET", "shop/pay")]["Failure Count"] == rows[("GET", "shop/pay")]["Request Count"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--master", "--worker"), "--master and --worker exclude each other"),
        (("-t", "soon"), "--run-time 'soon' is not a duration"),
        (("-w", "nope", "-t", "1s"), "no workflow 'nope'"),
    ],
)
def test_bad_options_exit_2(doc: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, text = _finish(_start(str(doc), *args, cwd=tmp_path))
    assert code == 2, text
    assert message in text
    assert "Traceback" not in text


def test_help_does_not_import_locust() -> None:
    probe = (
        "import sys\n"
        "from arazzo_runner.cli import main\n"
        "for argv in (['--help'], ['load', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('locust' in sys.modules, 'gevent' in sys.modules)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", probe], capture_output=True, text=True, timeout=HANG_GUARD, check=False
    )
    assert done.stdout.splitlines()[-1] == "False False", done.stderr
    assert "--spawn-rate" in done.stdout and "--expect-workers" in done.stdout


def test_the_loadtest_face_resolves_in_a_child() -> None:
    """tests/test_layers.py resolves every face in process but this one (Locust patches)."""
    probe = (
        "import arazzo_runner.loadtest as face\n"
        "names = list(face.__all__)\n"
        "assert names == sorted(names)\n"
        "assert all(getattr(face, n) is not None for n in names)\n"
        "assert set(face._LAZY_NAMES) == set(names)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", probe], capture_output=True, text=True, timeout=HANG_GUARD, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_the_locustfile_of_docs_load_md_runs(tmp_path: Path) -> None:
    """The page's example, as written, against the pet store app (URL and paths swapped in)."""
    from tests.support.apps import make_petstore_app

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "load.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    for folder in ("workflows", "openapi"):
        shutil.copytree(root / folder, tmp_path / folder)
    with serve(make_petstore_app()) as url:
        (tmp_path / "locustfile.py").write_text(example.replace("http://127.0.0.1:8000", url))
        done = subprocess.run(
            [PYTHON, "-m", "locust", "-f", "locustfile.py", "--headless", "-u", "2", "-r", "2"]
            + ["-t", "5s", "--csv", "out", "--only-summary"],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            cwd=tmp_path,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    rows = _rows(tmp_path / "out")
    steps = [name for kind, name in rows if kind != "" and name.startswith("login-list-get/")]
    assert steps and all(rows[(k, n)]["Failure Count"] == "0" for k, n in rows if n in steps)
