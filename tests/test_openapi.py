"""The OpenAPI 3.x index: versions, $ref resolution, operations, servers, security, schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from arazzo_runner._missing import MISSING
from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.openapi.index import OpenAPIIndex, Operation, load_openapi
from arazzo_runner.document.yaml_reader import LocatedDocument, load_file, load_text
from arazzo_runner.errors import SourceError

DATA = Path(__file__).parent / "data" / "openapi"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


class LocalFetch:
    """Loads file:// URLs from disk and remembers what it was asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, url: str) -> LocatedDocument:
        self.calls.append(url)
        path = Path(unquote(urlsplit(url).path))
        if not path.is_file():
            raise SourceError(f"no such file: {path}", file=str(path))
        return load_file(path)


def index_of(name: str) -> tuple[OpenAPIIndex, list[Diagnostic], LocalFetch]:
    fetch = LocalFetch()
    path = DATA / name
    index, diagnostics = load_openapi(load_file(path), path.resolve().as_uri(), fetch)
    return index, diagnostics, fetch


def op(index: OpenAPIIndex, operation_id: str) -> Operation:
    found = index.by_id(operation_id)
    assert found is not None, operation_id
    return found


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diagnostics)


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# -- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version"),
    [("petstore-3.0.yaml", "3.0.3"), ("streaming-3.1.yaml", "3.1.0"), ("events-3.2.yaml", "3.2.0")],
)
def test_supported_versions(name: str, version: str) -> None:
    index, diagnostics, _ = index_of(name)
    assert index.version == version
    assert index.operations
    assert not [d for d in diagnostics if d.severity is Severity.ERROR]


def test_swagger_2_is_an_error_and_an_empty_index() -> None:
    index, diagnostics, fetch = index_of("swagger-2.0.yaml")
    assert codes(diagnostics) == ["unsupported-openapi"]
    assert diagnostics[0].severity is Severity.ERROR
    assert "Swagger 2.0" in diagnostics[0].message
    assert diagnostics[0].line == 1
    assert index.operations == () and index.by_id("listPets") is None and index.version == ""
    assert fetch.calls == []


@pytest.mark.parametrize(
    "text",
    ["- a list\n", "openapi: 4.0.0\npaths: {}\n", "asyncapi: 3.0.0\n", "openapi: true\n"],
    ids=["not-a-mapping", "openapi-4", "asyncapi", "not-a-version"],
)
def test_other_documents_are_unsupported(text: str) -> None:
    index, diagnostics = load_openapi(load_text(text, "x.yaml"), "file:///x.yaml", LocalFetch())
    assert codes(diagnostics) == ["unsupported-openapi"]
    assert index.operations == ()


def test_unquoted_version_number_keeps_its_text() -> None:
    text = "openapi: 3.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get: {}\n"
    index, diagnostics = load_openapi(load_text(text, "x.yaml"), "file:///x.yaml", LocalFetch())
    assert index.version == "3.1" and diagnostics == []
    assert index.by_path("/a", "GET") is not None


# -- operations and lookups ------------------------------------------------------------------


def test_operations_in_document_order() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    found = [(o.method, o.path, o.operation_id) for o in index.operations]
    assert found == [
        ("get", "/pets", "listPets"),
        ("post", "/pets", "createPet"),
        ("get", "/pets/{petId}", "getPet"),
        ("delete", "/pets/{petId}", "listPets"),
        ("post", "/a~b/{model_name}", "runModel"),
        ("get", "/tree", "getTree"),
    ]


def test_duplicate_operation_id_warns_and_the_first_wins() -> None:
    index, diagnostics, _ = index_of("petstore-3.0.yaml")
    dup = [d for d in diagnostics if d.code == "duplicate-operation-id"]
    assert len(dup) == 1 and dup[0].severity is Severity.WARNING
    assert dup[0].pointer == "/paths/~1pets~1{petId}/delete/operationId"
    assert (dup[0].line, dup[0].column) == (98, 7)
    assert op(index, "listPets").method == "get"


