"""The mock's data: generated values, media examples, SSE events, and how a request chooses.

Unit level (no server): :mod:`arazzo_runner.mock.examples`, :mod:`~arazzo_runner.mock.events`
and :mod:`~arazzo_runner.mock.choice`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import pytest

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi.index import MediaTypeSpec, OpenAPIIndex, load_openapi
from arazzo_runner.document.yaml_reader import LocatedDocument, load_text
from arazzo_runner.errors import SourceError
from arazzo_runner.mock.checks import RequestParts
from arazzo_runner.mock.choice import choose_example, parse_prefer, pick_response, text_of
from arazzo_runner.mock.events import MockEvent, events_for, frame, paced
from arazzo_runner.mock.examples import generate, media_example
from arazzo_runner.streaming.sse import SSEDecoder


def _no_fetch(url: str) -> LocatedDocument:
    raise SourceError(f"unexpected fetch of {url}")


def index_from(text: str) -> OpenAPIIndex:
    index, diagnostics = load_openapi(load_text(text, "mem.yaml"), "file:///mem.yaml", _no_fetch)
    assert not [d for d in diagnostics if d.severity.name == "ERROR"], diagnostics
    return index


def stream_media(index: OpenAPIIndex, operation_id: str = "s") -> MediaTypeSpec:
    operation = index.by_id(operation_id)
    assert operation is not None
    return operation.responses["200"].content["text/event-stream"]


def decoded(events: list[MockEvent]) -> list[tuple[str, str]]:
    """The events as an SSE client sees them: (type, data)."""
    decoder = SSEDecoder()
    wire = b"".join(frame(e) for e in events)
    return [(e.event, e.data) for e in decoder.feed(wire) + decoder.close()]


# --------------------------------------------------------------------------- generate()
@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"const": "x", "example": "y"}, "x"),
        ({"type": "string", "example": "y", "default": "z"}, "y"),
        ({"type": "integer", "examples": [7, 8], "default": 1}, 7),
        ({"type": "integer", "default": 3}, 3),
        ({"type": "string", "enum": ["b", "a"]}, "b"),
        ({"type": "boolean"}, True),
        ({"type": "null"}, None),
        ({"type": ["null", "string"]}, "string"),
        ({"type": "string", "minLength": 9}, "stringxxx"),
        ({"type": "string", "maxLength": 3}, "str"),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "maximum": -2}, -2),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "integer", "minimum": 5, "exclusiveMinimum": True}, 6),  # OpenAPI 3.0
        ({"type": "number", "exclusiveMaximum": 0}, -0.5),
        ({"type": "integer", "minimum": 1, "multipleOf": 4}, 4),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 3}, [0, 0, 0]),
        ({"type": "array", "items": {"type": "string"}, "maxItems": 0}, []),
        ({"prefixItems": [{"const": 1}, {"type": "string"}], "type": "array"}, [1, "string"]),
        ({"items": {"type": "boolean"}}, [True]),
        ({"properties": {"a": {"type": "integer"}}}, {"a": 0}),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 0),
        ({"anyOf": [{"const": "first"}, {"type": "string"}]}, "first"),
        (
            {
                "allOf": [
                    {"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "string"}}},
                ]
            },
            {"a": 0, "b": "string"},
        ),
        ({"allOf": [{"type": "string"}, {"minLength": 2}]}, "string"),
        ({}, None),
        ("not a schema", None),
    ],
)
def test_generate_follows_the_schema(schema: Any, expected: Any) -> None:
    assert generate(schema) == expected


@pytest.mark.parametrize(
    "fmt", ["date-time", "date", "time", "email", "ipv4", "ipv6", "uri", "uuid", "hostname"]
)
def test_generated_strings_are_valid_for_their_format(fmt: str) -> None:
    schema = {"type": "string", "format": fmt}
    value = generate(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert isinstance(value, str) and value != "string"
    jsonschema.validate(value, schema, format_checker=checker)


def test_unknown_format_is_a_plain_string() -> None:
    assert generate({"type": "string", "format": "x-custom"}) == "string"


PET = {
    "type": "object",
    "required": ["id", "name", "tags"],
    "properties": {
        "id": {"type": "integer", "format": "int64", "minimum": 1},
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "status": {"type": "string", "enum": ["available", "sold"]},
        "price": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "owner": {
            "type": ["object", "null"],
            "properties": {"email": {"type": "string", "format": "email"}},
            "required": ["email"],
        },
        "born": {"type": "string", "format": "date"},
        "kind": {"oneOf": [{"const": "dog"}, {"const": "cat"}]},
    },
}


def test_generated_objects_validate_against_their_schema() -> None:
    value = generate(PET)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.validate(value, PET, format_checker=checker)
    assert set(value) == set(PET["properties"])  # optional properties near the top too


def test_deep_objects_keep_only_their_required_properties() -> None:
    leaf = {"properties": {"opt": {"type": "string"}, "req": {"type": "integer"}}}
    leaf["required"] = ["req"]
    schema = {"properties": {"a": {"properties": {"b": leaf}}}}
    assert generate(schema) == {"a": {"b": {"req": 0}}}


def test_recursive_schemas_end() -> None:
    node: dict[str, Any] = {"type": "object", "required": ["child"]}
    node["properties"] = {"child": node, "name": {"type": "string"}}  # a cycle in memory
    value = generate(node)
    depth = 0
    while isinstance(value, dict):
        value, depth = value["child"], depth + 1
    assert 2 <= depth <= 12 and value is None


def test_recursive_refs_resolved_by_the_index_end() -> None:
    index = index_from(
        """
