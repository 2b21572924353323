"""``arazzo run --report-json / --junit-xml / --har`` against real servers on 127.0.0.1.

The JUnit file is read back with junitparser, the HAR file with a structural check of HAR 1.2
(tests/support/reports.py) and with haralyzer, a HAR reader from PyPI. Streams are real: the
fal-like app sends SSE events over the socket and the HAR holds the events the run received.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from junitparser import Error, Failure, JUnitXml
from starlette.applications import Starlette

from arazzo_runner.redact import Redactor
from arazzo_runner.reporting.har import HarRecorder, render_har
from arazzo_runner.streaming.event_stream import EventStream
from tests.support.apps import make_echo_app, make_fal_app, make_flow_app
from tests.support.asgi_server import serve
from tests.support.reports import check_har, run_cli

ROOT = Path(__file__).resolve().parents[1]
CRITERIA = str(ROOT / "workflows" / "criteria.arazzo.yaml")
FAL = str(ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml")
FAL_INPUTS = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']
FAILING = [
    "jsonpath-empty-fails",
    "xpath-false-fails",
    "regex-no-match-fails",
    "simple-false-fails",
]


@pytest.fixture(scope="module")
def flow() -> Iterator[str]:
    with serve(make_flow_app()) as url:
        yield url


@pytest.fixture()
def fal() -> Iterator[tuple[Starlette, str]]:
    app = make_fal_app(
        "finite", events=[{"data": {"n": n, "output": "x" * n, "partial": n < 4}} for n in range(5)]
    )
    with serve(app) as url:
        yield app, url


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_junit_has_a_testcase_per_workflow_read_by_junitparser(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "out" / "junit.xml"  # the folder is created
    code, _, _ = run_cli(
        capsys, "run", CRITERIA, "--all", "-S", f"reports={flow}", "--junit-xml", str(report)
    )
    assert code == 1
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert len(suites) == 1 and suites[0].name == CRITERIA
    suite = suites[0]
    assert (suite.tests, suite.failures, suite.errors) == (5, 4, 0)
    cases = {case.name: case for case in suite}
    assert list(cases) == ["all-pass", *FAILING]
    assert cases["all-pass"].is_passed and "all-pass/jsonpath" in cases["all-pass"].system_out
    for name in FAILING:
        (failure,) = cases[name].result
        assert isinstance(failure, Failure) and failure.type == "criterion"
        assert failure.message.startswith("step ") and "failed" in failure.message
        assert "FAIL" in cases[name].system_out
    simple = cases["simple-false-fails"].result[0]
    assert "step fidoSold" in simple.text and "expected == 'sold'" in simple.text
    assert cases["simple-false-fails"].classname == CRITERIA
    assert all(case.time >= 0 for case in suite)


def test_junit_errors_for_a_bad_document_and_an_unreachable_server(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    (suite_dir / "broken.arazzo.yaml").write_text("arazzo: 1.0.1\ninfo: {}\nworkflows: 3\n")
    doc = Path(CRITERIA).read_text().replace("../openapi/", (ROOT / "openapi").as_uri() + "/")
    (suite_dir / "criteria.arazzo.yaml").write_text(doc)
    report = tmp_path / "junit.xml"
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, _ = run_cli(
        capsys, "run", str(suite_dir), "-S", f"reports={url}", "--junit-xml", str(report)
    )
    assert code == 2  # an invalid document outranks runs that could not connect (3)
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(report))}
    broken = suites[str(suite_dir / "broken.arazzo.yaml")]
    (case,) = list(broken)
    assert case.name == str(suite_dir / "broken.arazzo.yaml")
    (error,) = case.result
    assert isinstance(error, Error) and error.type == "ValidationFailed"
    cases = list(suites[str(suite_dir / "criteria.arazzo.yaml")])
    assert len(cases) == 5
    for case in cases:
        (error,) = case.result
        assert isinstance(error, Error) and error.type == "transport"
        assert "could not connect" in error.message
    assert "error" in out and "broken.arazzo.yaml" in out


def test_report_json_is_what_json_prints(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    args = ["run", CRITERIA, "-S", f"reports={flow}", "--json"]
    code, out, _ = run_cli(capsys, *args, "-w", "all-pass", "--report-json", str(one))
    assert code == 0
    assert json.loads(one.read_text()) == json.loads(out)
    assert json.loads(out)["workflowId"] == "all-pass"
    code, out, _ = run_cli(capsys, *args, "--all", "--report-json", str(many))
    assert code == 1
    data = json.loads(many.read_text())
    assert data == json.loads(out)
    assert [item["workflowId"] for item in data] == ["all-pass", *FAILING]
    assert [item["exitCode"] for item in data] == [0, 1, 1, 1, 1]
    assert {item["file"] for item in data} == {CRITERIA}


def test_reports_are_written_when_the_inputs_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = {name: tmp_path / name for name in ("r.json", "r.xml", "r.har")}
    code, out, err = run_cli(
        capsys,
        "run",
        FAL,
        "--report-json",
        str(paths["r.json"]),
        "--junit-xml",
        str(paths["r.xml"]),
        "--har",
        str(paths["r.har"]),
    )
    assert code == 2 and out == "" and "modelOwner" in err
    data = json.loads(paths["r.json"].read_text())
    assert data["status"] == "error" and data["exitCode"] == 2 and "modelOwner" in data["error"]
    (case,) = [case for suite in JUnitXml.fromfile(str(paths["r.xml"])) for case in suite]
    assert isinstance(case.result[0], Error) and case.result[0].type == "InputError"
    har = json.loads(paths["r.har"].read_text())
    assert check_har(har) == [] and har["log"]["entries"] == []  # nothing was sent


def _events_printed(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines()]
    return [line for line in lines if line.get("type") == "event"]


def test_har_of_a_stream_holds_the_events_received(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, url = fal
    har_path = tmp_path / "run.har"
    code, out, err = run_cli(
        capsys,
        "run",
        FAL,
        *FAL_INPUTS,
        "-S",
        f"falModelApis={url}",
        "--auth",
        "falKey=k-123456",
        "--stream",
        "--json",
        "--har",
        str(har_path),
    )
    assert code == 0, err
    har = json.loads(har_path.read_text())
    assert check_har(har) == []
    (entry,) = har["log"]["entries"]
    request, response = entry["request"], entry["response"]
    assert request["method"] == "POST" and request["url"].endswith("/fal-ai/any-llm/stream")
    assert json.loads(request["postData"]["text"]) == {"prompt": "hi"}
    headers = {h["name"].lower(): h["value"] for h in request["headers"]}
    assert headers["authorization"] == "Key ***"
    assert response["status"] == 200 and response["content"]["mimeType"].startswith(
        "text/event-stream"
    )
    printed = _events_printed(out)
    assert [e["data"] for e in entry["_events"]] == [e["data"] for e in printed]
    assert [json.loads(e["data"])["n"] for e in entry["_events"]] == [0, 1, 2, 3, 4]
    assert entry["_eventsComplete"] is True
    assert response["content"]["text"].count("data: ") == 5
    times = [e["time"] for e in entry["_events"]]
    assert times == sorted(times) and times[0] >= entry["timings"]["wait"]
    assert har["log"]["pages"][0]["title"] == f"{FAL}#stream-inference"
    assert entry["pageref"] == har["log"]["pages"][0]["id"]


def test_har_is_read_by_haralyzer(
    fal: tuple[Starlette, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    haralyzer = pytest.importorskip("haralyzer")
    _, url = fal
    har_path = tmp_path / "run.har"
    args = [*FAL_INPUTS, "-S", f"falModelApis={url}", "--auth", "falKey=k-123456"]
    code, _, err = run_cli(capsys, "run", FAL, *args, "--stream", "--har", str(har_path))
    assert code == 0, err
    parser = haralyzer.HarParser(json.loads(har_path.read_text()))
    (page,) = parser.pages
    (entry,) = page.entries
    assert entry.request.method == "POST" and entry.response.status == 200
    assert entry.response.mimeType.startswith("text/event-stream")
    assert entry.request.headers and entry.response.headers
    assert entry.time == pytest.approx(entry.timings["wait"] + entry.timings["receive"], abs=0.01)


def test_har_truncates_a_long_stream_at_its_bound() -> None:
    recorder = HarRecorder(max_body_bytes=200)
    app = make_fal_app("endless", interval_ms=5)
    with serve(app) as url, httpx.Client(event_hooks=recorder.event_hooks(), timeout=10) as client:
        recorder.begin_page("endless")
        body = {"prompt": "go on"}
        request = client.build_request("POST", f"{url}/fal-ai/any-llm/stream", json=body)
        response = client.send(request, stream=True)
        read = []
        with EventStream(response, idle_timeout=5, first_byte_timeout=5) as stream:
            for event in stream:
                read.append(event)
                if len(read) == 12:
                    break
    har = render_har(recorder, Redactor())
    assert check_har(har) == []
    (entry,) = har["log"]["entries"]
    content = entry["response"]["content"]
    assert entry["response"]["bodySize"] > 200 and content["size"] == entry["response"]["bodySize"]
    assert "truncated" in content["comment"] and len(content["text"].encode()) == 200
    assert entry["_eventsComplete"] is False
    kept = [e["data"] for e in entry["_events"]]
    assert 0 < len(kept) < 12 and kept == [e.data for e in read[: len(kept)]]


def test_har_keeps_a_bounded_total_of_body_bytes() -> None:
    recorder = HarRecorder(max_body_bytes=200, max_total_bytes=300)
    with serve(make_echo_app()) as url, httpx.Client(event_hooks=recorder.event_hooks()) as client:
        for n in range(3):
            answer = client.post(f"{url}/echo/big/{n}", content=b"x" * 500, timeout=10)
            assert answer.status_code == 200 and len(answer.content) > 500  # the run gets all
    har = render_har(recorder, Redactor())
    assert check_har(har) == []
    contents = [e["response"]["content"] for e in har["log"]["entries"]]
    assert [len(c.get("text", "")) for c in contents] == [200, 100, 0]
    assert all(c["size"] > 500 and "truncated" in c["comment"] for c in contents)
    assert all(e["response"]["bodySize"] > 500 for e in har["log"]["entries"])
    # request bodies are bounded per body as well
    assert [len(e["request"]["postData"]["text"]) for e in har["log"]["entries"]] == [200] * 3


def test_har_records_a_request_that_got_no_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    har_path = tmp_path / "run.har"
    url = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = run_cli(
        capsys, "run", CRITERIA, "-w", "all-pass", "-S", f"reports={url}", "--har", str(har_path)
    )
    assert code == 3 and "could not connect" in err
    har = json.loads(har_path.read_text())
    assert check_har(har) == []
    (entry,) = har["log"]["entries"]
    assert entry["response"]["status"] == 0 and entry["_error"] == "no response was received"


def test_the_har_check_finds_missing_fields() -> None:
    assert check_har({"log": {"version": "1.1", "creator": {}, "entries": [{}]}}) != []
    problems = check_har({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}}})
    assert problems == ["log: log has no entries"]


# -- arazzo validate --format junit --------------------------------------------------------------


def _validate_junit(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> Any:
    code, out, _ = run_cli(capsys, "validate", "--format", "junit", *args)
    report = tmp_path / "validate.xml"
    report.write_text(out)
    return code, JUnitXml.fromfile(str(report))


def _remote_source_doc(tmp_path: Path) -> str:
    doc = Path(CRITERIA).read_text()
    doc = doc.replace("../openapi/criteria.openapi.yaml", "https://example.invalid/criteria.yaml")
    path = tmp_path / "remote.arazzo.yaml"
    path.write_text(doc)
    return str(path)


def test_validate_junit_is_read_by_junitparser(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.arazzo.yaml"
    broken.write_text("arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: []\n")
    code, xml = _validate_junit(capsys, tmp_path, str(broken), CRITERIA)
    assert code == 2
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    assert list(cases) == [str(broken), CRITERIA]
    (failure,) = cases[str(broken)].result  # one failure element, listing every error
    assert isinstance(failure, Failure)
    assert failure.message.endswith("more)") and failure.text.count(f"{broken}:") >= 2
    assert failure.type in failure.text.splitlines()[0]
    assert cases[CRITERIA].is_passed
    assert (suite.tests, suite.failures) == (2, 1)


def test_validate_junit_strict_fails_on_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    remote = _remote_source_doc(tmp_path)
    code, xml = _validate_junit(capsys, tmp_path, "--offline", remote)
    ((case,),) = [list(suite) for suite in xml]
    assert code == 0 and case.is_passed and "warning" in case.system_out
    code, xml = _validate_junit(capsys, tmp_path, "--offline", "--strict", remote)
    ((case,),) = [list(suite) for suite in xml]
    assert code == 2 and isinstance(case.result[0], Failure)
    assert "warning" in case.result[0].text


def test_junit_text_never_holds_characters_xml_forbids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    odd = str(tmp_path / "bell\x07name.arazzo.yaml")
    code, xml = _validate_junit(capsys, tmp_path, odd)
    assert code == 2
    ((case,),) = [list(suite) for suite in xml]
    assert case.name == odd.replace("\x07", "\ufffd")


def test_a_report_that_cannot_be_written_is_exit_2_after_the_results(
    flow: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = str(blocker / "junit.xml")  # a folder that is a file
    args = ["run", CRITERIA, "-w", "all-pass", "-S", f"reports={flow}", "--junit-xml", target]
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and "all-pass: passed" in out
    assert f"cannot write the report {target}" in err and "Traceback" not in err
