"""``arazzo run`` keeps the garbage collector off the loaded document: switched off while it
loads, then the document frozen while the workflow runs (``gc.freeze`` after loading,
``gc.unfreeze`` when the command is done), and leaves a process that froze objects of its own
alone. The library never changes the collector. The output is the same either way."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.cli import main
from arazzo_runner.results import RunResult
from arazzo_runner.runner import Runner
from tests.support.apps import make_echo_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PARAMS = str(ROOT / "workflows" / "params.arazzo.yaml")


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with serve(make_echo_app()) as base:
        yield base


def _run_cli(
    base: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], list[int]]:
    """``arazzo run --json`` in this process; also how many objects were frozen at each run."""
    seen: list[int] = []
    original = Runner.run

    def spy(self: Runner, *args: Any, **kwargs: Any) -> RunResult:
        seen.append(gc.get_freeze_count())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "run", spy)
    with pytest.raises(SystemExit) as caught:
        main(["run", PARAMS, "-w", "path-styles", "-S", f"echo={base}", "--json"])
    assert caught.value.code == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data, seen


def test_run_freezes_the_loaded_heap_only_while_it_runs(
    echo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if gc.get_freeze_count():
        pytest.skip("this process froze objects itself")
    data, seen = _run_cli(echo, capsys, monkeypatch)
    assert data["status"] == "passed"
    assert seen and seen[0] > 0  # the document was frozen while the workflow ran
    assert gc.get_freeze_count() == 0  # and given back afterwards


def test_run_leaves_a_process_that_froze_objects_alone(
    echo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if gc.get_freeze_count():
        pytest.skip("this process froze objects itself")
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        data, seen = _run_cli(echo, capsys, monkeypatch)
        assert data["status"] == "passed"
        # nothing more frozen (the loaded document would add thousands), nothing given back
        # (what was frozen can only shrink, as frozen objects are freed by reference counting)
        assert len(seen) == 1 and 0 < seen[0] <= before
        assert 0 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()


def test_a_document_that_fails_to_load_leaves_nothing_frozen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if gc.get_freeze_count():
        pytest.skip("this process froze objects itself")
    bad = tmp_path / "bad.arazzo.yaml"
    bad.write_text("arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        main(["run", str(bad), "--json"])
    assert caught.value.code == 2 and "error" in capsys.readouterr().err
    assert gc.get_freeze_count() == 0


def test_the_collector_is_off_only_while_the_document_loads(
    echo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    states: list[bool] = []
    original = Runner.load

    def spy(self: Runner, *args: Any, **kwargs: Any) -> Any:
        states.append(gc.isenabled())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "load", spy)
    assert gc.isenabled()
    data, _ = _run_cli(echo, capsys, monkeypatch)
    assert data["status"] == "passed" and states == [False]
    assert gc.isenabled()  # back on after the command


def test_a_caller_that_switched_the_collector_off_keeps_it_off(
    echo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.disable()
    try:
        data, _ = _run_cli(echo, capsys, monkeypatch)
        assert data["status"] == "passed" and not gc.isenabled()
    finally:
        gc.enable()


def test_the_library_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from arazzo_runner.document import yaml_reader as _yaml

    switched: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: switched.append("disable"))
    Runner().load(PARAMS)
    _yaml.load_text("a: [1, {b: 2}]\n")
    assert switched == []
