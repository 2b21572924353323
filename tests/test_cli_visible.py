"""The terminal guard (``cli._visible``): its fast checks never change what it shows."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from arazzo_runner.cli import _CONTROL, _visible

ALPHABET = st.sampled_from(
    [
        "a",
        " ",
        "\n",
        "\t",
        "\x1b",
        "\x00",
        "\x7f",
        "\x85",
        "\x9f",
        "é",
        "\u2028",
        "\ud800",
        "😀",
        "\r",
        "\x0b",
        "~",
    ]
)


def _general(text: str) -> str:
    def shown(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x7F else f"\\u{code:04x}"

    return _CONTROL.sub(shown, text)


@given(st.text(alphabet=ALPHABET, max_size=30))
def test_fast_paths_show_what_the_general_path_shows(text: str) -> None:
    assert _visible(text) == _general(text)


@given(st.text(max_size=30))
def test_any_text(text: str) -> None:
    assert _visible(text) == _general(text)


def test_escapes_are_shown_not_sent() -> None:
    assert _visible("a\x1b[2Jb\n") == "a\\x1b[2Jb\n"
    assert _visible("caf\u00e9\x9b\t") == "caf\u00e9\\u009b\t"
    assert _visible('{"data": "plain"}\n') == '{"data": "plain"}\n'


@given(st.text(alphabet=ALPHABET, max_size=30))
def test_json_text_stays_json_after_the_guard(text: str) -> None:
    """DEL and C1 are written raw by json.dumps(ensure_ascii=False); the guard's escape for
    them is a JSON escape, so the printed line still parses, to the same text."""
    line = json.dumps({"data": text}, ensure_ascii=False)
    assert json.loads(_visible(line)) == {"data": text}