def test_by_path_takes_the_template_as_written() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    assert op(index, "getPet") is index.by_path("/pets/{petId}", "GET")
    assert index.by_path("/pets/1", "get") is None
    assert index.by_path("/pets", "put") is None


def test_by_pointer() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    assert index.by_pointer("/paths/~1pets~1{petId}/get") is op(index, "getPet")
    assert index.by_pointer("/paths/~1a~0b~1{model_name}/post") is op(index, "runModel")
    assert index.by_pointer("/paths/~1pets~1%7BpetId%7D/get") is op(index, "getPet")
    path_item = index.by_pointer("/paths/~1pets")
    assert isinstance(path_item, list)
    assert [o.operation_id for o in path_item] == ["listPets", "createPet"]
    assert index.by_pointer("/paths/~1tree/get") is op(index, "getTree")  # via another file
    for miss in ("/paths/~1pets/put", "/components", "", "paths/~1pets/get"):
        assert index.by_pointer(miss) is None


def test_operation_location_and_pointer() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    get_pet = op(index, "getPet")
    assert get_pet.pointer == "/paths/~1pets~1{petId}/get"
    assert get_pet.loc is not None and (get_pet.loc.line, get_pet.loc.column) == (85, 5)
    tree = op(index, "getTree")
    assert tree.loc is not None and tree.loc.file.endswith("paths.yaml")


def test_operations_of_3_2_query_and_additional_operations() -> None:
    index, _, _ = index_of("events-3.2.yaml")
    assert op(index, "searchEvents").method == "query"
    link = op(index, "linkEvents")
    assert (link.method, link.pointer) == ("link", "/paths/~1events/additionalOperations/LINK")
    assert index.by_path("/events", "LINK") is link


def test_webhooks_are_not_operations() -> None:
    index, _, _ = index_of("streaming-3.1.yaml")
    assert index.by_id("doneHook") is None


# -- parameters ------------------------------------------------------------------------------


def test_path_item_parameters_merge_and_the_operation_wins() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    params = op(index, "listPets").parameters
    assert [(p.name, p.in_) for p in params] == [
        ("X-Trace-Id", "header"),
        ("limit", "query"),
        ("tags", "query"),
    ]
    limit = params[1]
    assert "description" not in limit.raw  # the path item's limit was replaced
    assert limit.schema == {"$ref": "#/components/schemas/PageSize"}  # kept as written
    assert (limit.style, limit.explode, limit.required) == ("form", True, False)
    assert (params[2].style, params[2].explode) == ("pipeDelimited", False)
    assert [p.name for p in op(index, "getPet").parameters] == ["petId"]


def test_parameter_defaults_and_extensions() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    model, session, mode = op(index, "runModel").parameters
    assert model.required and model.allow_reserved  # path: always required; x-allowReserved
    assert (model.style, model.explode) == ("simple", False)
    assert (session.style, session.explode, session.allow_reserved) == ("form", True, False)
    assert (mode.style, mode.explode) == ("simple", True)


def test_reference_summary_and_description_override_in_3_1() -> None:
    index, _, _ = index_of("streaming-3.1.yaml")
    (model,) = op(index, "generate").parameters
    assert model.raw["description"].startswith("the model to run")
    assert model.required and model.in_ == "query"
    assert op(index, "generate").responses["200"].description == "overridden description"


def test_a_header_parameter_overrides_case_insensitively() -> None:
    text = """openapi: 3.0.0
paths:
  /a:
    parameters: [{name: x-id, in: header}, {name: id, in: query}]
    get:
      parameters: [{name: X-ID, in: header, required: true}, {name: ID, in: query}]
"""
    index, _ = load_openapi(load_text(text, "a.yaml"), "file:///a.yaml", LocalFetch())
    found = [(p.name, p.in_, p.required) for p in index.operations[0].parameters]
    assert found == [("X-ID", "header", True), ("id", "query", False), ("ID", "query", False)]


