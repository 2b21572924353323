"""The run's own HTTP client (``wire.make_client``): TLS loaded only for ``https://``.

A run against ``http://`` servers never reads the CA bundle; an ``https://`` request still
verifies the server (a throwaway trustme CA: trusted through ``SSL_CERT_FILE``, refused
without it), and a proxy named by the environment gets httpx's ordinary client.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arazzo_runner.mock import serve_app
from arazzo_runner.wire import make_client
from tests.support.asgi_server import serve
from tests.support.cli import HANG_GUARD, PYTHON
from tests.support.tls import TLSFiles, make_tls

OPENAPI = """\
openapi: 3.1.0
info: {title: ping, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9/unused"}]
paths:
  /ping:
    get:
      operationId: ping
      responses: {"200": {description: pong}}
"""
ARAZZO = """\
arazzo: 1.0.1
info: {title: ping, version: 1.0.0}
sourceDescriptions: [{name: api, url: ping.openapi.yaml, type: openapi}]
workflows:
  - workflowId: ping
    steps:
      - {stepId: ping, operationId: ping}
"""


async def _ping(request: Request) -> JSONResponse:
    return JSONResponse({"pong": True})


APP = Starlette(routes=[Route("/ping", _ping)])


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https(tls: TLSFiles) -> Iterator[str]:
    with serve_app(APP, ssl_certfile=tls.cert, ssl_keyfile=tls.key) as url:
        yield url


def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


def test_plain_http_never_builds_the_tls_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proxy(monkeypatch)
    with serve(APP) as url, make_client() as client:
        assert client.get(url + "/ping").json() == {"pong": True}
        (lazy,) = [t for p, t in client._mounts.items() if p.scheme == "https"]
        assert lazy._transport is None  # type: ignore[union-attr]


def test_a_proxy_in_the_environment_gets_the_ordinary_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_proxy(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with make_client() as client:
        assert all(type(t).__name__ != "_LazyTLS" for t in client._mounts.values())


def _run(tmp_path: Path, base: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "ping.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "ping.arazzo.yaml").write_text(ARAZZO)
    clean = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    clean.pop("SSL_CERT_FILE", None)
    return subprocess.run(
        [PYTHON, "-m", "arazzo_runner", "run", str(tmp_path / "ping.arazzo.yaml")]
        + ["-S", f"api={base}", "--json"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env={**clean, **env},
        check=False,
    )


def test_https_is_verified_against_the_trusted_cas(
    tmp_path: Path, https: str, tls: TLSFiles
) -> None:
    trusted = _run(tmp_path, https, SSL_CERT_FILE=tls.ca)
    assert trusted.returncode == 0, trusted.stderr
    refused = _run(tmp_path, https)
    assert refused.returncode == 3, refused.stdout
    assert "certificate" in (refused.stdout + refused.stderr).lower()
