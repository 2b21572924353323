"""arazzo_runner.media: the one reader of Content-Type values."""

from __future__ import annotations

import pytest

from arazzo_runner.media import charset, is_json, is_xml, media_type


@pytest.mark.parametrize(
    ("content_type", "essence"),
    [
        ("Application/JSON; charset=utf-8", "application/json"),
        ("text/event-stream", "text/event-stream"),
        ("  text/plain ;format=flowed", "text/plain"),
        ("", ""),
        (None, ""),
    ],
)
def test_media_type_is_the_lower_cased_essence(content_type: str | None, essence: str) -> None:
    assert media_type(content_type) == essence


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/plain; charset=latin-1", "latin-1"),
        ('text/plain; CHARSET="ISO-8859-1"', "ISO-8859-1"),
        ("text/plain; format=flowed; charset = utf-16", "utf-16"),
        ("text/plain", "utf-8"),
        (None, "utf-8"),
    ],
)
def test_charset_reads_the_parameter_or_defaults(content_type: str | None, expected: str) -> None:
    assert charset(content_type) == expected


def test_structured_suffixes_count() -> None:
    assert is_json("application/problem+json") and is_json("application/json")
    assert not is_json("text/json-ish")
    assert is_xml("application/atom+xml") and is_xml("text/xml") and not is_xml("text/html")
