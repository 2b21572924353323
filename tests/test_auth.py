"""Credentials: lookup order, scheme types, alternatives, OAuth2 token fetched once, messages.

The HTTP tests run a real starlette app on 127.0.0.1 behind an OpenAPI description written to
tmp_path that declares one operation per security scheme type.
"""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from arazzo_runner.document.openapi.index import SecurityScheme
from arazzo_runner.document.workspace import Workspace, open_workspace
from arazzo_runner.engine.port import OperationCall
from arazzo_runner.errors import CredentialsError, InputError
from arazzo_runner.redact import Redactor
from arazzo_runner.wire.auth import (
    Authenticator,
    Credentials,
    Outgoing,
    env_var_name,
    is_fal_scheme,
)
from arazzo_runner.wire.executor import HttpExecutor
from tests.support.asgi_server import serve

FAL = SecurityScheme(
    key="falKey",
    type="apiKey",
    location="header",
    param_name="Authorization",
    extensions={"x-arazzo-runner-prefix": "Key "},
)
HEADER_KEY = SecurityScheme(key="api-key", type="apiKey", location="header", param_name="X-Key")


# -- lookup ----------------------------------------------------------------------------------


def test_env_var_name() -> None:
    assert env_var_name("falKey") == "ARAZZO_AUTH_FALKEY"
    assert env_var_name("api-key.v2") == "ARAZZO_AUTH_API_KEY_V2"


def test_auth_pairs_keep_equals_in_values_and_reject_junk_without_echoing_it() -> None:
    from arazzo_runner.cli.pairs import parse_pairs

    assert parse_pairs(["a=b=c", "x= "], "--auth", secret=True) == {"a": "b=c", "x": " "}
    with pytest.raises(InputError, match="SCHEME=VALUE") as info:
        parse_pairs(["s3cr3t-value"], "--auth", "SCHEME=VALUE", secret=True)
    assert "s3cr3t" not in str(info.value)


def test_lookup_order_given_then_env_then_well_known() -> None:
    env = {"ARAZZO_AUTH_FALKEY": "from-env", "FAL_KEY": "from-fal"}
    assert Credentials.from_sources({"falKey": "given"}, env).lookup(FAL) == "given"
    assert Credentials.from_sources({"FALKEY": "folded"}, env).lookup(FAL) == "folded"
    assert Credentials.from_sources({}, env).lookup(FAL) == "from-env"
    assert Credentials.from_sources({}, {"FAL_KEY": "from-fal"}).lookup(FAL) == "from-fal"
    split = {"FAL_KEY_ID": "id", "FAL_KEY_SECRET": "sec"}
    assert Credentials.from_sources({}, split).lookup(FAL) == "id:sec"
    assert Credentials.from_sources({}, {"FAL_KEY_ID": "id"}).lookup(FAL) is None
    assert Credentials.from_sources({}, {"FAL_KEY": "x"}).lookup(HEADER_KEY) is None


def test_fal_scheme_detection() -> None:
    assert is_fal_scheme(FAL)
    assert not is_fal_scheme(HEADER_KEY)
    bare = SecurityScheme(key="falAuth", type="http", scheme="bearer")
    assert is_fal_scheme(bare)


def test_secrets_include_both_halves_of_a_pair() -> None:
    creds = Credentials.from_sources(
        {"a": "user:pw-long"}, {"FAL_KEY": "kid:ksecret", "HOME": "/x"}
    )
    assert set(creds.secrets()) == {"user:pw-long", "pw-long", "kid:ksecret", "ksecret"}


# -- applying without HTTP -------------------------------------------------------------------


