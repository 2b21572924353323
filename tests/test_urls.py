"""Path templates, server URLs and URL joining."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from arazzo_runner.errors import DocumentError, InputError
from arazzo_runner.wire.serialize import serialize_parameter
from arazzo_runner.wire.urls import compile_path, join_url, server_url


def test_compile_path_lists_params_and_formats() -> None:
    template = compile_path("/stores/{storeId}/items/{itemId}.{format}")
    assert template.params == ("storeId", "itemId", "format")
    path = template.format({"storeId": "s%201", "itemId": "42", "format": "json"})
    assert path == "/stores/s%201/items/42.json"


def test_compile_path_is_cached() -> None:
    assert compile_path("/a/{b}") is compile_path("/a/{b}")


def test_template_without_params() -> None:
    template = compile_path("/health")
    assert template.params == ()
    assert template.format({}) == "/health"


def test_missing_path_param_names_it() -> None:
    template = compile_path("/items/{itemId}")
    with pytest.raises(InputError, match="'itemId'") as info:
        template.format({"other": "1"})
    assert "/None" not in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("bad", ["/a/{b", "/a/b}", "/a/{}", "/a/{b}/{b}", "/{a{b}}"])
def test_malformed_templates_are_document_errors(bad: str) -> None:
    with pytest.raises(DocumentError):
        compile_path(bad)


def test_match_reads_values_back() -> None:
    template = compile_path("/users/{id}/posts/{post}")
    assert template.match("/users/7/posts/a%2Fb") == {"id": "7", "post": "a%2Fb"}
    assert template.match("/users/7/posts/a/b") is None
    assert template.match("/users/7") is None


def test_fal_model_name_with_slashes_reaches_the_right_url() -> None:
    definition = {"name": "model_name", "in": "path", "x-allowReserved": True}
    values = dict(serialize_parameter(definition, "fal-ai/flux/schnell"))
    path = compile_path("/{model_name}").format(values)
    url = join_url(server_url({"url": "https://queue.fal.run"}), path)
    assert url == "https://queue.fal.run/fal-ai/flux/schnell"
    assert httpx.URL(url).path == "/fal-ai/flux/schnell"


SERVER = {
    "url": "https://{region}.api.example.com:{port}/{basePath}/",
    "variables": {
        "region": {"default": "eu", "enum": ["eu", "us"]},
        "port": {"default": "443"},
        "basePath": {"default": "v2"},
    },
}


def test_server_variable_defaults() -> None:
    assert server_url(SERVER) == "https://eu.api.example.com:443/v2"


def test_server_variable_override() -> None:
    got = server_url(SERVER, {"region": "us", "basePath": "beta/v3"})
    assert got == "https://us.api.example.com:443/beta/v3"


def test_server_variable_enum_violation() -> None:
    with pytest.raises(InputError, match="region.*'mars'.*eu, us"):
        server_url(SERVER, {"region": "mars"})


def test_server_variable_without_value() -> None:
    with pytest.raises(InputError, match="'tenant'"):
        server_url({"url": "https://{tenant}.example.com"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/v1", "https://docs.example.com/v1"),
        ("v1/", "https://docs.example.com/specs/v1"),
        ("/", "https://docs.example.com"),
        (".", "https://docs.example.com/specs"),
        ("//cdn.example.org/api", "https://cdn.example.org/api"),
        ("http://other.example.net/api/", "http://other.example.net/api"),
    ],
)
def test_relative_server_url_resolves_against_the_document(url: str, expected: str) -> None:
    base = "https://docs.example.com/specs/openapi.yaml"
    assert server_url({"url": url}, base=base) == expected


def test_relative_server_url_without_base_stays_relative() -> None:
    assert server_url({"url": "/api/"}) == "/api"


def test_server_without_url_is_a_document_error() -> None:
    with pytest.raises(DocumentError):
        server_url({"description": "no url"})


def test_join_url() -> None:
    assert join_url("https://h.example/api/", "/items") == "https://h.example/api/items"
    assert join_url("https://h.example/api", "items") == "https://h.example/api/items"
    pairs = [("a", "1"), ("b", "x%20y")]
    assert join_url("https://h.example", "/s", pairs) == "https://h.example/s?a=1&b=x%20y"
    assert join_url("https://h.example/?k=v", "", pairs) == "https://h.example/?k=v&a=1&b=x%20y"


def test_joined_url_survives_httpx_unchanged() -> None:
    definition = {"name": "q", "in": "query", "style": "pipeDelimited", "explode": False}
    pairs = serialize_parameter(definition, ["a b", "c|d"])
    url = join_url("https://h.example", "/search", pairs)
    assert str(httpx.URL(url)) == url
    assert url.endswith("?q=a%20b%7Cc%7Cd")
    assert httpx.URL(url).params["q"] == "a b|c|d"  # pipeDelimited cannot tell data from delimiter


def test_a_built_request_reaches_a_real_server_intact() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.support.asgi_server import serve

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "raw_path": request.scope["raw_path"].decode(),
                "model": request.path_params["model"],
                "query": list(request.query_params.multi_items()),
                "cookies": dict(request.cookies),
                "note": request.headers["x-note"],
            }
        )

    app = Starlette(routes=[Route("/run/{model:path}", echo)])
    params: list[tuple[dict[str, Any], Any]] = [
        ({"name": "model", "in": "path", "x-allowReserved": True}, "fal-ai/flux/schnell"),
        ({"name": "ids", "in": "query"}, [1, 2]),
        ({"name": "q", "in": "query"}, "a b&c=d"),
        ({"name": "f", "in": "query", "style": "deepObject", "explode": True}, {"k": "v"}),
        ({"name": "session", "in": "cookie"}, "s 1;x"),
        ({"name": "X-Note", "in": "header"}, ["a", "b"]),
    ]
    parts = {p["name"]: serialize_parameter(p, v) for p, v in params}
    path = compile_path("/run/{model}").format(dict(parts["model"]))
    with serve(app) as base:
        query = parts["ids"] + parts["q"] + parts["f"]
        url = join_url(server_url({"url": "/"}, base=base + "/openapi.json"), path, query)
        cookie = "; ".join(f"{k}={v}" for k, v in parts["session"])
        headers = {"Cookie": cookie, **dict(parts["X-Note"])}
        got = httpx.get(url, headers=headers, timeout=5).json()
    assert got["raw_path"] == "/run/fal-ai/flux/schnell"
    assert got["model"] == "fal-ai/flux/schnell"
    assert got["query"] == [["ids", "1"], ["ids", "2"], ["q", "a b&c=d"], ["f[k]", "v"]]
    assert got["cookies"] == {"session": "s%201%3Bx"}  # cookie values stay percent-encoded
    assert got["note"] == "a,b"
