"""Real-world workflows from ``../shared/corpus`` run against local fakes.

The OAI specification examples and Jentic's arazzo-engine fixtures (with the mocks and expected
outputs of their ``test_config.yaml``) are the cases in ``tests/data/corpus_runs.yaml``; that
file says, per case, why the expectation differs from the fixture's where it does. Each case:

1. when ``refused``: the validator refuses the document as written, with those codes;
2. when ``raises``: the run refuses before any request, with that error class and message;
3. when it runs: textual ``patches`` are applied to a copy in ``tmp_path`` (the corpus is read in
   place, never edited), a fake built from the mocks is served on 127.0.0.1, and the run's status,
   outputs, step outputs and request count must equal the expectation.

The fakes answer the fixtures' minimal bodies, which the descriptions often do not promise
(a pet without its required ``photoUrls``), so the description checks run at ``warn`` here:
they still check every exchange of the corpus, but what they find does not fail a case.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner import errors
from arazzo_runner.document.sources import to_url
from arazzo_runner.errors import ValidationFailed
from arazzo_runner.results import jsonable
from arazzo_runner.runner import Runner
from tests.support.asgi_server import serve
from tests.support.corpus_fakes import jentic_mocks, make_fake_app, parse_mocks

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DATA = Path(__file__).resolve().parent / "data" / "corpus_runs.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))["cases"]
_SOURCE_URL = re.compile(r"^(\s*(?:-\s+)?url:\s*)(['\"]?)([^'\"\s#]+)\2\s*$", re.MULTILINE)


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.fixture(autouse=True)
def _need_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")


def _absolute_sources(text: str, folder: Path) -> str:
    """Relative ``url:`` values resolved against the original's folder (the copy moved)."""

    def fix(match: re.Match[str]) -> str:
        url = match.group(3)
        if "://" in url or url.startswith("{"):
            return match.group(0)
        return f"{match.group(1)}{to_url(str(folder / url))}"

    return _SOURCE_URL.sub(fix, text)


def _patched(case: dict[str, Any], original: Path, tmp_path: Path, upto: int | None) -> Path:
    text = original.read_text(encoding="utf-8")
    where = {"{corpus_dir}": to_url(str(original.parent)), "{tmp}": to_url(str(tmp_path))}
    for patch in case.get("patches", [])[:upto]:
        replace = patch["replace"]
        for key, value in where.items():
            replace = replace.replace(key, value)
        if "regex" in patch:
            text, count = re.subn(patch["regex"], replace, text)
        else:
            count = text.count(patch["find"])
            text = text.replace(patch["find"], replace)
        assert count, f"patch no longer applies ({patch['why']}): the corpus file changed"
    if "stub_source" in case:
        (tmp_path / "petstore.openapi.json").write_text(json.dumps(case["stub_source"]))
    copy = tmp_path / original.name
    copy.write_text(_absolute_sources(text, original.parent), encoding="utf-8")
    return copy


def _check_refused(case: dict[str, Any], tmp_path: Path) -> None:
    refused = case["refused"]
    if case.get("file") is None:
        config = CORPUS / case["jentic"]["config"]
        documents = [p for p in config.parent.iterdir() if p.name != "test_config.yaml"]
        assert documents == [], refused["reason"]
        return
    path = CORPUS / case["file"]
    upto = refused.get("after_patches")
    if upto:
        path = _patched(case, path, tmp_path / "refused", upto)
    with pytest.raises(ValidationFailed) as info:
        Runner(offline=True).load(str(path))
    codes = {d.code for d in info.value.diagnostics if d.severity.name == "ERROR"}
    assert set(refused["codes"]) <= codes, (refused["reason"], codes)


def _mocks(case: dict[str, Any]) -> list[Any]:
    mocks = parse_mocks(case.get("mocks") or [])
    if "jentic" in case:
        config = yaml.safe_load((CORPUS / case["jentic"]["config"]).read_text(encoding="utf-8"))
        mocks += jentic_mocks(config, case["jentic"]["entry"])
    return mocks


def _compare(case: dict[str, Any], result: Any, calls: list[str], unmatched: list[str]) -> None:
    expect = case["expect"]
    context = f"{case.get('reason', '')} calls={calls} unmatched={unmatched} result={result}"
    assert result.status == expect["status"], context
    for name, value in (expect.get("outputs") or {}).items():
        assert jsonable(result.outputs.get(name)) == value, (name, context)
    # a stepId may repeat in a nested workflow (pet-coupons: place-order): the run's own wins
    ordered = sorted(result.steps, key=lambda step: step.workflow_id == result.workflow_id)
    outputs = {step.step_id: step.outputs for step in ordered}
    for step_id, wanted in (expect.get("steps") or {}).items():
        for name, value in wanted.items():
            assert jsonable(outputs.get(step_id, {}).get(name)) == value, (step_id, name, context)
    assert len(calls) == expect["calls"], context


@pytest.mark.parametrize("case", _params())
def test_corpus_run(case: dict[str, Any], tmp_path: Path) -> None:
    if "refused" in case:
        (tmp_path / "refused").mkdir()
        _check_refused(case, tmp_path)
        if "patches" not in case:
            return
    path = CORPUS / case["file"]
    if "patches" in case:
        path = _patched(case, path, tmp_path, None)
    app = make_fake_app(_mocks(case))
    with serve(app) as base_url:
        servers = {name: base_url + prefix for name, prefix in case["servers"].items()}
        runner = Runner(
            servers=servers,
            auth=case.get("auth"),
            env={},
            max_steps=50,
            timeout=10.0,
            offline=True,
            severity={"all": "warn"},
            reveal_outputs=True,  # the expected outputs are what the workflow makes
        )
        if "raises" in case:
            raised = getattr(errors, case["raises"]["error"])
            with pytest.raises(raised, match=case["raises"]["match"]):
                runner.run(str(path), case["workflow"], case.get("inputs") or {})
            assert app.state.calls == []
            return
        result = runner.run(str(path), case["workflow"], case.get("inputs") or {})
    _compare(case, result, app.state.calls, app.state.unmatched)


def test_every_jentic_fixture_is_a_case() -> None:
    configs = {
        str(p.relative_to(CORPUS))
        for p in (CORPUS / "jentic__arazzo-engine").rglob("test_config.yaml")
    }
    covered = {case["jentic"]["config"] for case in CASES if "jentic" in case}
    assert configs <= covered, sorted(configs - covered)


def test_fakes_match_templates_queries_and_bodies() -> None:
    mocks = parse_mocks(
        [
            {"path": "/pet/{id}/coupons", "method": "get", "query_params": {"t": [1, 2]},
             "response": {"ok": 1}},
            {"url": "https://x.example/v1/form", "method": "post",
             "request_body": {"a": 1}, "status_code": 201, "text": "made"},
        ]
    )  # fmt: skip
    app = make_fake_app(mocks)
    import httpx

    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        assert client.get("/api/pet/7/coupons?t=1&t=2").json() == {"ok": 1}
        assert client.get("/pet/7/coupons?t=1").status_code == 404
        made = client.post("/v1/form", data={"a": "1"})
        assert (made.status_code, made.text) == (201, "made")
        assert client.post("/api/v1/form", data={"a": "1"}).status_code == 404
        assert client.post("/v1/form", json={"a": 2}).status_code == 404
    assert len(app.state.unmatched) == 3