# -- servers ---------------------------------------------------------------------------------


def test_servers_operation_then_path_item_then_root() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    assert [s.url for s in op(index, "createPet").servers] == ["http://localhost:8080"]
    assert [s.url for s in op(index, "listPets").servers] == ["/relative/pets-server"]
    root = op(index, "getPet").servers
    assert [s.url for s in root] == [
        "https://api.example.com/v1",
        "https://{region}.example.com/{base}",
    ]
    assert root[0].description == "Production"
    assert root[1].variables["region"] == {"default": "eu", "enum": ["eu", "us"]}
    assert root[1].raw["url"] == root[1].url


def test_default_server_is_slash() -> None:
    index, _, _ = index_of("streaming-3.1.yaml")
    assert [s.url for s in op(index, "generate").servers] == ["/"]


def test_empty_servers_list_falls_back() -> None:
    text = "openapi: 3.0.0\nservers: []\npaths:\n  /a:\n    servers: []\n    get: {servers: []}\n"
    index, _ = load_openapi(load_text(text, "a.yaml"), "file:///a.yaml", LocalFetch())
    assert [s.url for s in index.operations[0].servers] == ["/"]


# -- security --------------------------------------------------------------------------------


def test_security_requirements() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    assert op(index, "listPets").security == ({"apiKeyHeader": ()},)
    assert op(index, "createPet").security == ({"oauth": ("pets:write",), "bearer": ()},)
    assert op(index, "getPet").security == ()  # explicitly none
    events, _, _ = index_of("events-3.2.yaml")
    assert op(events, "searchEvents").security is None  # not declared anywhere


def test_security_schemes_of_every_type() -> None:
    index, diagnostics, _ = index_of("petstore-3.0.yaml")
    schemes = index.security_schemes
    assert sorted(schemes) == sorted(
        [
            "apiKeyHeader",
            "apiKeyQuery",
            "apiKeyCookie",
            "basic",
            "bearer",
            "falKey",
            "oauth",
            "oidc",
        ]
    )
    where = [(schemes[k].location, schemes[k].param_name) for k in ("apiKeyHeader", "apiKeyQuery")]
    assert where == [("header", "X-API-Key"), ("query", "api_key")]
    assert schemes["apiKeyCookie"].location == "cookie"
    assert (schemes["basic"].type, schemes["basic"].scheme) == ("http", "Basic")
    assert (schemes["bearer"].scheme, schemes["bearer"].bearer_format) == ("bearer", "JWT")
    assert sorted(schemes["oauth"].flows) == ["authorizationCode", "clientCredentials"]
    assert schemes["oauth"].flows["clientCredentials"]["tokenUrl"].endswith("/token")
    assert schemes["oidc"].open_id_connect_url is not None
    fal = schemes["falKey"]  # through a $ref into another file
    assert (fal.type, fal.param_name, fal.extensions) == (
        "apiKey",
        "Authorization",
        {"x-fal-prefix": "Key"},
    )
    assert "unknown-security-scheme" not in codes(diagnostics)
    streaming, _, _ = index_of("streaming-3.1.yaml")
    assert streaming.security_schemes["mtls"].type == "mutualTLS"
    assert op(streaming, "generate").security == ({"mtls": ()},)


def test_unknown_and_invalid_security_schemes_warn() -> None:
    text = """openapi: 3.1.0
security: [{nowhere: []}]
paths: {}
components:
  securitySchemes:
    weird: {type: password}
"""
    index, diagnostics = load_openapi(load_text(text, "a.yaml"), "file:///a.yaml", LocalFetch())
    assert codes(diagnostics) == ["invalid-security-scheme", "unknown-security-scheme"]
    assert all(d.severity is Severity.WARNING for d in diagnostics)
    assert dict(index.security_schemes) == {}