openapi: 3.1.0
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Tree:
      type: object
      required: [value, children]
      properties:
        value: {type: integer, minimum: 3}
        children: {type: array, items: {$ref: '#/components/schemas/Tree'}}
"""
    )
    value = generate(index.resolve_schema({"$ref": "#/components/schemas/Tree"}))
    assert value["value"] == 3
    assert isinstance(value["children"], list) and json.dumps(value)


# --------------------------------------------------------------------------- media_example()
def test_media_example_prefers_example_then_the_first_unconditional_examples_entry() -> None:
    examples = {
        "forFlux": {"value": "flux", "x-arazzo-mock-when": {"model_name": "flux/schnell"}},
        "plain": {"value": "plain"},
        "other": {"value": "other"},
    }
    assert media_example(MediaTypeSpec(example={"a": 1}, examples=examples)) == {"a": 1}
    assert media_example(MediaTypeSpec(examples=examples)) == "plain"
    assert media_example(MediaTypeSpec(examples={"ext": {"externalValue": "x.json"}})) is MISSING
    assert media_example(MediaTypeSpec()) is MISSING
    assert media_example(MediaTypeSpec(example=None)) is None  # null is an example


# --------------------------------------------------------------------------- events
EVENTS_DOC = """
openapi: {version}
info: {{title: t, version: '1'}}
paths:
  /s:
    get:
      operationId: s
      responses:
        '200':
          description: ok
          content:
            text/event-stream:
{media}
components:
  schemas:
    Chunk:
      type: object
      required: [output, partial]
      properties:
        output: {{type: string, example: Hello}}
        partial: {{type: boolean}}
"""


def media_of(media: str, version: str = "3.1.0") -> tuple[OpenAPIIndex, MediaTypeSpec]:
    indented = "\n".join("              " + line for line in media.strip("\n").splitlines())
    index = index_from(EVENTS_DOC.format(version=version, media=indented))
    return index, stream_media(index)


def test_x_arazzo_mock_events_are_sent_in_order_with_their_pacing() -> None:
    index, media = media_of(
        """
x-arazzo-mock-events:
  - {event: event, data: {output: "He", partial: true}, delayMs: 30}
  - {data: plain text, id: '7', retry: 2500}
  - {data: "two\\nlines", delayMs: -5}
  - {event: done, data: {output: Hello, partial: false}, delayMs: 12.5}
example: "data: ignored\\n\\n"
"""
    )
    events = events_for(index, media)
    assert [e.delay for e in events] == [0.03, 0.0, 0.0, 0.0125]
    assert (events[1].id, events[1].retry) == ("7", 2500)
    assert decoded(events) == [
        ("event", '{"output": "He", "partial": true}'),
        ("message", "plain text"),
        ("message", "two\nlines"),
        ("done", '{"output": "Hello", "partial": false}'),
    ]


def test_an_sse_text_example_is_parsed_into_its_events() -> None:
    index, media = media_of(
        r"""
example: ": hello\nevent: event\ndata: {\"n\": 1}\n\ndata: a\ndata: b\n\nid: 3\ndata: c\n\n"
"""
    )
    events = events_for(index, media)
    assert decoded(events) == [("event", '{"n": 1}'), ("message", "a\nb"), ("message", "c")]
    assert events[2].id == "3" and all(e.delay == 0 for e in events)


def test_openapi_3_2_item_schema_makes_one_event_with_content_schema_data() -> None:
    index, media = media_of(
        """
itemSchema:
  type: object
  required: [data]
  properties:
    event: {const: chunk}
    data:
      type: string
      contentMediaType: application/json
      contentSchema: {$ref: '#/components/schemas/Chunk'}
""",
        version="3.2.0",
    )
    assert media.item_schema is not None
    (event,) = events_for(index, media)
    assert event.event == "chunk"
    assert json.loads(event.data) == {"output": "Hello", "partial": True}


def test_x_item_schema_in_3_1_without_content_schema() -> None:
    index, media = media_of(
        """
