"""The faces on an Arazzo 1.1 document (workflows/cafe-1.1.arazzo.yaml): ``arazzo list``,
``arazzo run --mock`` with ``--report-json``/``--junit-xml``, and the pytest plugin collecting
it (against the cafe app on 127.0.0.1, and against its mock). ``arazzo mock`` serving the
document's sources is in tests/test_mock_cli.py.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.asgi_server import serve
from tests.support.cli import arazzo
from tests.test_arazzo_1_1_run import make_cafe_app

ROOT = Path(__file__).resolve().parents[1]
CAFE = "workflows/cafe-1.1.arazzo.yaml"
INPUTS = ["-i", "category=beverage", "-i", "quantity=2", "-i", 'customer={"name": "Ann"}']
STEPS = ["find-item", "create-order", "confirm-order", "send"]


def test_list_names_the_workflows_and_their_inputs() -> None:
    done = arazzo("list", CAFE, cwd=ROOT)
    assert done.code == 0, done.text
    lines = done.out.splitlines()
    assert lines[0].split()[0] == "place-order"
    assert "    category: string (required)" in lines
    assert any(line.split()[:1] == ["notify"] for line in lines)
    as_json = arazzo("list", CAFE, "--json", cwd=ROOT)
    assert as_json.code == 0, as_json.text
    assert "place-order" in as_json.out and "notify" in as_json.out


def test_run_with_the_mock_writes_the_reports(tmp_path: Path) -> None:
    report, junit = tmp_path / "run.json", tmp_path / "junit.xml"
    done = arazzo(
        "run", CAFE, "--mock", "-w", "place-order", *INPUTS,
        "--report-json", str(report), "--junit-xml", str(junit), cwd=ROOT,
    )  # fmt: skip
    assert done.code == 0, done.text
    data = json.loads(report.read_text("utf-8"))
    assert data["status"] == "passed"
    assert [step["stepId"] for step in data["steps"]] == STEPS
    assert all(step["status"] == "passed" for step in data["steps"])
    assert data["steps"][0]["outputs"] == {"itemId": "m-tea", "itemName": "Tea"}
    assert data["steps"][0]["request"]["url"].endswith("/menu?category=beverage&limit=2")
    suites = ET.parse(junit).getroot()
    assert suites.get("tests") == "1" and suites.get("failures") == "0"
    case = suites.find("testsuite/testcase")
    assert case is not None and case.get("name") == "place-order"
    assert case.find("failure") is None and case.find("error") is None


def test_a_failing_1_1_step_is_reported_readably(cafe_url: str, tmp_path: Path) -> None:
    """A selector output that selects nothing names the selector, not the model object."""
    report = tmp_path / "run.json"
    inputs = ["-i", "category=none", *INPUTS[2:]]  # the cafe has no such items: [] comes back
    server = ["--server", f"cafe={cafe_url}"]
    options = [*inputs, *server, "--report-json", str(report)]
    done = arazzo("run", CAFE, "-w", "place-order", *options, cwd=ROOT)
    assert done.code == 1, done.text
    reasons = [f["reason"] for f in json.loads(report.read_text("utf-8"))["steps"][0]["failures"]]
    assert "output 'itemId' (jsonpath $.items[0].id on $response.body) resolved to nothing" in (
        reasons
    )
    assert "Selector(" not in done.text and "Traceback" not in done.text


@pytest.fixture
def cafe_project(pytester: pytest.Pytester) -> pytest.Pytester:
    for folder, name in (
        ("workflows", "cafe-1.1.arazzo.yaml"),
        ("openapi", "cafe-1.1.openapi.yaml"),
    ):
        (pytester.path / folder).mkdir()
        shutil.copy(ROOT / folder / name, pytester.path / folder)
    (pytester.path / "workflows" / "cafe-1.1.arazzo.inputs.yaml").write_text(
        "place-order: {category: beverage, quantity: 2, customer: {name: Ann}}\n"
        "notify: {orderId: o-1, note: tea is on its way}\n",
        encoding="utf-8",
    )
    pytester.makeini("[pytest]\narazzo_files = workflows/*.arazzo.yaml\n")
    return pytester


@pytest.fixture
def cafe_url() -> Iterator[str]:
    with serve(make_cafe_app()) as url:
        yield url


def test_the_pytest_plugin_collects_and_runs_a_1_1_document(
    cafe_project: pytest.Pytester, cafe_url: str
) -> None:
    collected = cafe_project.runpytest("--collect-only", "-q")
    collected.stdout.fnmatch_lines(
        [
            "workflows/cafe-1.1.arazzo.yaml::place-order",
            "workflows/cafe-1.1.arazzo.yaml::notify",
        ]
    )
    result = cafe_project.runpytest("-rA", "--arazzo-server", f"cafe={cafe_url}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["PASSED workflows/cafe-1.1.arazzo.yaml::place-order"])


def test_the_pytest_plugin_runs_a_1_1_document_against_its_mock(
    cafe_project: pytest.Pytester,
) -> None:
    result = cafe_project.runpytest("-rA", "--arazzo-mock", "-k", "place-order")
    result.assert_outcomes(passed=1)
