"""Request bodies: content-type choice, encoding per media type, replacements."""

from __future__ import annotations

import json
import math
from email.message import MIMEPart
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, cast
from urllib.parse import parse_qsl

import pytest
from defusedxml.ElementTree import fromstring

from arazzo_runner.errors import InputError
from arazzo_runner.wire.bodies import (
    ENCODERS,
    apply_replacements,
    choose_content_type,
    encode_body,
    media_type,
)

# --- choose_content_type (B1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "explicit", "expected"),
    [
        (["application/json"], "application/xml", "application/xml"),
        (["application/xml", "application/json"], None, "application/json"),
        (
            ["application/xml", "application/json; charset=utf-8"],
            None,
            "application/json; charset=utf-8",
        ),
        (["multipart/form-data", "application/x-www-form-urlencoded"], None, "multipart/form-data"),
        (["text/plain"], None, "text/plain"),
        ([], None, None),
        ([], "text/csv", "text/csv"),
    ],
)
def test_choose_content_type(declared: list[str], explicit: str | None, expected: str) -> None:
    assert choose_content_type(declared, explicit) == expected


def test_media_type_essence() -> None:
    assert media_type("Application/JSON ; charset=UTF-8") == "application/json"
    assert media_type(None) == ""


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["application/json", "application/problem+json"])
def test_json_object(ctype: str) -> None:
    body, sent = encode_body({"name": "Café", "n": [1, 2.5, None, True]}, ctype)
    assert sent == ctype
    assert json.loads(body) == {"name": "Café", "n": [1, 2.5, None, True]}


def test_json_text_is_sent_unchanged_when_it_parses() -> None:
    text = '{ "a" : 1 }'
    assert encode_body(text, "application/json") == (text.encode(), "application/json")


def test_json_scalar_string_that_is_not_json_explains_the_quoting_trap() -> None:
    bnpl = '{"customer": "{"firstName": "Ada"}", "amount": 3}'
    with pytest.raises(InputError, match="not valid JSON") as info:
        encode_body(bnpl, "application/json")
    assert info.value.hint is not None and "object inside a JSON string" in info.value.hint


def test_json_nan_is_refused() -> None:
    with pytest.raises(InputError, match="cannot be written as JSON"):
        encode_body({"x": math.nan}, "application/json")


def test_no_content_type_defaults() -> None:
    assert encode_body({"a": 1}, None) == (b'{"a": 1}', "application/json")
    assert encode_body("hi", None) == (b"hi", "text/plain; charset=utf-8")
    assert encode_body(b"\x00", None) == (b"\x00", "application/octet-stream")


# --- form-urlencoded -------------------------------------------------------------------------


def test_form_object_is_encoded() -> None:
    ctype = "application/x-www-form-urlencoded"
    body, sent = encode_body({"q": "a b&c", "tag": ["x", "y"], "ok": True, "none": None}, ctype)
    assert sent == ctype
    assert parse_qsl(body.decode(), keep_blank_values=True) == [
        ("q", "a b&c"),
        ("tag", "x"),
        ("tag", "y"),
        ("ok", "true"),
    ]


def test_form_string_is_sent_unchanged() -> None:
    text = "grant_type=client_credentials&scope=read%20write"
    assert encode_body(text, "application/x-www-form-urlencoded")[0] == text.encode()


# --- multipart -------------------------------------------------------------------------------


def _parse_multipart(body: bytes, ctype: str) -> list[MIMEPart]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    assert message.is_multipart()
    assert not message.defects
    return list(message.iter_parts())