# -- bodies, responses, media types ----------------------------------------------------------


def test_request_body_resolved() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    create = op(index, "createPet")
    body = create.request_body
    assert body is not None and body.required
    assert list(body.content) == ["application/json", "application/x-www-form-urlencoded"]
    assert body.content["application/x-www-form-urlencoded"].encoding == {"tags": {"style": "form"}}
    assert "$ref" not in create.raw["requestBody"]
    assert create.raw["requestBody"]["required"] is True
    assert op(index, "listPets").request_body is None


def test_responses_headers_examples_and_external_files() -> None:
    index, _, fetch = index_of("petstore-3.0.yaml")
    list_pets = op(index, "listPets")
    ok = list_pets.responses["200"]
    assert ok.description == "A page of pets"
    assert ok.headers["X-Next"]["description"] == "link to the next page"
    media = ok.content["application/json"]
    assert media.examples["two"]["value"][0] == {"id": 1, "name": "Rex"}
    assert media.example is MISSING
    problem = list_pets.responses["default"]
    assert problem.description == "An RFC 9457 problem"
    assert list(problem.content) == ["application/problem+json"]
    assert list_pets.raw["responses"]["default"]["description"] == "An RFC 9457 problem"
    created = op(index, "createPet").responses["201"].content["application/json"]
    assert created.example == {"id": 7, "name": "Rex"}
    common = [u for u in fetch.calls if u.endswith("/shared/common.yaml")]
    assert len(common) == 1  # fetched once, however often it is referenced


def test_media_type_item_schema_and_extensions() -> None:
    events, _, _ = index_of("events-3.2.yaml")
    stream = op(events, "searchEvents").responses["200"].content["text/event-stream"]
    assert stream.schema is None
    assert stream.item_schema["properties"]["data"] == {"$ref": "#/components/schemas/Event"}
    resolved = events.resolve_schema(stream.item_schema)
    assert resolved["properties"]["data"]["properties"]["kind"] == {"type": "string"}
    streaming, _, _ = index_of("streaming-3.1.yaml")
    sse = op(streaming, "generate").responses["200"].content["text/event-stream"]
    assert sse.extensions == {"x-stream-until": "done"}


# -- broken references -----------------------------------------------------------------------


def test_broken_refs_are_diagnostics_with_locations() -> None:
    index, diagnostics, _ = index_of("broken-refs.yaml")
    broken = {d.pointer: d for d in diagnostics if d.code == "unresolved-ref"}
    expected = {
        "/components/parameters/LoopA/$ref": (27, 13),
        "/paths/~1things/get/parameters/0/$ref": (10, 17),
        "/paths/~1things/get/parameters/2/$ref": (12, 17),
        "/paths/~1things/get/responses/200/content/application~1json/schema/$ref": (21, 23),
        "/paths/~1gone/$ref": (23, 11),
    }
    for pointer, (line, column) in expected.items():
        assert (broken[pointer].line, broken[pointer].column) == (line, column), pointer
        assert broken[pointer].severity is Severity.ERROR
    assert sorted(broken) == sorted(expected)
    assert "missing-file.yaml" in broken["/paths/~1things/get/parameters/2/$ref"].message
    loops = [d for d in broken.values() if "loops" in d.message]
    assert len(loops) == 1
    things = op(index, "listThings")
    assert [p.name for p in things.parameters] == ["ok"]  # the broken ones are skipped
    assert index.by_path("/gone", "get") is None
    assert "invalid-security-scheme" in codes(diagnostics)


def test_a_fetch_failure_is_reported_once_and_not_retried() -> None:
    index, diagnostics, fetch = index_of("broken-refs.yaml")
    assert sum(1 for u in fetch.calls if u.endswith("missing-file.yaml")) == 1
    assert len([d for d in diagnostics if "missing-file.yaml" in d.message]) == 1


