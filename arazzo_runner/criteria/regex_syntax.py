"""Regex criteria text: an ECMA-262 pattern turned into a Python one, and the context as text.

The spec names no regex dialect (notes C7); OpenAPI and JSON Schema use ECMA-262, so that is
the dialect read here, translated to Python ``re`` with ``re.ASCII``.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.errors import ExpressionError

__all__ = ["as_text", "compile_regex_pattern", "translate_regex"]


_ECMA_BACKREF = re.compile(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>")


def translate_regex(source: str) -> tuple[str, list[int]]:
    """ECMA-262 pattern -> Python pattern, plus the source offset of each output character.

    ``(?<name>`` -> ``(?P<name>``, ``\\k<name>`` -> ``(?P=name)``, and ``$`` outside a class
    -> ``\\Z`` (ECMA ``$`` without the m flag never matches before a trailing newline).
    """
    out: list[str] = []
    origin: list[int] = []

    def emit(text: str, at: int) -> None:
        out.append(text)
        origin.extend([at] * len(text))

    i, in_class = 0, False
    while i < len(source):
        char = source[i]
        backref = _ECMA_BACKREF.match(source, i) if not in_class else None
        if backref:
            emit(f"(?P={backref.group(1)})", i)
            i = backref.end()
            continue
        if char == "\\":
            emit(source[i : i + 2], i)
            i += 2
            continue
        if in_class or char == "[":
            in_class = char != "]" or not in_class
            emit(char, i)
        elif source.startswith("(?<", i) and source[i + 3 : i + 4] not in ("=", "!"):
            emit("(?P<", i)
            i += 3
            continue
        else:
            emit("\\Z" if char == "$" else char, i)
        i += 1
    return "".join(out), origin


def compile_regex_pattern(source: str) -> tuple[re.Pattern[str], str | None]:
    pattern, origin = translate_regex(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = re.compile(pattern, re.ASCII)
        except re.error as exc:
            at = exc.pos if exc.pos is not None else len(pattern)
            position = origin[at] if at < len(origin) else len(source)
            raise ExpressionError(
                f"invalid regular expression: {exc.msg}", expression=source, position=position
            ) from None
    notes = "; ".join(str(w.message) for w in caught)
    return compiled, (f"regex: Python re warns: {notes}" if notes else None)


def as_text(value: Any) -> str | None:
    """The context as regex input: str as-is, bytes as UTF-8, everything else as JSON text."""
    if value is MISSING or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