def test_multipart_parts_parse_back() -> None:
    payload = {
        "prompt": "a cat",
        "steps": 4,
        "image": b"\x89PNG\r\n--not-a-boundary\r\n\x00",
        "tags": ["x", "y"],
        "options": {"seed": 1},
        'we"ird': "v",
    }
    body, ctype = encode_body(payload, "multipart/form-data")
    assert ctype.startswith("multipart/form-data; boundary=")
    parts = _parse_multipart(body, ctype)
    names = [p.get_param("name", header="content-disposition") for p in parts]
    assert names == ["prompt", "steps", "image", "tags", "tags", "options", "we%22ird"]
    values = [p.get_payload(decode=True) for p in parts]
    assert values[:2] == [b"a cat", b"4"]
    assert values[2] == payload["image"]
    assert parts[2].get_filename() == "image"
    assert parts[2].get_content_type() == "application/octet-stream"
    assert values[3:5] == [b"x", b"y"]
    assert parts[5].get_content_type() == "application/json"
    assert json.loads(cast(bytes, values[5])) == {"seed": 1}


def test_multipart_boundaries_are_fresh() -> None:
    first = encode_body({"a": "1"}, "multipart/form-data")[1]
    second = encode_body({"a": "1"}, "multipart/form-data")[1]
    assert first != second


def test_multipart_text_payload_passes_through() -> None:
    ctype = "multipart/form-data; boundary=xyz"
    raw = '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n'
    assert encode_body(raw, ctype) == (raw.encode(), ctype)


# --- text, XML, bytes -------------------------------------------------------------------------


def test_text_uses_the_declared_charset() -> None:
    assert encode_body("café", "text/plain; charset=latin-1")[0] == "café".encode("latin-1")
    assert encode_body("café", "text/csv")[0] == "café".encode()
    assert encode_body(42, "text/plain")[0] == b"42"


def test_text_with_unknown_charset() -> None:
    with pytest.raises(InputError, match="cannot encode"):
        encode_body("x", "text/plain; charset=no-such-charset")


@pytest.mark.parametrize("ctype", ["application/xml", "text/xml", "application/atom+xml"])
def test_xml_text_as_is(ctype: str) -> None:
    xml = "<a><b>1</b></a>"
    assert encode_body(xml, ctype) == (xml.encode(), ctype)
    assert encode_body(xml.encode(), ctype)[0] == xml.encode()


def test_xml_from_object_is_refused() -> None:
    with pytest.raises(InputError, match="must be text"):
        encode_body({"a": 1}, "application/xml")


def test_bytes_and_unknown_types() -> None:
    assert encode_body(b"\x01\x02", "application/octet-stream") == (
        b"\x01\x02",
        "application/octet-stream",
    )
    assert encode_body("é", "application/vnd.custom")[0] == "é".encode()
    assert encode_body(None, "image/png")[0] == b""


def test_encoders_table_can_be_extended() -> None:
    def yaml_like(payload: Any, ctype: str) -> tuple[bytes, str]:
        return f"value: {payload}".encode(), ctype

    table = {**ENCODERS, "application/yaml": yaml_like}
    assert encode_body(3, "application/yaml", table) == (b"value: 3", "application/yaml")


# --- JSON Pointer replacements (B4) -----------------------------------------------------------


def test_pointer_set_append_and_index_without_mutating() -> None:
    payload = {"pet": {"tags": ["a"], "name": "x"}, "a/b": {"~": 0}}
    result = apply_replacements(
        payload,
        "application/json",
        [("/pet/name", "Rex"), ("/pet/tags/-", "b"), ("/pet/tags/0", "z"), ("/a~1b/~0", 1)],
    )
    assert result == {"pet": {"tags": ["z", "b"], "name": "Rex"}, "a/b": {"~": 1}}
    assert payload == {"pet": {"tags": ["a"], "name": "x"}, "a/b": {"~": 0}}


def test_pointer_value_is_copied() -> None:
    value = {"deep": [1]}
    result = apply_replacements({}, None, [("/v", value)])
    result["v"]["deep"].append(2)
    assert value == {"deep": [1]}