x-itemSchema:
  type: object
  properties:
    data: {type: string, example: tick}
"""
    )
    assert decoded(events_for(index, media)) == [("message", "tick")]


def test_without_events_or_examples_the_schema_gives_one_event() -> None:
    index, media = media_of("schema: {$ref: '#/components/schemas/Chunk'}")
    assert decoded(events_for(index, media)) == [
        ("message", '{"output": "Hello", "partial": true}')
    ]


def test_a_chosen_example_brings_its_own_events() -> None:
    index, media = media_of(
        """
x-arazzo-mock-events: [{data: default}]
examples:
  image:
    x-arazzo-mock-when: {model: image}
    value: "data: from the text\\n\\n"
    x-arazzo-mock-events:
      - {data: {progress: 0.5}, delayMs: 10}
      - {data: {images: []}}
  text:
    value: "event: e\\ndata: from the text\\n\\n"
  json:
    value: {a: 1}
"""
    )
    assert decoded(events_for(index, media)) == [("message", "default")]
    image, text, as_json = (media.examples[n] for n in ("image", "text", "json"))
    assert decoded(events_for(index, media, image)) == [
        ("message", '{"progress": 0.5}'),
        ("message", '{"images": []}'),
    ]
    assert decoded(events_for(index, media, text)) == [("e", "from the text")]
    assert decoded(events_for(index, media, as_json)) == [("message", '{"a": 1}')]


def test_frame_writes_every_line_of_data_and_ends_with_a_blank_line() -> None:
    wire = frame(MockEvent(data="a\r\nb\rc", event="x", id="1", retry=10))
    assert wire == b"event: x\nid: 1\nretry: 10\ndata: a\ndata: b\ndata: c\n\n"


def test_paced_waits_before_each_event_as_declared() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def collect() -> list[bytes]:
        events = [MockEvent("1", delay=0.2), MockEvent("2"), MockEvent("3", delay=0.05)]
        return [chunk async for chunk in paced(events, sleep)]

    chunks = asyncio.run(collect())
    assert chunks == [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
    assert waits == [0.2, 0.05]


# --------------------------------------------------------------------------- choice
def parts(path: dict[str, str] | None = None, **query: str) -> RequestParts:
    return RequestParts(
        path=path or {},
        query=lambda name: [query[name]] if name in query else [],
        header={"x-mode": "fast"},
        cookie={"session": "s1"},
        body=b"",
        content_type=None,
    )


def test_parse_prefer_reads_code_and_example_from_one_or_more_headers() -> None:
    assert parse_prefer([]).code is None
    prefer = parse_prefer(['code=404, example="notFound"', "code=500"])
    assert (prefer.code, prefer.example) == ("404", "notFound")
    assert parse_prefer(["respond-async, wait=5"]).code is None


def test_pick_response_by_status() -> None:
    index = index_from(
        """
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a:
    get:
      operationId: a
      responses:
        '204': {description: none}
        '201': {description: made}
        4XX: {description: client}
        default: {description: other}
  /b:
    get:
      operationId: b
      responses:
        default: {description: other}
"""
    )
    a, b = index.by_id("a"), index.by_id("b")
    assert a is not None and b is not None
    assert pick_response(a, None) == (201, a.responses["201"])
    assert pick_response(a, "204") == (204, a.responses["204"])
    assert pick_response(a, "418") == (418, a.responses["4XX"])
    assert pick_response(a, "503") == (503, a.responses["default"])
    assert pick_response(b, None) == (200, b.responses["default"])
    assert pick_response(a, "abc") is None and pick_response(a, "99") is None


def test_choose_example_by_prefer_then_by_matching_parameters() -> None:
    flux = {"value": 1, "x-arazzo-mock-when": {"model_name": "flux/schnell"}}
    either = {"value": 2, "x-arazzo-mock-when": {"tier": ["gold", "silver"], "x-mode": "fast"}}
    cookie = {"value": 3, "x-arazzo-mock-when": {"session": "s1"}}
    media = MediaTypeSpec(examples={"flux": flux, "either": either, "cookie": cookie})
    assert choose_example(media, parts({"model_name": "flux/schnell"}), None) is flux
    assert choose_example(media, parts({"model_name": "flux/schnell"}), "cookie") is cookie
    assert choose_example(media, parts(tier="silver"), None) is either
    assert choose_example(media, parts(tier="bronze"), None) is cookie
    plain = MediaTypeSpec(examples={"flux": flux})
    assert choose_example(plain, parts({"model_name": "any-llm"}), None) is None
    assert choose_example(plain, parts(), "nope") is None


def test_text_of_values_as_they_read_in_a_request() -> None:
    assert [text_of(v) for v in ("a", 1, 2.5, True, False, None)] == [
        "a",
        "1",
        "2.5",
        "true",
        "false",
        "null",
    ]
