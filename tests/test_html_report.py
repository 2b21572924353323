"""``arazzo run --html PATH``: one self-contained page, read back with the standard library's
HTML parser, and opened in headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it),
which saves a screenshot (``build/artifacts/html-report.png``, kept by CI as an artefact)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.support.apps import make_fal_app, make_flow_app
from tests.support.asgi_server import serve
from tests.support.reports import run_cli

ROOT = Path(__file__).resolve().parents[1]
CONTROL_FLOW = str(ROOT / "workflows" / "control-flow.arazzo.yaml")
FAL = str(ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml")
FAL_INPUTS = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']
ARTIFACTS = Path(os.environ.get("ARAZZO_ARTIFACTS", ROOT / "build" / "artifacts"))
STREAM_EVENTS = [
    {"event": "event", "delayMs": 40, "data": {"output": "a" * n, "partial": n < 5, "error": None}}
    for n in range(1, 6)
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Page(HTMLParser):
    """Every start tag with its attributes and the text, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str, css: str = "") -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and css in a.get("class", "").split()]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def assert_self_contained(page: Page) -> None:
    """No script, no stylesheet, image, frame or font from anywhere: links are in-page only."""
    assert not page.having("script") and not page.having("link") and not page.having("img")
    assert not page.having("iframe") and not page.having("object")
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "action"):
            assert attrs.get(name, "#").startswith("#"), (tag, attrs)
    styles = "".join(page.text)
    assert "@import" not in styles and "url(http" not in styles


@pytest.fixture()
def flow() -> Iterator[str]:
    with serve(make_flow_app()) as url:
        yield url


@pytest.fixture()
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Starlette, str]]:
    monkeypatch.setenv("FAL_KEY", "fal-test-key-123")
    app = make_fal_app("finite", events=STREAM_EVENTS)
    with serve(app) as url:
        yield app, url


def run_flow(
    capsys: pytest.CaptureFixture[str], url: str, workflow: str, html: Path, *extra: str
) -> int:
    args = ["run", CONTROL_FLOW, "-w", workflow, "-S", f"flow={url}"]
    code, _, err = run_cli(
        capsys, *args, "-i", f"key={uuid.uuid4().hex}", *extra, "--html", str(html)
    )
    assert "Traceback" not in err
    return code


def test_retries_are_on_the_timeline_and_the_graph_is_coloured(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    assert run_flow(capsys, flow, "retry-after-field", html) == 0
    page = parse(html)
    assert_self_contained(page)
    bars = page.having("g", "bar")
    assert len(bars) == 2  # callFlaky: 503, then (after retryAfter 0.2 s) 200
    assert [b["class"].split()[1] for b in bars] == ["failed", "passed"]
    waits = page.having("rect", "wait")
    assert len(waits) == 1 and float(waits[0]["width"]) > 0  # the 0.2 s waited before attempt 2
    steps = page.having("g", "step")
    assert [s["class"].split()[-1] for s in steps] == ["passed"]  # the last attempt's outcome
    attempts = page.having("details", "step")
    assert len(attempts) == 2 and "open" in attempts[0] and "open" not in attempts[1]
    text = " ".join(page.text)
    assert "retries waited" in text and "$statusCode == 200" in text
    assert "failed: $statusCode is 503, expected == 200" in text
    assert "GET " in text and "/flaky/" in text  # the request excerpt
    assert html.stat().st_size < 1024 * 1024


def test_a_failed_run_names_why_and_keeps_every_attempt(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    assert run_flow(capsys, flow, "retry-until-success", html, "-i", "failures=5") == 1
    page = parse(html)
    assert len(page.having("details", "step")) == 4 and len(page.having("g", "bar")) == 4
    assert page.having("section", "failed")
    assert "step callFlaky failed" in " ".join(page.text)


def test_a_stream_gets_an_event_chart(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, url = fal
    html = tmp_path / "stream.html"
    args = ["run", FAL, *FAL_INPUTS, "-S", f"falModelApis={url}", "--stream", "--html", str(html)]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and out.count("[openStream] #") == 5
    page = parse(html)
    assert_self_contained(page)
    assert len(page.having("svg", "events")) == 1
    chart = html.read_text(encoding="utf-8").split(
        '<svg xmlns="http://www.w3.org/2000/svg" class="events"'
    )[1]
    ticks = chart.split('<g class="ticks">')[1].split("</g>")[0]
    assert ticks.count("<line") == 5  # one per event
    text = " ".join(page.text)
    assert "5 events" in text and "first event after" in text and "largest gap" in text


def test_a_document_that_does_not_load_is_still_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.arazzo.yaml"
    broken.write_text("arazzo: 1.0.1\nworkflows: []\n", encoding="utf-8")
    html = tmp_path / "report.html"
    code, _, _ = run_cli(capsys, "run", str(broken), "--html", str(html))
    assert code == 2
    page = parse(html)
    assert page.having("section", "error") and "broken.arazzo.yaml" in " ".join(page.text)


def test_every_bundled_workflow_under_the_mock_makes_a_small_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    html = tmp_path / "all.html"
    run_cli(capsys, "run", str(ROOT / "workflows"), "--mock", "--html", str(html))
    page = parse(html)
    assert len(page.having("section", "run")) >= 10
    assert html.stat().st_size < 1024 * 1024


# -- in a real browser ---------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's package as root)")
    return found


def _browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{uuid.uuid4().hex}"  # a fresh profile every time
    command = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_page_renders_in_headless_chromium_without_javascript(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _chromium()
    html = tmp_path / "report.html"
    assert run_flow(capsys, flow, "retry-via-step", html) == 0
    dom = _browse(tmp_path, "--disable-javascript", "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    for expected in ("Timeline", "Graph", "warmup", "callFlaky", 'class="timeline"'):
        assert expected in dom.stdout
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "html-report.png"
    shot.unlink(missing_ok=True)
    done = _browse(tmp_path, f"--screenshot={shot}", "--window-size=1200,1400", html.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert _png_size(shot) == (1200, 1400)
    assert shot.stat().st_size > 20_000  # text, a timeline and a graph: not a blank page


def test_each_attempt_knows_when_it_started_and_what_it_waited(flow: str) -> None:
    from arazzo_runner import Runner

    runner = Runner(servers={"flow": flow})
    inputs = {"key": uuid.uuid4().hex}
    result = runner.run(CONTROL_FLOW, "retry-after-field", inputs)
    first, second = result.steps
    assert first.started_ms is not None and second.started_ms is not None
    assert first.waited_ms == 0 and second.waited_ms == pytest.approx(200, abs=1)  # retryAfter
    assert second.started_ms >= first.started_ms + first.duration_ms + 190  # it did wait
    assert second.started_ms + second.duration_ms <= result.duration_ms + 1