def test_pointer_root_replaces_the_payload() -> None:
    assert apply_replacements({"a": 1}, "application/json", [("", [1])]) == [1]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/missing/child", "'/missing/child'.*'missing' does not exist"),
        ("/list/5", "no array index '5'"),
        ("/list/01", "no array index '01'"),
        ("/list/x/y", "no array index 'x'"),
        ("/n/x", "parent is not an object or array"),
        ("no-slash", "not a JSON Pointer"),
    ],
)
def test_pointer_errors_name_the_target(target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        apply_replacements({"list": [1], "n": 3}, "application/json", [(target, 1)])


def test_json_text_payload_is_parsed_and_rewritten() -> None:
    result = apply_replacements('{"a": [1]}', "application/json", [("/a/-", {"b": True})])
    assert isinstance(result, str)
    assert json.loads(result) == {"a": [1, {"b": True}]}
    raw = apply_replacements(b'{"a": 1}', "application/json", [("/a", 2)])
    assert isinstance(raw, bytes) and json.loads(raw) == {"a": 2}


def test_json_text_that_does_not_parse() -> None:
    with pytest.raises(InputError, match="not JSON"):
        apply_replacements("{oops", "application/json", [("/a", 1)])


def test_no_replacements_returns_payload() -> None:
    payload = {"a": 1}
    assert apply_replacements(payload, "application/json", []) is payload


# --- XPath replacements ----------------------------------------------------------------------

ORDER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<order xmlns:p="urn:pets"><id>1</id><p:pet kind="dog">Rex<x/></p:pet>'
    "<item>a</item><item>b</item></order>"
)


def test_xpath_sets_text_and_attributes() -> None:
    result = apply_replacements(
        ORDER,
        "application/xml",
        [("/order/id", 42), ("//p:pet/@kind", "cat"), ("/order/p:pet", "Tom"), ("//item", True)],
    )
    assert isinstance(result, str)
    assert result.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = fromstring(result.encode())
    assert root.findtext("id") == "42"
    pet = root.find("{urn:pets}pet")
    assert pet is not None and pet.get("kind") == "cat" and pet.text == "Tom" and len(pet) == 0
    assert [i.text for i in root.findall("item")] == ["true", "true"]


def test_xpath_text_node_target_and_bytes_payload() -> None:
    result = apply_replacements(b"<a><b>1</b></a>", "text/xml", [("/a/b/text()", "2")])
    assert result == b"<a><b>2</b></a>"


def test_xml_detected_without_content_type() -> None:
    assert apply_replacements("  <a>1</a>", None, [("/a", 2)]) == "<a>2</a>"


def test_xml_default_namespace_matches_unprefixed_names() -> None:
    result = apply_replacements('<a xmlns="urn:x"><b/></a>', "application/xml", [("/a/b", "v")])
    assert isinstance(result, str) and ">v</" in result


@pytest.mark.parametrize(
    ("target", "message"),
    [("/order/nothing", "selects no element"), ("/order/[", "not valid XPath")],
)
def test_xpath_errors(target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        apply_replacements(ORDER, "application/xml", [(target, 1)])


def test_xml_structure_value_refused() -> None:
    with pytest.raises(InputError, match="must be text"):
        apply_replacements("<a/>", "application/xml", [("/a", {"b": 1})])


@pytest.mark.parametrize(
    "xml",
    [
        '<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>',
        '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
        '<!DOCTYPE a [<!ENTITY x "x"><!ENTITY y "&x;&x;&x;&x;">]><a>&y;</a>',
    ],
)
def test_xml_entities_are_refused(xml: str) -> None:
    with pytest.raises(InputError, match="refused") as info:
        apply_replacements(xml, "application/xml", [("/a", 1)])
    assert info.value.hint is not None and "entit" in info.value.hint


def test_malformed_xml() -> None:
    with pytest.raises(InputError, match="refused"):
        apply_replacements("<a><b></a>", "application/xml", [("/a", 1)])


def test_xml_payload_must_be_text() -> None:
    with pytest.raises(InputError, match="as text"):
        apply_replacements({"a": 1}, "application/xml", [("/a", 1)])