def test_data_that_looks_like_a_ref_is_left_alone() -> None:
    index, diagnostics, _ = index_of("petstore-3.0.yaml")
    assert "unresolved-ref" not in codes(diagnostics)
    assert len(index.operations) == 6


def test_ref_pointer_escapes_and_percent_decoding() -> None:
    text = """openapi: 3.0.0
paths:
  /a:
    get:
      parameters:
        - $ref: "#/components/parameters/a~1b~0c"
        - $ref: "#/components/parameters/with%20space"
        - $ref: "#/x-list/1"
components:
  parameters:
    a/b~c: {name: slash, in: query}
    with space: {name: space, in: query}
x-list:
  - {name: zero, in: query}
  - {name: one, in: query}
"""
    index, diagnostics = load_openapi(load_text(text, "a.yaml"), "file:///a.yaml", LocalFetch())
    assert diagnostics == []
    assert [p.name for p in index.operations[0].parameters] == ["slash", "space", "one"]


# -- schemas ---------------------------------------------------------------------------------


def test_recursive_schema_inlines_to_a_bounded_depth() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    schema = op(index, "getPet").responses["200"].content["application/json"].schema
    assert schema == {"$ref": "#/components/schemas/Pet"}
    resolved = index.resolve_schema(schema)
    assert not any(isinstance(v, dict) and "$ref" in v for v in walk(resolved))
    assert index.resolve_schema(schema) is resolved  # cached
    validator = jsonschema.Draft4Validator(resolved)
    assert validator.is_valid({"id": 1, "name": "Rex", "parent": {"id": 2, "name": "Tom"}})
    assert not validator.is_valid({"id": 1, "name": "Rex", "parent": {"id": "two", "name": "T"}})
    assert not validator.is_valid({"name": "no id"})
    assert not validator.is_valid({"id": 1, "name": "Rex", "default": {"name": 5}})


def test_schema_refs_resolve_against_their_own_file() -> None:
    index, _, _ = index_of("petstore-3.0.yaml")
    tree = op(index, "getTree").responses["200"].content["application/json"].schema
    resolved = index.resolve_schema(tree)  # "#/components/schemas/Node" means paths.yaml's
    validator = jsonschema.Draft4Validator(resolved)
    assert validator.is_valid({"name": "root", "children": [{"name": "leaf", "children": []}]})
    assert not validator.is_valid({"name": "root", "children": [{"children": []}]})
    limit = op(index, "listPets").parameters[1].schema
    assert index.resolve_schema(limit) == {"type": "integer", "minimum": 1, "maximum": 100}
    problem = op(index, "listPets").responses["default"].content["application/problem+json"]
    assert index.resolve_schema(problem.schema)["properties"]["title"] == {"type": "string"}


def test_schema_siblings_apply_from_3_1_and_booleans() -> None:
    index, _, _ = index_of("streaming-3.1.yaml")
    body = op(index, "generate").request_body
    assert body is not None
    schema = index.resolve_schema(body.content["application/json"].schema)
    assert schema == {"maxLength": 10, "allOf": [{"type": "string"}]}
    status = op(index, "status").responses["200"].content["application/json"].schema
    assert status is True and index.resolve_schema(status) == {}
    assert index.resolve_schema(False) == {"not": {}}
    petstore, _, _ = index_of("petstore-3.0.yaml")  # 3.0: siblings of $ref are ignored
    pet = petstore.resolve_schema({"$ref": "#/components/schemas/NewPet", "nullable": True})
    assert "nullable" not in pet and pet["required"] == ["name"]


def test_unresolvable_schema_ref_becomes_permissive() -> None:
    index, _, _ = index_of("broken-refs.yaml")
    assert index.resolve_schema({"$ref": "#/components/schemas/Nope"}) == {}


# -- performance and the corpus --------------------------------------------------------------


