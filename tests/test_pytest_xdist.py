"""The pytest plugin under pytest-xdist with ``--arazzo-mock``: one set of mocks per worker.

The project holds copies of the repository's ``workflows/`` and ``openapi/`` folders and of the
to-do example (whose workflows all pass against its mock). Runs with ``-n 2`` and without
xdist must give the same outcome for every item id; each item records the mock URL it ran
against (a ``arazzo.mock.<source>`` property) and, through the project's conftest, the xdist
worker that ran it, so the JUnit XML shows that each worker served its own mocks.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """\
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.user_properties.append(("worker", os.environ.get("PYTEST_XDIST_WORKER", "main")))
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(ROOT / "workflows", pytester.path / "workflows")
    shutil.copytree(ROOT / "openapi", pytester.path / "openapi")
    shutil.copytree(ROOT / "asyncapi", pytester.path / "asyncapi")
    shutil.copytree(ROOT / "docs" / "examples" / "todo", pytester.path / "todo")
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\narazzo_files =\n    workflows/*.y*ml\n    todo/*.arazzo.yaml\n")
    return pytester


def _cases(report: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """``{item id: (outcome, properties)}`` from a JUnit XML file."""
    found = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                outcome = kind
        properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        found[f"{case.get('classname')}::{case.get('name')}"] = (outcome, properties)
    return found


def _run(project: pytest.Pytester, name: str, *args: str) -> dict[str, tuple[str, dict[str, str]]]:
    report = project.path / f"{name}.xml"
    result = project.runpytest_subprocess(
        "--arazzo-mock", "-p", "no:cacheprovider", f"--junitxml={report}", *args, timeout=300
    )
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout.str()
    return _cases(report)


def test_xdist_gives_the_same_outcomes_with_one_mock_set_per_worker(
    project: pytest.Pytester,
) -> None:
    alone = _run(project, "alone")
    spread = _run(project, "spread", "-n", "2")
    assert len(alone) >= 20
    assert {k: v[0] for k, v in spread.items()} == {k: v[0] for k, v in alone.items()}
    todo = [k for k in alone if k.startswith("todo.")]
    assert todo and all(alone[k][0] == "passed" for k in todo)
    urls: dict[tuple[str, str], set[str]] = {}
    for item, (_, properties) in spread.items():
        assert properties["worker"] in ("gw0", "gw1")
        for name, value in properties.items():
            if name.startswith("arazzo.mock."):
                file = item.split("::")[0]
                urls.setdefault((properties["worker"], f"{file}:{name}"), set()).add(value)
    assert urls, "no item ran against a mock"
    assert all(len(found) == 1 for found in urls.values())  # one mock per file and worker
    for (worker, source), found in urls.items():
        others = {u for (w, s), f in urls.items() if s == source and w != worker for u in f}
        assert not found & others  # two workers never share a mock server
