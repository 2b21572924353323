"""No secret passed in ever appears in a report, on stdout or on stderr (a canary test).

A unique key goes in with ``--auth`` (sent in a header) and another through the environment
(``ARAZZO_AUTH_QUERYKEY``, sent percent-encoded in the query string). The server echoes both
back everywhere it can: JSON body, response header, cookie, SSE events, an error body that a
failed criterion quotes, so every report has a chance to leak them. A third, an OAuth2 client
secret, is exchanged at the server's token endpoint for an access token that the runner never
saw before the run, and the profile answer quotes that token; a fourth is a header value the
workflow itself sets under a credential-like name, which an answer body quotes. Then every
report file, stdout and stderr are searched for all of them and their percent-encoded and
base64 forms.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from junitparser import JUnitXml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.asgi_server import serve
from tests.support.reports import check_har, run_cli

DOC = str(Path(__file__).parent / "data" / "reports" / "canary.arazzo.yaml")
HEADER_KEY = f"canary-{uuid.uuid4().hex}"
QUERY_KEY = f"env/{uuid.uuid4().hex}+c=1"  # '/', '+' and '=' change when percent-encoded
CLIENT = f"client-id:client-secret-{uuid.uuid4().hex}"
ACCESS_TOKEN = f"access-{uuid.uuid4().hex}"


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()]


FORBIDDEN = _forms(HEADER_KEY) + _forms(QUERY_KEY) + _forms(CLIENT.split(":")[1])
FORBIDDEN += _forms(CLIENT) + _forms(ACCESS_TOKEN)
SESSION = "session-chosen-by-the-workflow-5f0c"  # sent under a credential-like header name
FORBIDDEN += [SESSION]


def make_canary_app(seen: list[str]) -> Starlette:
    async def whoami(request: Request) -> Response:
        key = request.headers.get("x-api-key", "")
        seen.append(key)
        session = request.headers.get("x-session-token", "")
        note = f"hello {key}, session {session}"
        response = JSONResponse({"seen": key, "note": note}, headers={"X-Echo": key})
        response.set_cookie("session", key)
        return response

    async def events(request: Request) -> Response:
        key = request.query_params.get("api_key", "")
        seen.append(key)

        async def frames() -> AsyncIterator[bytes]:
            for n in range(3):
                await asyncio.sleep(0.005)
                yield f"data: {json.dumps({'n': n, 'key': key})}\n\n".encode()

        return StreamingResponse(frames(), media_type="text/event-stream")

    async def refuse(request: Request) -> Response:
        key = request.headers.get("x-api-key", "")
        return JSONResponse({"detail": f"key {key} refused"}, status_code=403)

    async def token(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        return JSONResponse({"access_token": ACCESS_TOKEN, "token_type": "bearer"})

    async def profile(request: Request) -> Response:
        bearer = request.headers.get("authorization", "")
        seen.append(bearer)
        return JSONResponse({"owner": "client-id", "note": f"you sent {bearer}"})

    routes = [Route("/whoami", whoami), Route("/events", events), Route("/refuse", refuse)]
    routes += [Route("/token", token, methods=["POST"]), Route("/profile", profile)]
    return Starlette(routes=routes)


@pytest.fixture()
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], str]]:
    monkeypatch.setenv("ARAZZO_AUTH_QUERYKEY", QUERY_KEY)
    seen: list[str] = []
    with serve(make_canary_app(seen)) as url:
        yield seen, url


def _assert_clean(where: str, text: str) -> None:
    for secret in FORBIDDEN:
        assert secret not in text, f"a secret form leaked into {where}"


def test_no_secret_in_any_report_stdout_or_stderr(
    canary: tuple[list[str], str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seen, url = canary
    reports = {"json": tmp_path / "r.json", "junit": tmp_path / "r.xml", "har": tmp_path / "r.har"}
    reports["html"] = tmp_path / "r.html"
    common = ["run", DOC, "-S", f"canary={url}", "--auth", f"headerKey={HEADER_KEY}"]
    common += ["--auth", f"oauth={CLIENT}"]
    files = ["--report-json", str(reports["json"]), "--junit-xml", str(reports["junit"])]
    files += ["--html", str(reports["html"])]
    code, out, err = run_cli(capsys, *common, "--all", *files, "--har", str(reports["har"]))
    assert code == 1  # `refused` fails, with the key in the body its criterion quotes
    basic = "Basic " + base64.b64encode(CLIENT.encode()).decode()
    assert seen == [HEADER_KEY, QUERY_KEY, basic, f"Bearer {ACCESS_TOKEN}"]  # all were sent
    texts = {"stdout": out, "stderr": err}
    texts.update({name: path.read_text(encoding="utf-8") for name, path in reports.items()})
    for where, text in texts.items():
        _assert_clean(where, text)
    # ... and the places that held them say so (the test would be empty otherwise)
    data = json.loads(texts["json"])
    assert data[0]["outputs"]["seen"] == "***"
    assert data[0]["outputs"]["last"] == {"n": 2, "key": "***"}
    reasons = [f["reason"] for step in data[1]["steps"] for f in step["failures"]]
    assert any("key *** refused" in reason for reason in reasons)
    har = json.loads(texts["har"])
    assert check_har(har) == []
    entries = har["log"]["entries"]
    assert "api_key=***" in entries[1]["request"]["url"]
    token_answer = json.loads(entries[2]["response"]["content"]["text"])
    assert entries[2]["request"]["url"].endswith("/token") and token_answer["access_token"] == "***"
    assert json.loads(entries[3]["response"]["content"]["text"])["note"] in (
        "you sent ***",
        "you sent Bearer ***",
    )
    assert [json.loads(e["data"])["key"] for e in entries[1]["_events"]] == ["***"] * 3
    assert entries[0]["response"]["cookies"] == [{"name": "session", "value": "***"}]
    whoami = json.loads(entries[0]["response"]["content"]["text"])
    assert whoami["note"] == "hello ***, session ***"
    case = [c for suite in JUnitXml.fromfile(str(reports["junit"])) for c in suite][1]
    assert "key *** refused" in case.result[0].text
    assert "key *** refused" in out
    page = texts["html"]  # the excerpts, masked as they were made, and the same reasons
    assert "key *** refused" in page and "hello ***, session ***" in page
    assert page.count('class="events"') == 1  # the SSE step's chart


def test_no_secret_in_human_or_json_output_of_one_workflow(
    canary: tuple[list[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = canary
    common = ["run", DOC, "-S", f"canary={url}", "--auth", f"headerKey={HEADER_KEY}"]
    common += ["--auth", f"oauth={CLIENT}"]
    for extra in ([], ["--json"], ["--query", "outputs"]):
        for workflow in ("echo-everywhere", "refused"):
            code, out, err = run_cli(capsys, *common, "-w", workflow, *extra)
            assert code == (0 if workflow == "echo-everywhere" else 1), err
            _assert_clean(f"{workflow} {extra} stdout", out)
            _assert_clean(f"{workflow} {extra} stderr", err)
            assert "***" in out or (workflow == "refused" and extra[:1] == ["--query"])