def _big_description(operations: int) -> str:
    """About 2.5 kB per operation, like real descriptions: prose, inline schemas, shared refs."""
    prose = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8
    props = "".join(
        f"                    f{j}: {{type: string, description: '{prose[:60]}'}}\n"
        for j in range(12)
    )
    chunks = []
    for i in range(operations):
        chunks.append(
            f"""  /r{i}/{{id}}:
    parameters: [{{$ref: '#/components/parameters/Id'}}]
    get:
      operationId: op{i}
      description: '{prose}'
      responses:
        '200': {{$ref: '#/components/responses/Ok'}}
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                nested: {{$ref: '#/components/schemas/S'}}
                inline:
                  type: object
                  properties:
{props}      responses: {{'201': {{description: created}}}}
"""
        )
    return f"""openapi: 3.1.0
paths:
{"".join(chunks)}components:
  parameters: {{Id: {{name: id, in: path, schema: {{type: string}}}}}}
  responses:
    Ok: {{description: ok, content: {{application/json: {{schema: {{type: object}}}}}}}}
  schemas: {{S: {{type: string}}}}
"""


def test_a_large_description_indexes_completely() -> None:
    """A 1 MB description indexes every operation (its speed is measured in bench/, not here)."""
    text = _big_description(420)
    assert len(text) > 1_000_000
    located = load_text(text, "big.yaml")
    index, diagnostics = load_openapi(located, "file:///big.yaml", LocalFetch())
    assert len(index.operations) == 840 and diagnostics == []
    assert op(index, "op419").parameters[0].name == "id"


def _corpus_openapi() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            head = path.read_text(encoding="utf-8", errors="replace")[:2000]
            if "openapi" in head or "swagger" in head:
                found.append(path)
    return found


@pytest.mark.corpus
def test_every_corpus_openapi_description_indexes() -> None:
    paths = _corpus_openapi()
    if not paths:
        pytest.skip("the shared corpus is not available")
    indexed = 0
    for path in paths:
        try:
            located = load_file(path)
        except Exception:  # not our concern here: the YAML reader has its own tests
            continue
        data = located.data
        if not isinstance(data, dict) or not ({"openapi", "swagger"} & data.keys()):
            continue
        index, diagnostics = load_openapi(located, path.as_uri(), LocalFetch())
        assert index.version.startswith("3."), path
        assert not [d for d in diagnostics if d.code == "unresolved-ref"], path
        for operation in index.operations:
            assert index.by_pointer(operation.pointer) is operation
            for response in operation.responses.values():
                for media in response.content.values():
                    index.resolve_schema(media.schema)
        indexed += 1
    assert indexed >= 50


def test_refs_resolve_against_the_referring_url_through_fetch() -> None:
    files = {
        "https://api.example.com/common/my%20types.yaml": (
            "components:\n  parameters:\n    P: {$ref: 'deeper/q.yaml#/Q'}\n"
        ),
        "https://api.example.com/common/deeper/q.yaml": "Q: {name: q, in: query}\n",
        "https://api.example.com/specs/other%20dir/x.yaml": "R: {name: r, in: header}\n",
    }
    asked: list[str] = []

    def fetch(url: str) -> LocatedDocument:
        asked.append(url)
        if url not in files:
            raise SourceError(f"not found: {url}")
        return load_text(files[url], url)

    text = """openapi: 3.1.0
paths:
  /a:
    get:
      parameters:
        - $ref: "../common/my%20types.yaml#/components/parameters/P"
        - $ref: "other dir/x.yaml#/R"
"""
    url = "https://api.example.com/specs/root.yaml#ignored"
    index, diagnostics = load_openapi(load_text(text, "root.yaml"), url, fetch)
    assert diagnostics == []
    assert index.url == "https://api.example.com/specs/root.yaml"
    assert [p.name for p in index.operations[0].parameters] == ["q", "r"]
    assert sorted(asked) == sorted(files)