def _apply(
    security: list[dict[str, list[str]]],
    schemes: dict[str, SecurityScheme],
    creds: Credentials,
    out: Outgoing | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> tuple[Outgoing, Redactor]:
    out = out or Outgoing()
    redactor = Redactor()
    Authenticator(creds, redactor, client=None).apply(security, schemes, out, base_url)  # type: ignore[arg-type]
    return out, redactor


@pytest.mark.parametrize(
    ("base_url", "sent"),
    [
        ("https://fal.run", True),
        ("https://queue.fal.run", True),
        ("https://rest.alpha.fal.ai/x", True),
        ("http://localhost:8000", True),
        ("http://127.0.0.1:9", True),
        ("http://[::1]:9", True),
        ("https://evil.example", False),
        ("https://fal.run.evil.example", False),
        ("https://notfal.run", False),
    ],
)
def test_fal_key_from_the_environment_goes_only_to_fal_and_loopback(
    base_url: str, sent: bool
) -> None:
    creds = Credentials.from_sources({}, {"FAL_KEY": "fal-env-key"})
    if sent:
        out, _ = _apply([{"falKey": []}], {"falKey": FAL}, creds, base_url=base_url)
        assert out.headers == {"Authorization": "Key fal-env-key"}
        return
    with pytest.raises(CredentialsError) as info:
        _apply([{"falKey": []}], {"falKey": FAL}, creds, base_url=base_url)
    assert "FAL_KEY is only sent to fal's hosts and loopback" in str(info.value)
    assert "fal-env-key" not in str(info.value)
    # given for the run, the key goes where the document says
    given = Credentials.from_sources({"falKey": "given-key"}, {"FAL_KEY": "fal-env-key"})
    out, _ = _apply([{"falKey": []}], {"falKey": FAL}, given, base_url=base_url)
    assert out.headers == {"Authorization": "Key given-key"}


def test_prefix_is_added_once() -> None:
    for value in ("abc:def", "Key abc:def"):
        out, _ = _apply([{"falKey": []}], {"falKey": FAL}, Credentials({"falKey": value}))
        assert out.headers == {"Authorization": "Key abc:def"}


def test_explicit_header_wins_and_satisfies_the_scheme() -> None:
    out = Outgoing(headers={"authorization": "Key from-workflow"})
    done, _ = _apply([{"falKey": []}], {"falKey": FAL}, Credentials(), out)
    assert done.headers == {"authorization": "Key from-workflow"}


def test_first_satisfied_alternative_then_anonymous() -> None:
    schemes = {"falKey": FAL, "api-key": HEADER_KEY}
    security: list[dict[str, list[str]]] = [{"falKey": [], "api-key": []}, {"api-key": []}]
    out, _ = _apply(security, schemes, Credentials({"api-key": "k-123"}))
    assert out.headers == {"X-Key": "k-123"}
    out, _ = _apply([{}, {"falKey": []}], schemes, Credentials())
    assert out.headers == {}
    out, _ = _apply([{}, {"falKey": []}], schemes, Credentials({"falKey": "given"}))
    assert out.headers == {"Authorization": "Key given"}


def test_missing_credentials_message_names_scheme_and_variable() -> None:
    with pytest.raises(CredentialsError) as info:
        _apply([{"falKey": []}], {"falKey": FAL}, Credentials())
    text = str(info.value)
    assert "'falKey'" in text and "FAL_KEY=" in text and "--mock" in text
    assert info.value.exit_code == 3
    with pytest.raises(CredentialsError) as info:
        _apply([{"api-key": []}, {"nope": []}], {"api-key": HEADER_KEY}, Credentials())
    text = str(info.value)
    assert "ARAZZO_AUTH_API_KEY" in text and "--auth api-key=VALUE" in text
    assert "'nope' (not defined in components.securitySchemes)" in text


def test_no_security_declared_or_empty_means_nothing_to_do() -> None:
    for security in (None, []):
        out = Outgoing()
        Authenticator(Credentials(), Redactor(), client=None).apply(security, {}, out, "")  # type: ignore[arg-type]
        assert out == Outgoing()


# -- every scheme type over HTTP -------------------------------------------------------------

SECURED = {
    "basic": "[{basicAuth: []}]",
    "bearer": "[{bearerAuth: []}]",
    "queryKey": "[{queryKey: []}]",
    "cookieKey": "[{cookieKey: []}]",
    "oauth": "[{oauth: [read, write]}]",
    "oidc": "[{oidc: []}]",
    "mtls": "[{mtls: []}]",
}
OPERATIONS = tuple(SECURED)
PATHS = "".join(
    f"  /{op}:\n    get:\n      operationId: {op}\n      security: {security}\n"
    "      responses: {'200': {description: ok}}\n"
    for op, security in SECURED.items()
)
OPENAPI = (
    """\
openapi: 3.1.0
info: {title: security, version: '1'}
servers: [{url: /relative}]
paths:
"""
    + PATHS
    + """\
components:
  securitySchemes:
    basicAuth: {type: http, scheme: Basic}
    bearerAuth: {type: http, scheme: bearer}
    queryKey: {type: apiKey, in: query, name: api_key}
    cookieKey: {type: apiKey, in: cookie, name: sid}
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {read: r, write: w}}}
    oidc: {type: openIdConnect, openIdConnectUrl: 'https://id.invalid/.well-known/openid'}
    mtls: {type: mutualTLS}
"""
)


def _arazzo() -> str:
    steps = "\n".join(f"      - stepId: {op}\n        operationId: {op}" for op in OPERATIONS)
    return (
        textwrap.dedent(
            """\
        arazzo: 1.0.1
        info: {title: security, version: '1'}
        sourceDescriptions:
          - {name: api, url: api.yaml, type: openapi}
        workflows:
          - workflowId: all
            steps:
        """
        )
        + steps
        + "\n"
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder: Path = tmp_path_factory.mktemp("security")
    (folder / "api.yaml").write_text(OPENAPI, encoding="utf-8")
    (folder / "flow.arazzo.yaml").write_text(_arazzo(), encoding="utf-8")
    ws = open_workspace(str(folder / "flow.arazzo.yaml"))
    assert ws.root is not None and ws.find_workflow(ws.root, "all") is not None
    return ws


def _app(tokens: list[dict[str, Any]]) -> Starlette:
    async def seen(request: Request) -> Response:
        return JSONResponse(
            {
                "authorization": request.headers.get("authorization"),
                "query": request.url.query,
                "cookie": request.headers.get("cookie"),
            }
        )

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        tokens.append({"form": form, "authorization": request.headers.get("authorization")})
        expected = "Basic " + base64.b64encode(b"client-1:client-secret-1").decode()
        if request.headers.get("authorization") != expected:
            detail = f"bad client {request.headers.get('authorization')}"
            return JSONResponse(
                {"error": "invalid_client", "error_description": detail}, status_code=401
            )
        return JSONResponse({"access_token": "access-token-xyz", "token_type": "bearer"})

    return Starlette(
        routes=[
            Route("/oauth/token", token, methods=["POST"]),
            Route("/relative/{rest:path}", seen),
        ]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    tokens: list[dict[str, Any]] = []
    with serve(_app(tokens)) as base:
        yield base, tokens


def _call(ws: Workspace, step_id: str) -> OperationCall:
    assert ws.root is not None
    workflow = ws.root.workflow("all")
    assert workflow is not None
    step = workflow.step(step_id)
    assert step is not None
    return OperationCall(ws.root, "all", step, ())


def _run(ws: Workspace, base: str, step_id: str, **auth: str) -> Any:
    with HttpExecutor(ws, servers={"api": base + "/relative"}, auth=auth) as executor:
        exchange = executor.execute(_call(ws, step_id))
        assert exchange.error is None, exchange.error
        assert exchange.status_code == 200
        return exchange.response_body


def test_http_basic_bearer_query_cookie_oidc(
    workspace: Workspace, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, _ = server
    basic = base64.b64encode(b"ada:p@ss word").decode()
    assert _run(workspace, base, "basic", basicAuth="ada:p@ss word")["authorization"] == (
        f"Basic {basic}"
    )
    assert _run(workspace, base, "bearer", bearerAuth="tkn-1")["authorization"] == "Bearer tkn-1"
    assert _run(workspace, base, "queryKey", queryKey="k&1 2")["query"] == "api_key=k%261%202"
    assert _run(workspace, base, "cookieKey", cookieKey="c-1;x")["cookie"] == "sid=c-1%3Bx"
    assert _run(workspace, base, "oidc", oidc="id-token-1")["authorization"] == "Bearer id-token-1"


def test_oauth2_client_credentials_token_fetched_once_per_run(
    workspace: Workspace, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, tokens = server
    tokens.clear()
    servers = {"api": base + "/relative"}
    with HttpExecutor(workspace, servers=servers, auth={"oauth": "client-1:client-secret-1"}) as ex:
        first = ex.execute(_call(workspace, "oauth"))
        second = ex.execute(_call(workspace, "oauth"))
        assert "access-token-xyz" in ex.redactor.secrets
    for exchange in (first, second):
        assert exchange.error is None
        assert exchange.response_body["authorization"] == "Bearer access-token-xyz"
    assert len(tokens) == 1
    assert tokens[0]["form"] == {"grant_type": "client_credentials", "scope": "read write"}


def test_oauth2_token_failure_is_a_redacted_credentials_error(
    workspace: Workspace, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, tokens = server
    tokens.clear()
    servers = {"api": base + "/relative"}
    with HttpExecutor(workspace, servers=servers, auth={"oauth": "client-1:wrong-secret"}) as ex:
        first = ex.execute(_call(workspace, "oauth"))
        second = ex.execute(_call(workspace, "oauth"))
    assert isinstance(first.error, CredentialsError)
    assert second.error is not None and len(tokens) == 1  # a failure is not retried either
    text = str(first.error)
    assert "invalid_client" in text and "HTTP 401" in text and "/oauth/token" in text
    leaked = base64.b64encode(b"client-1:wrong-secret").decode()
    assert "wrong-secret" not in text and leaked not in text
    assert first.status_code is None


def test_missing_and_unsupported_credentials_send_nothing(workspace: Workspace) -> None:
    with HttpExecutor(workspace, servers={"api": "http://127.0.0.1:9/relative"}) as executor:
        missing = executor.execute(_call(workspace, "bearer"))
        mtls = executor.execute(_call(workspace, "mtls"))
    assert isinstance(missing.error, CredentialsError)
    assert "ARAZZO_AUTH_BEARERAUTH" in str(missing.error)
    assert missing.status_code is None and missing.error.step_id == "bearer"
    assert "mutualTLS is not supported" in str(mtls.error)


def test_environment_credentials_reach_the_request(
    workspace: Workspace, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, _ = server
    env = {"ARAZZO_AUTH_BEARERAUTH": "env-token-1"}
    with HttpExecutor(workspace, servers={"api": base + "/relative"}, env=env) as executor:
        exchange = executor.execute(_call(workspace, "bearer"))
    assert exchange.response_body["authorization"] == "Bearer env-token-1"
    assert exchange.request_headers["Authorization"] == "Bearer env-token-1"


# -- a credential rides only to the hosts its rules allow, token requests included ---------------

COLLECTED_OPENAPI = """\
openapi: 3.1.0
info: {title: collector, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
security: [{falKey: []}]
components:
  securitySchemes:
    falKey:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: 'TOKEN_URL', scopes: {}}}
paths:
  /relative/seen:
    get:
      operationId: seen
      responses: {'200': {description: ok}}
"""
COLLECTED_ARAZZO = """\
arazzo: 1.0.1
info: {title: collector, version: '1'}
sourceDescriptions: [{name: api, url: api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps: [{stepId: seen, operationId: seen}]
"""


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[str, list[str]]]:
    """A server on another address (127.0.0.2: not one of the loopback names the fal rule
    allows, so it stands for a stranger's host) that records every request it gets."""
    seen: list[str] = []

    async def collect(request: Request) -> Response:
        seen.append(f"{request.method} {request.url.path} {request.headers.get('authorization')}")
        return JSONResponse({"access_token": "collected-token"})

    app = Starlette(routes=[Route("/{rest:path}", collect, methods=["GET", "POST"])])
    try:
        with serve(app, host="127.0.0.2") as url:
            yield url, seen
    except OSError as exc:  # a system without the 127.0.0.0/8 loopback net
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")


@pytest.mark.parametrize("form", ["absolute", "scheme-relative"])
def test_fal_key_is_never_posted_to_a_token_url_on_another_host(
    tmp_path: Path,
    server: tuple[str, list[dict[str, Any]]],
    collector: tuple[str, list[str]],
    form: str,
) -> None:
    base, _ = server
    collector_url, seen = collector
    token_url = f"{collector_url}/token"
    if form == "scheme-relative":
        token_url = token_url.removeprefix("http:")
    (tmp_path / "api.yaml").write_text(COLLECTED_OPENAPI.replace("TOKEN_URL", token_url))
    (tmp_path / "flow.arazzo.yaml").write_text(COLLECTED_ARAZZO)
    ws = open_workspace(str(tmp_path / "flow.arazzo.yaml"))
    assert ws.root is not None
    step = ws.root.workflows[0].steps[0]
    env = {"FAL_KEY": "canary-id:canary-secret"}
    servers = {"api": base + "/relative"}  # loopback: the key may go to the operation
    seen.clear()
    with HttpExecutor(ws, servers=servers, env=env) as executor:
        exchange = executor.execute(OperationCall(ws.root, "w", step, ()))
        exchange.close()
    assert seen == []  # nothing reached the other host: no token request, no key
    assert isinstance(exchange.error, CredentialsError), exchange.error
    message = str(exchange.error)
    assert "127.0.0.2" in message and "FAL_KEY is only sent to fal's hosts" in message
    assert "canary" not in message


def test_a_credential_given_for_the_run_may_fetch_its_token_where_the_document_says(
    tmp_path: Path,
    server: tuple[str, list[dict[str, Any]]],
    collector: tuple[str, list[str]],
) -> None:
    """--auth (or ARAZZO_AUTH_<KEY>) goes where the document's sources say (SECURITY.md)."""
    base, _ = server
    collector_url, seen = collector
    (tmp_path / "api.yaml").write_text(
        COLLECTED_OPENAPI.replace("TOKEN_URL", f"{collector_url}/token")
    )
    (tmp_path / "flow.arazzo.yaml").write_text(COLLECTED_ARAZZO)
    ws = open_workspace(str(tmp_path / "flow.arazzo.yaml"))
    assert ws.root is not None
    step = ws.root.workflows[0].steps[0]
    seen.clear()
    servers = {"api": base + "/relative"}
    with HttpExecutor(ws, servers=servers, auth={"falKey": "given-id:given-secret"}) as ex:
        exchange = ex.execute(OperationCall(ws.root, "w", step, ()))
        exchange.close()
    assert exchange.error is None, exchange.error
    assert [line.split(" ")[:2] for line in seen] == [["POST", "/token"]]
