"""The documents in workflows/ and openapi/ are sound, and the test apps serve what they describe.

Checks every workflow's references (sources, operationIds, operationPaths, parameters, goto and
dependsOn targets, $components, $steps), validates every OpenAPI file, pins the headline workflow
to its seed, and talks to the starlette apps of tests/support/apps.py over real HTTP.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import elementpath
import httpx
import jsonpath
import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from tests.support.apps import (
    REPORT_PETS,
    REPORT_XML,
    load_mock_events,
    make_all_app,
    make_echo_app,
    make_fal_app,
    make_flow_app,
    make_petstore_app,
)
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_SCHEMAS = Path(__file__).resolve().parents[1] / "arazzo_runner" / "document" / "schemas"
SHARED = ROOT.parent / "shared"
WORKFLOWS = sorted(p for p in (ROOT / "workflows").iterdir() if p.suffix in (".yml", ".yaml"))
OPENAPIS = sorted(p for p in (ROOT / "openapi").iterdir() if p.suffix in (".yml", ".yaml"))
FAL_WORKFLOW = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"
TEST_WORKFLOWS = [p for p in WORKFLOWS if p != FAL_WORKFLOW]
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
TIMEOUT = httpx.Timeout(5.0)


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# ------------------------------------------------------------------------ document checks
class Checker:
    """Collects reference problems in one Arazzo document (its sources read from disk)."""

    def __init__(self, path: Path) -> None:
        self.doc = _yaml(path)
        self.sources = {
            s["name"]: _yaml((path.parent / s["url"]).resolve())
            for s in self.doc["sourceDescriptions"]
        }
        self.components = self.doc.get("components", {})
        self.workflow_ids = {w["workflowId"] for w in self.doc["workflows"]}
        self.problems: list[str] = []
        self.workflow_parameters: list[dict[str, Any]] = []

    def operation(self, step: dict[str, Any]) -> dict[str, Any] | None:
        """The step's OpenAPI operation, with path-item and operation parameters resolved."""
        if "operationPath" in step:
            pattern = r"\{\$sourceDescriptions\.([\w-]+)\.url\}#/paths/([^/]+)/(\w+)"
            match = re.fullmatch(pattern, step["operationPath"])
            if match is None or match[1] not in self.sources:
                return None
            path = match[2].replace("~1", "/").replace("~0", "~")
            ops = self._operations(self.sources[match[1]])
            found = [op for op in ops if op["_at"] == (path, match[3])]
        else:
            qualified = step["operationId"].removeprefix("$sourceDescriptions.")
            source, _, op_id = qualified.rpartition(".")
            names = [source] if source else list(self.sources)
            found = [
                op
                for name in names
                for op in self._operations(self.sources.get(name, {}))
                if op.get("operationId") == op_id
            ]
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _operations(openapi: dict[str, Any]) -> Iterator[dict[str, Any]]:
        def deref(node: dict[str, Any]) -> dict[str, Any]:
            target = node if "$ref" not in node else openapi
            for token in node["$ref"].removeprefix("#/").split("/") if "$ref" in node else []:
                target = target[token.replace("~1", "/").replace("~0", "~")]
            return target

        for path, item in openapi.get("paths", {}).items():
            for method, op in item.items():
                if method in METHODS:
                    params = item.get("parameters", []) + op.get("parameters", [])
                    yield {**op, "_parameters": [deref(p) for p in params], "_at": (path, method)}

    def resolve(self, entry: dict[str, Any], kind: str) -> dict[str, Any]:
        if "reference" not in entry:
            return entry
        prefix = f"$components.{kind}."
        key = entry["reference"].removeprefix(prefix)
        target = self.components.get(kind, {}).get(key)
        if not entry["reference"].startswith(prefix) or target is None:
            self.problems.append(f"unknown reference {entry['reference']}")
            return {}
        return {**target, "value": entry["value"]} if "value" in entry else dict(target)

    def check_parameters(
        self, where: str, params: list[dict[str, Any]], op: dict[str, Any]
    ) -> None:
        """Every parameter exists in the operation (headers case-insensitively; OpenAPI ignores
        Authorization header definitions) and every required path parameter is given."""
        declared = {(p["name"].lower(), p["in"]) for p in op["_parameters"]}
        given = {
            (p.get("name", "").lower(), p.get("in")) for p in map(self.resolve_parameter, params)
        }
        for key in given - declared - {("authorization", "header")}:
            self.problems.append(f"{where}: parameter {key} is not in the operation")
        required = {(p["name"].lower(), "path") for p in op["_parameters"] if p["in"] == "path"}
        for key in required - given:
            self.problems.append(f"{where}: path parameter {key[0]} is missing")

    def resolve_parameter(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self.resolve(entry, "parameters")

    def check_actions(
        self, where: str, actions: list[dict[str, Any]], kind: str, steps: set[str]
    ) -> None:
        for action in (self.resolve(a, kind) for a in actions):
            if "stepId" in action and action["stepId"] not in steps:
                self.problems.append(f"{where}: goto/retry to unknown step {action['stepId']}")
            if "workflowId" in action and action["workflowId"] not in self.workflow_ids:
                self.problems.append(f"{where}: unknown workflow {action['workflowId']}")

    def run(self) -> list[str]:
        for wf in self.doc["workflows"]:
            self.workflow_parameters = wf.get("parameters", [])
            steps = {s["stepId"] for s in wf["steps"]}
            wid = wf["workflowId"]
            for dep in wf.get("dependsOn", []):
                if dep not in self.workflow_ids:
                    self.problems.append(f"{wid}: dependsOn unknown workflow {dep}")
            self.check_actions(wid, wf.get("successActions", []), "successActions", steps)
            self.check_actions(wid, wf.get("failureActions", []), "failureActions", steps)
            for step in wf["steps"]:
                self.check_step(f"{wid}/{step['stepId']}", step, steps)
            text = json.dumps(wf)
            for ref in re.findall(r"\$steps\.([\w-]+)\.", text):
                if ref not in steps:
                    self.problems.append(f"{wid}: $steps.{ref} is not a step of this workflow")
            for ref in re.findall(r"\$workflows\.([\w-]+)\.", text):
                if ref not in self.workflow_ids:
                    self.problems.append(f"{wid}: $workflows.{ref} is not a workflow")
        return self.problems

    def check_step(self, where: str, step: dict[str, Any], steps: set[str]) -> None:
        if "action" in step:  # 1.1 AsyncAPI step: its channel is checked by test_asyncapi_steps
            targets = [k for k in ("operationId", "channelPath") if k in step]
            if len(targets) != 1:
                self.problems.append(f"{where}: needs operationId or channelPath, has {targets}")
            return
        targets = [k for k in ("operationId", "operationPath", "workflowId") if k in step]
        if len(targets) != 1:
            self.problems.append(f"{where}: needs exactly one target, has {targets}")
            return
        if "workflowId" in step:
            if step["workflowId"] not in self.workflow_ids:
                self.problems.append(f"{where}: unknown workflow {step['workflowId']}")
        elif (op := self.operation(step)) is None:
            self.problems.append(f"{where}: operation {step.get(targets[0])} not found")
        else:
            params = self.workflow_parameters + step.get("parameters", [])
            self.check_parameters(where, params, op)
        self.check_actions(where, step.get("onSuccess", []), "successActions", steps)
        self.check_actions(where, step.get("onFailure", []), "failureActions", steps)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_workflow_references_resolve(path: Path) -> None:
    doc = _yaml(path)
    assert re.fullmatch(r"1\.[01]\.\d+", doc["arazzo"])
    for source in doc["sourceDescriptions"]:
        assert (path.parent / source["url"]).is_file(), source["url"]
    assert Checker(path).run() == []


@pytest.mark.parametrize("path", TEST_WORKFLOWS, ids=_ids(TEST_WORKFLOWS))
def test_test_workflows_say_what_they_exercise(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# Exercises ")


def test_checker_reports_broken_references(tmp_path: Path) -> None:
    doc = _yaml(ROOT / "workflows" / "control-flow.arazzo.yaml")
    doc["sourceDescriptions"][0]["url"] = str(ROOT / "openapi" / "control-flow.openapi.yaml")
    steps = doc["workflows"][1]["steps"]
    steps[0]["operationId"], steps[0]["onFailure"][0]["stepId"] = "noSuchOp", "noSuchStep"
    steps[1]["parameters"] = [{"name": "nope", "in": "query", "value": 1}]
    steps[2]["outputs"] = {"x": "$steps.ghost.outputs.y"}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    problems = "\n".join(Checker(tmp_path / "broken.yaml").run())
    for needle in ("noSuchOp", "noSuchStep", "('nope', 'query')", "code is missing", "ghost"):
        assert needle in problems


@pytest.mark.corpus
@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_workflow_matches_official_schema(path: Path) -> None:
    if str(_yaml(path)["arazzo"]).startswith("1.1."):  # the official 1.1 schema ships with us
        schema_file = PACKAGE_SCHEMAS / "arazzo-1.1-2026-04-15.json"
    else:
        schema_file = SHARED / "corpus" / "_schemas" / "arazzo-1.0-schema.patched.yaml"
    if not schema_file.is_file():
        pytest.skip("../shared/corpus is not available")
    validator = jsonschema.Draft202012Validator(_yaml(schema_file))
    assert [e.message for e in validator.iter_errors(_yaml(path))] == []


@pytest.mark.parametrize("path", OPENAPIS, ids=_ids(OPENAPIS))
def test_openapi_descriptions_are_valid(path: Path) -> None:
    validate_openapi(_yaml(path))


def test_fal_workflow_is_the_seed_verbatim() -> None:
    seed = SHARED / "seeds" / "000_08064738a5929fd3.txt"
    if not seed.is_file():
        pytest.skip("seed file not available")
    text = seed.read_text(encoding="utf-8")
    expected = text[text.index("arazzo: 1.0.1\n") :].rstrip("\n") + "\n"
    assert FAL_WORKFLOW.read_text(encoding="utf-8") == expected


def test_fal_openapi_states_the_facts_the_runner_relies_on() -> None:
    doc = _yaml(ROOT / "openapi" / "fal-model-apis-openapi.yml")
    ops = {
        op["operationId"]: (path, m, op)
        for path, item in doc["paths"].items()
        for m, op in item.items()
    }
    assert ops["streamRequest"][:2] == ("/{model_owner}/{model_name}/stream", "post")
    assert doc["servers"][0]["url"] == "https://fal.run"
    queue = [
        "submitRequest",
        "getRequestStatus",
        "streamRequestStatus",
        "getRequestResult",
        "cancelRequest",
    ]
    assert {ops[q][2]["servers"][0]["url"] for q in queue} == {"https://queue.fal.run"}
    assert ops["cancelRequest"][1] == "put"
    assert set(ops["getRequestStatus"][2]["responses"]) >= {"200", "202"}
    scheme = doc["components"]["securitySchemes"]["falKey"]
    assert (scheme["in"], scheme["name"], scheme["x-arazzo-runner-prefix"]) == (
        "header",
        "Authorization",
        "Key ",
    )
    assert doc["components"]["parameters"]["ModelName"]["x-allowReserved"] is True
    events = load_mock_events()
    outputs = [e["data"]["output"] for e in events]
    assert len(events) >= 6 and all(e["event"] == "event" and e["delayMs"] >= 0 for e in events)
    assert [e["data"]["partial"] for e in events] == [True] * (len(events) - 1) + [False]
    assert all(e["data"]["error"] is None for e in events)
    assert all(
        later.startswith(earlier) for earlier, later in zip(outputs, outputs[1:], strict=False)
    )


# --------------------------------------------------------------------------- live checks
@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as shared:
        yield shared


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with serve(make_echo_app()) as base:
        yield base


@pytest.fixture(scope="module")
def flow_url() -> Iterator[str]:
    with serve(make_flow_app()) as base:
        yield base


def _sse_events(text: str) -> list[dict[str, str]]:
    """A minimal reader for the apps' own framing (LF, one data line per event)."""
    events = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        fields = dict(line.split(": ", 1) for line in lines)
        if "data" in fields:
            events.append(fields)
    return events


def test_echo_app_echoes_query_headers_cookies_and_raw_path(
    client: httpx.Client, echo_url: str
) -> None:
    response = client.get(
        f"{echo_url}/echo/path/matrix-explode/;id=3;id=4;id=5?color=blue&color=black&q=a%26b",
        headers={"X-Tags": "a,b", "Cookie": "session=abc123; prefs=a,b"},
    )
    echoed = response.json()
    assert echoed["method"] == "GET"
    assert echoed["path"] == "/echo/path/matrix-explode/;id=3;id=4;id=5"
    assert echoed["rawQuery"] == "color=blue&color=black&q=a%26b"
    assert echoed["query"] == {"color": ["blue", "black"], "q": ["a&b"]}
    assert echoed["headers"]["x-tags"] == "a,b"
    assert echoed["cookies"] == {"session": "abc123", "prefs": "a,b"}
    encoded = client.get(f"{echo_url}/echo/path/simple/hello%20world").json()
    assert (encoded["path"], encoded["pathDecoded"]) == (
        "/echo/path/simple/hello%20world",
        "/echo/path/simple/hello world",
    )


def test_echo_app_parses_and_checks_bodies(client: httpx.Client, echo_url: str) -> None:
    url = f"{echo_url}/echo/body"
    assert client.post(f"{url}/json", json={"age": 3}).json()["json"] == {"age": 3}
    form = client.post(f"{url}/form", data={"scope": "read write"}).json()
    assert form["form"] == {"scope": ["read write"]}
    parts = client.post(f"{url}/multipart", data={"d": "A"}, files={"file": ("f.txt", b"hi")})
    described = [(p["name"], p["filename"], p["value"]) for p in parts.json()["multipart"]]
    assert described == [("d", None, "A"), ("file", "f.txt", "hi")]
    octets = {"Content-Type": "application/octet-stream"}
    binary = client.put(f"{url}/binary", content=b"raw-bytes", headers=octets).json()
    assert (binary["method"], binary["bodySize"], binary["bodyBase64"]) == (
        "PUT",
        9,
        "cmF3LWJ5dGVz",
    )
    assert client.post(f"{url}/json", data={"a": "1"}).status_code == 415
    bad_json = client.post(
        f"{url}/json", content=b"{x", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    bad_xml = client.post(f"{url}/xml", content=b"<a><b></a>", headers={"Content-Type": "text/xml"})
    assert bad_xml.status_code == 400
    good_xml = client.post(
        f"{url}/xml", content=b"<a/>", headers={"Content-Type": "application/xml"}
    )
    assert good_xml.json()["body"] == "<a/>"


def _post_prompt(client: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
    return client.post(url, json=kwargs.pop("body", {"prompt": "hi"}), **kwargs)


def test_fal_app_streams_the_mock_events_with_sse_framing(client: httpx.Client) -> None:
    app = make_fal_app("finite")
    with serve(app) as base:
        auth = {"Authorization": "Key k:s"}
        response = _post_prompt(client, f"{base}/fal-ai/flux/schnell/stream", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-fal-request-id"]
    assert response.text.endswith("\n\n") and "\r" not in response.text
    events = _sse_events(response.text)
    expected = [(m["event"], m["data"]) for m in load_mock_events()]
    assert [(e["event"], json.loads(e["data"])) for e in events] == expected
    seen = app.state.fal.requests[0]
    assert (seen["owner"], seen["name"]) == ("fal-ai", "flux/schnell")
    assert seen["authorization"] == "Key k:s"
    assert app.state.fal.completed.wait(2) and not app.state.fal.disconnected.is_set()
    assert app.state.fal.events_sent == len(events)


def test_fal_app_notices_when_the_client_closes_an_endless_stream(client: httpx.Client) -> None:
    app = make_fal_app("endless", interval_ms=10)
    with serve(app) as base:
        body = {"prompt": "hi"}
        with client.stream("POST", f"{base}/fal-ai/any-llm/stream", json=body) as response:
            data = []
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data.append(json.loads(line[6:]))
                if len(data) == 3:
                    break
        assert [d["output"] for d in data] == ["tick 1", "tick 2", "tick 3"]
        assert app.state.fal.disconnected.wait(5)
    assert not app.state.fal.completed.is_set()


def test_fal_app_stall_mode_goes_silent_after_one_event(client: httpx.Client) -> None:
    app = make_fal_app("stall")
    with serve(app) as base:
        timeout = httpx.Timeout(5.0, read=0.3)
        body = {"prompt": "hi"}
        with client.stream("POST", f"{base}/a/b/stream", json=body, timeout=timeout) as response:
            lines = response.iter_lines()
            assert next(lines) == "event: event"
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                list(lines)
            assert time.monotonic() - started < 3
        assert app.state.fal.disconnected.wait(5)


def test_fal_app_422_mode_answers_like_fal(client: httpx.Client) -> None:
    with serve(make_fal_app("validation-error")) as base:
        invalid = _post_prompt(client, f"{base}/fal-ai/any-llm/stream")
    assert invalid.status_code == 422 and invalid.headers["x-fal-request-id"]
    assert invalid.headers["X-Fal-Error-Type"] == "validation_error"
    assert invalid.headers["content-type"] == "application/json"
    assert all(set(d) == {"loc", "msg", "type"} for d in invalid.json()["detail"])


def test_fal_app_502_mode_answers_with_nginx_html(client: httpx.Client) -> None:
    with serve(make_fal_app("bad-gateway")) as base:
        gateway = _post_prompt(client, f"{base}/fal-ai/any-llm/stream")
    assert gateway.status_code == 502 and gateway.headers["content-type"].startswith("text/html")
    assert "<center>nginx</center>" in gateway.text


def test_fal_app_json_mode_and_input_validation(client: httpx.Client) -> None:
    with serve(make_fal_app("json")) as base:
        plain = _post_prompt(client, f"{base}/fal-ai/any-llm/stream")
        no_prompt = _post_prompt(client, f"{base}/fal-ai/any-llm/stream", body={"text": "hi"})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    assert plain.json()["partial"] is False and plain.json()["error"] is None
    assert no_prompt.status_code == 422
    assert no_prompt.json()["detail"][0]["loc"] == ["body", "prompt"]


def test_fal_app_model_error_and_heartbeat_modes(client: httpx.Client) -> None:
    with serve(make_fal_app("model-error")) as base:
        text = _post_prompt(client, f"{base}/m/n/stream").text
    last = json.loads(_sse_events(text)[-1]["data"])
    assert last["partial"] is False and last["error"]
    app = make_fal_app("heartbeat", interval_ms=10)
    with serve(app) as base:
        with client.stream("POST", f"{base}/m/n/stream", json={"prompt": "hi"}) as response:
            lines = response.iter_lines()
            assert [next(lines) for _ in range(4)] == [": keep-alive", "", ": keep-alive", ""]
    assert app.state.fal.events_sent == 0


def test_flow_app_flaky_counts_attempts_per_key(client: httpx.Client) -> None:
    app = make_flow_app()
    with serve(app) as base:
        first = client.get(f"{base}/flaky/k1", params={"failures": 2, "retryAfter": "0"})
        codes = [client.get(f"{base}/flaky/k1?failures=2").status_code for _ in range(2)]
        other = client.get(f"{base}/flaky/k2", params={"failures": 0})
        status = client.get(f"{base}/status/404")
        counts = [client.get(f"{base}/counter").json()["count"] for _ in range(2)]
    assert (first.status_code, first.headers["Retry-After"]) == (503, "0")
    assert codes == [503, 200] and other.json()["attempt"] == 1
    assert (status.status_code, status.json()) == (404, {"code": 404, "ok": False})
    assert counts == [1, 2]
    assert app.state.flow.flaky == {"k1": 3, "k2": 1}
    assert app.state.calls[0] == "GET /flaky/k1?failures=2&retryAfter=0"


def test_flow_app_orders_items_and_users(client: httpx.Client, flow_url: str) -> None:
    created = client.post(f"{flow_url}/orders", json={"item": "widget", "quantity": 2})
    assert created.status_code == 201 and created.headers["location"] == "/orders/ord-0001"
    assert client.get(f"{flow_url}/orders/ord-0001").json()["status"] == "placed"
    bad = client.post(f"{flow_url}/orders", json={"item": "widget", "quantity": "2"})
    assert bad.status_code == 400
    stock = client.get(f"{flow_url}/inventory/widget").json()
    assert stock == {"item": "widget", "available": 7}
    first = client.get(f"{flow_url}/items").json()[0]["id"]
    owner = client.get(f"{flow_url}/items/{first}").json()["ownerId"]
    assert client.get(f"{flow_url}/users/{owner}").json()["name"] == "Ada"
    assert client.get(f"{flow_url}/catalog/health").json()["service"] == "catalog"
    assert client.get(f"{flow_url}/accounts/health").json()["service"] == "accounts"


def _ebv(result: Any) -> bool:
    return len(result) > 0 if isinstance(result, list) else bool(result)


def _criterion_passes(criterion: dict[str, Any], json_response: httpx.Response, xml: Any) -> bool:
    kind = criterion.get("type", "simple")
    kind = kind["type"] if isinstance(kind, dict) else kind
    condition = criterion["condition"]
    if kind == "jsonpath":
        return _ebv(jsonpath.findall(condition, json_response.json()))
    if kind == "xpath":
        return _ebv(elementpath.select(xml, condition))
    contexts = {
        "$statusCode": str(json_response.status_code),
        "$response.header.X-Request-Id": json_response.headers["x-request-id"],
    }
    return re.search(condition, contexts[criterion["context"]]) is not None


def test_criteria_fixture_labels_agree_with_the_report_app(
    client: httpx.Client, flow_url: str
) -> None:
    """Each jsonpath/xpath/regex criterion passes in all-pass and fails in *-fails workflows."""
    json_response = client.get(f"{flow_url}/report/json")
    xml_response = client.get(f"{flow_url}/report/xml")
    assert json_response.json() == {"count": 2, "pets": REPORT_PETS}
    assert xml_response.text == REPORT_XML
    assert xml_response.headers["content-type"].startswith("application/xml")
    xml = ElementTree.ElementTree(ElementTree.fromstring(xml_response.content))
    checked = 0
    for wf in _yaml(ROOT / "workflows" / "criteria.arazzo.yaml")["workflows"]:
        for step in wf["steps"]:
            for criterion in step["successCriteria"]:
                if criterion.get("type", "simple") == "simple":
                    continue
                checked += 1
                expected = wf["workflowId"] == "all-pass"
                passed = _criterion_passes(criterion, json_response, xml)
                assert passed == expected, (wf["workflowId"], criterion["condition"])
    assert checked >= 12


def test_petstore_app_needs_the_token_and_the_api_key(client: httpx.Client) -> None:
    with serve(make_petstore_app()) as base:
        wrong = client.post(f"{base}/login", json={"username": "alice", "password": "no"})
        login = client.post(f"{base}/login", json={"username": "alice", "password": "wonderland"})
        anonymous = client.get(f"{base}/pets")
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        pets = client.get(f"{base}/pets", params={"status": "available"}, headers=bearer)
        no_key = client.get(f"{base}/pets/1", headers=bearer)
        pet = client.get(f"{base}/pets/1", headers={"X-API-Key": "test-api-key"})
    assert wrong.status_code == 401 and anonymous.status_code == 401
    assert login.headers["X-Expires-After"] == "2030-01-01T00:00:00Z"
    assert [p["id"] for p in pets.json()] == [1, 3]
    assert no_key.status_code == 401 and pet.json()["name"] == "Fido"


def test_all_app_serves_every_test_api_on_one_server(client: httpx.Client) -> None:
    with serve(make_all_app()) as base:
        echoed = client.get(f"{base}/echo/x").json()
        counter = client.get(f"{base}/counter").json()
        login = client.post(f"{base}/login", json={"username": "alice", "password": "wonderland"})
    assert echoed["path"] == "/echo/x" and counter == {"count": 1} and login.is_success
