"""URLs, local paths and the bounded, cached fetcher (real files, a real local HTTP server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from arazzo_runner.document.loader import build_document
from arazzo_runner.document.sources import Fetcher, resolve_url, to_url, url_to_path
from arazzo_runner.errors import SourceError, YamlError
from tests.support.asgi_server import serve

DATA = Path(__file__).parent / "data" / "loader"
OPENAPI = b"openapi: 3.1.0\ninfo: {title: t, version: 1.0.0}\npaths: {}\n"


# --- URLs -----------------------------------------------------------------------------------


def test_to_url_makes_local_paths_absolute_file_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert to_url("a b/x.yaml") == (tmp_path / "a b" / "x.yaml").as_uri()
    assert to_url("a b/x.yaml").endswith("/a%20b/x.yaml")
    assert to_url("https://example.com/x.yaml") == "https://example.com/x.yaml"
    assert to_url("file:///tmp/x.yaml") == "file:///tmp/x.yaml"


@pytest.mark.parametrize(
    ("base", "ref", "expected"),
    [
        ("file:///r/w/doc.yaml", "./api.yaml", "file:///r/w/api.yaml"),
        ("file:///r/w/doc.yaml", "../o/api.yaml", "file:///r/o/api.yaml"),
        ("file:///r/w/doc.yaml", "/abs/api.yaml", "file:///abs/api.yaml"),
        (
            "file:///r/w/doc.yaml",
            "v4%20-%20Hunt%20Valley/a.json",
            "file:///r/w/v4%20-%20Hunt%20Valley/a.json",
        ),
        (
            "file:///r/w/doc.yaml",
            "v4 - Hunt Valley/a.json",
            "file:///r/w/v4%20-%20Hunt%20Valley/a.json",
        ),
        (
            "file:///r/w/doc.yaml",
            "2.27.2%2B0.gd5006bf.dirty/a.json",
            "file:///r/w/2.27.2%2B0.gd5006bf.dirty/a.json",
        ),
        ("https://h.example/a/doc.yaml", "api.yaml#/x", "https://h.example/a/api.yaml#/x"),
        ("file:///r/doc.yaml", "https://h.example/api.yaml", "https://h.example/api.yaml"),
    ],
)
def test_resolve_url_keeps_percent_encoding(base: str, ref: str, expected: str) -> None:
    assert resolve_url(base, ref) == expected


def test_url_to_path_percent_decodes() -> None:
    assert url_to_path("file:///r/v4%20-%20Hunt%20Valley/a.json") == Path(
        "/r/v4 - Hunt Valley/a.json"
    )
    assert url_to_path("file:///r/2.27.2%2B0.gd5006bf.dirty/a+b.json") == Path(
        "/r/2.27.2+0.gd5006bf.dirty/a+b.json"
    )
    assert url_to_path("file://localhost/r/a.json") == Path("/r/a.json")
    with pytest.raises(SourceError, match="not a file URL"):
        url_to_path("https://h.example/a.json")
    with pytest.raises(SourceError, match="remote host"):
        url_to_path("file://server/share/a.json")


# --- local files ----------------------------------------------------------------------------


def test_percent_encoded_source_reaches_a_file_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "v4 - Hunt Valley"
    folder.mkdir()
    (folder / "openapi.yaml").write_bytes(OPENAPI)
    doc_url = (tmp_path / "arazzo.yaml").as_uri()
    fetcher = Fetcher()
    located = fetcher.fetch_ref(doc_url, "./v4%20-%20Hunt%20Valley/openapi.yaml")
    assert located.data["openapi"] == "3.1.0"
    assert located.file == str(folder / "openapi.yaml")
    # the same file written with raw spaces is the same cache entry
    assert fetcher.fetch_ref(doc_url, "./v4 - Hunt Valley/openapi.yaml") is located


def test_cache_by_absolute_url_without_fragment(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_bytes(OPENAPI)
    fetcher = Fetcher()
    first = fetcher.fetch(path.as_uri())
    path.write_text("openapi: 3.0.0\n")  # not read again
    assert fetcher.fetch(path.as_uri() + "#/paths") is first
    assert fetcher.fetch(str(path)) is first
    assert Fetcher().fetch(path.as_uri()).data == {"openapi": "3.0.0"}


def test_errors_are_cached_too(tmp_path: Path) -> None:
    fetcher = Fetcher()
    url = (tmp_path / "later.yaml").as_uri()
    with pytest.raises(SourceError):
        fetcher.fetch(url)
    (tmp_path / "later.yaml").write_bytes(OPENAPI)
    with pytest.raises(SourceError, match="not found"):
        fetcher.fetch(url)


def test_arazzo_source_cycle_terminates_and_reads_each_file_once() -> None:
    fetcher = Fetcher()
    start = (DATA / "cycle-a.arazzo.yaml").as_uri()
    seen: dict[str, object] = {}
    todo = [start]
    while todo:  # what a workspace does: follow arazzo sources, skip what it has seen
        url = todo.pop()
        if url in seen:
            continue
        doc, diagnostics = build_document(fetcher.fetch(url), url)
        assert doc is not None and diagnostics == []
        seen[url] = doc
        todo += [resolve_url(url, s.url) for s in doc.source_descriptions if s.type == "arazzo"]
    assert sorted(Path(u).name for u in seen) == ["cycle-a.arazzo.yaml", "cycle-b.arazzo.yaml"]
    assert fetcher.fetch_ref(
        (DATA / "cycle-b.arazzo.yaml").as_uri(), "./cycle-a.arazzo.yaml"
    ) is fetcher.fetch(start)


def test_missing_file_names_the_path_and_the_url_as_written(tmp_path: Path) -> None:
    doc_url = (tmp_path / "doc.yaml").as_uri()
    with pytest.raises(SourceError) as caught:
        Fetcher().fetch_ref(doc_url, "./gone%20away.yaml")
    message = str(caught.value)
    assert str(tmp_path / "gone away.yaml") in message
    assert "`./gone%20away.yaml`" in message
    assert caught.value.hint is None


def test_repo_root_relative_source_gets_a_hint_but_is_not_loaded() -> None:
    doc = DATA / "repo" / "workflows" / "pets" / "pets.arazzo.yaml"
    with pytest.raises(SourceError) as caught:
        Fetcher().fetch_ref(doc.as_uri(), "./apis/petstore.yaml")
    error = caught.value
    assert str(doc.parent / "apis" / "petstore.yaml") in error.message
    assert error.hint is not None
    assert str(DATA / "repo") in error.hint
    assert "`../../apis/petstore.yaml`" in error.hint
    # and the suggestion is right
    assert Fetcher().fetch_ref(doc.as_uri(), "../../apis/petstore.yaml").data["openapi"] == "3.1.0"


def test_directory_and_size_limit(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="directory"):
        Fetcher().fetch(tmp_path.as_uri())
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 100 + b"\n")
    with pytest.raises(SourceError, match="over the 50-byte limit"):
        Fetcher(max_bytes=50).fetch(str(big))


def test_yaml_errors_pass_through_with_location(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as caught:
        Fetcher().fetch(str(DATA / "bad-syntax.yaml"))
    assert caught.value.line == 4


# --- schemes and offline --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://h.example/a.yaml", "data:text/plain,a", "urn:x:y"])
def test_other_schemes_are_refused_by_name(url: str) -> None:
    scheme = url.split(":", 1)[0]
    with pytest.raises(SourceError, match=f"unsupported URL scheme `{scheme}:`"):
        Fetcher().fetch(url)


def test_offline_refuses_remote_urls_without_touching_the_network() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the network was used")

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    with client, pytest.raises(SourceError, match=r"remote sources are disabled \(--offline\)"):
        Fetcher(offline=True, client=client).fetch("https://h.example/api.yaml")


# --- remote, against a real server on 127.0.0.1 ----------------------------------------------


async def ok(request: Request) -> Response:
    return PlainTextResponse(OPENAPI.decode(), media_type="application/yaml")


async def big_streamed(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"#" * 1024 + b"\n"

    return StreamingResponse(chunks(), media_type="application/yaml")


async def big_declared(request: Request) -> Response:
    return Response(b"#" * 5000, media_type="application/yaml")


async def slow(request: Request) -> Response:
    await asyncio.sleep(0.6)
    return PlainTextResponse("openapi: 3.1.0\n")


async def drip(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            await asyncio.sleep(0.03)
            yield b"#\n"

    return StreamingResponse(chunks(), media_type="application/yaml")


async def missing(request: Request) -> Response:
    return PlainTextResponse("no", status_code=404)


APP = Starlette(
    routes=[
        Route("/ok.yaml", ok),
        Route("/big", big_streamed),
        Route("/declared", big_declared),
        Route("/slow", slow),
        Route("/drip", drip),
        Route("/missing", missing),
    ]
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(APP) as url:
        yield url


def test_remote_fetch_and_cache(base_url: str) -> None:
    calls: list[str] = []
    client = httpx.Client(event_hooks={"request": [lambda r: calls.append(str(r.url))]})
    with client:
        fetcher = Fetcher(client=client)
        first = fetcher.fetch(base_url + "/ok.yaml")
        assert first.data["openapi"] == "3.1.0" and first.file == base_url + "/ok.yaml"
        assert fetcher.fetch(base_url + "/ok.yaml#/info") is first
    assert calls == [base_url + "/ok.yaml"]


def test_remote_fetch_without_a_client(base_url: str) -> None:
    assert Fetcher().fetch(base_url + "/ok.yaml").data["info"]["title"] == "t"


def test_remote_too_big_while_streaming(base_url: str) -> None:
    with pytest.raises(SourceError, match="larger than the 4096-byte limit"):
        Fetcher(max_bytes=4096).fetch(base_url + "/big")


def test_remote_too_big_by_content_length(base_url: str) -> None:
    with pytest.raises(SourceError, match="larger than the 1000-byte limit"):
        Fetcher(max_bytes=1000).fetch(base_url + "/declared")


def test_remote_read_timeout(base_url: str) -> None:
    with pytest.raises(SourceError, match="timed out after 0.2 s"):
        Fetcher(timeout=0.2).fetch(base_url + "/slow")


def test_remote_overall_deadline_on_a_slow_drip(base_url: str) -> None:
    with pytest.raises(SourceError, match="timed out after 0.3 s"):
        Fetcher(timeout=0.3).fetch(base_url + "/drip")


def test_remote_http_error_status(base_url: str) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        Fetcher().fetch(base_url + "/missing")


def test_remote_unreachable() -> None:
    import socket

    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError, match="cannot fetch"):
        Fetcher(timeout=2).fetch(f"http://127.0.0.1:{port}/x.yaml")


def test_parsed_local_files_are_shared_but_an_edit_is_read_again(tmp_path: Path) -> None:
    """Fetchers share parsed local files per process (keyed by path, mtime and size)."""
    from arazzo_runner.validation.rules import validate_path

    doc = tmp_path / "w.arazzo.yaml"
    doc.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: a, url: ./a.yaml}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: nope}]}]\n",
        encoding="utf-8",
    )
    api = tmp_path / "a.yaml"
    api.write_text("openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths: {}\n", encoding="utf-8")
    first, second = validate_path(str(doc)), validate_path(str(doc))
    assert first == second and [d.code for d in first] == ["unknown-operation"]
    api.write_text(
        "openapi: 3.1.0\ninfo: {title: a, version: '1'}\n"
        "paths: {/x: {get: {operationId: nope, responses: {'200': {description: ok}}}}}\n",
        encoding="utf-8",
    )
    assert validate_path(str(doc)) == []
