"""The executor works out a base URL once per operation and ``--server`` value: a changed
override is used at once, and what raised is not remembered (it raises again). A workspace
answers the operation of every step that names the same one once (any other workspace is asked
each time). The host of a secured request's base URL is parsed once per URL, errors again
every time. Response headers are read from the executor's own map, as httpx would give them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arazzo_runner.document.workspace import Workspace, open_workspace
from arazzo_runner.engine.port import OperationCall
from arazzo_runner.errors import InputError
from arazzo_runner.wire.auth import _host
from arazzo_runner.wire.executor import HttpExecutor
from arazzo_runner.wire.request import Targets
from arazzo_runner.wire.response import header_value, headers_dict
from tests.support.apps import make_echo_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with serve(make_echo_app()) as base:
        yield base


@pytest.fixture(scope="module")
def params() -> Workspace:
    return open_workspace(str(ROOT / "workflows" / "params.arazzo.yaml"))


def _path_call(ws: Workspace, value: str) -> OperationCall:
    assert ws.root is not None
    workflow = ws.root.workflow("path-styles")
    assert workflow is not None
    step = workflow.step("simpleString")
    assert step is not None
    return OperationCall(ws.root, "path-styles", step, (("value", "path", value),))


def test_a_changed_server_override_is_used_at_once(params: Workspace, echo: str) -> None:
    base = echo
    with HttpExecutor(params, servers={"echo": base}) as executor:
        first = executor.execute(_path_call(params, "one"))
        second = executor.execute(_path_call(params, "two"))
        executor.servers["echo"] = base + "/moved"
        moved = executor.execute(_path_call(params, "three"))
        executor.servers["echo"] = "ftp://not-http"
        refused = [executor.execute(_path_call(params, "four")) for _ in range(2)]
        executor.servers["echo"] = base
        back = executor.execute(_path_call(params, "five"))
    assert first.url == f"{base}/echo/path/simple/one" and first.status_code == 200
    assert second.url == f"{base}/echo/path/simple/two" and second.status_code == 200
    assert moved.url == f"{base}/moved/echo/path/simple/three"
    assert all(isinstance(e.error, InputError) and e.url == "" for e in refused)
    assert back.url == f"{base}/echo/path/simple/five" and back.status_code == 200


def test_auth_host_is_parsed_once_and_errors_are_not_kept() -> None:
    assert _host("https://api.example.com:8443/v1") == "api.example.com"
    assert _host("https://api.example.com:8443/v1") == "api.example.com"
    for _ in range(2):
        with pytest.raises(Exception, match="port"):
            _host("http://example.com:notaport/")


class _Asking:
    """A workspace of another kind: the executor must ask it every time."""

    def __init__(self, inner: Workspace) -> None:
        self.inner, self.asked = inner, 0

    def find_operation(self, doc: object, step: object) -> object:
        self.asked += 1
        return self.inner.find_operation(doc, step)  # type: ignore[arg-type]


def test_operations_are_looked_up_once_per_operation_only_in_a_workspace(
    params: Workspace, echo: str
) -> None:
    calls = [_path_call(params, value) for value in ("a", "b", "c")]
    targets = Targets(params)
    found = [targets.operation(c) for c in calls]
    assert found[0] is not None and all(f is found[0] for f in found)
    assert found[0] == params.find_operation(calls[0].document, calls[0].step)
    other = _Asking(params)
    with HttpExecutor(other, servers={"echo": echo}) as executor:
        exchanges = [executor.execute(c) for c in calls]
    assert other.asked == 3
    assert [e.status_code for e in exchanges] == [200, 200, 200]


NAMES = st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE", "Retry-After", "X-A"])
# bytes as a server sends them: ASCII, UTF-8 and Latin-1 text (httpx picks the decoding)
VALUES = st.lists(
    st.sampled_from([b"a", b"1", b" ", b";", b"=", "é".encode(), b"\xe9"]), max_size=4
)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=6))
def test_header_value_is_what_httpx_headers_get_gives(pairs: list[tuple[str, list[bytes]]]) -> None:
    headers = httpx.Headers([(name, b"".join(value)) for name, value in pairs])
    ours = headers_dict(headers.multi_items())
    for name in ("content-type", "retry-after", "x-a", "absent"):
        assert header_value(ours, name) == headers.get(name)
