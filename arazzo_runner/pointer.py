"""JSON Pointer (RFC 6901): parse once into tokens, resolve many times.

Percent-decoding (for pointers taken from URI fragments) is the caller's job, not done here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.errors import ExpressionError

__all__ = [
    "escape_token",
    "format_pointer",
    "parse_pointer",
    "pointer_tokens",
    "resolve_pointer",
    "resolve_tokens",
    "unescape_token",
]


def escape_token(token: str | int) -> str:
    """Escape one reference token: ``~`` -> ``~0``, ``/`` -> ``~1`` (an index as digits)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token` (``~1`` first, then ``~0``, as RFC 6901 section 4 says)."""
    return token.replace("~1", "/").replace("~0", "~")


def format_pointer(path: Iterable[str | int]) -> str:
    """The pointer of a path of keys and indexes (``""`` for the root)."""
    parts = [str(p) for p in path]
    if not parts:
        return ""
    joined = "/".join(parts)
    if "~" not in joined and joined.count("/") == len(parts) - 1:
        return "/" + joined  # no part holds "~" or "/": nothing to escape
    return "".join("/" + escape_token(p) for p in parts)


def pointer_tokens(pointer: str) -> list[str]:
    """The unescaped tokens of a pointer known to be well formed (``[]`` for the root); for
    pointers the package made itself. Text from a document goes through :func:`parse_pointer`."""
    if not pointer:
        return []
    return [unescape_token(t) if "~" in t else t for t in pointer.split("/")[1:]]


def parse_pointer(
    pointer: str, *, expression: str | None = None, offset: int = 0
) -> tuple[str, ...]:
    """Split ``pointer`` into unescaped tokens; ``""`` is the whole document.

    Errors carry ``position`` relative to ``expression`` (``offset`` is where the pointer
    starts in it), so a pointer inside a runtime expression gets a caret at the bad character.
    """
    source = pointer if expression is None else expression
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ExpressionError(
            "a JSON pointer must be empty or start with '/'",
            expression=source,
            position=offset,
        )
    index = pointer.find("~")
    while index != -1:
        if index + 1 >= len(pointer) or pointer[index + 1] not in "01":
            raise ExpressionError(
                "'~' in a JSON pointer must be followed by 0 or 1",
                expression=source,
                position=offset + index,
            )
        index = pointer.find("~", index + 2)
    return tuple(unescape_token(token) for token in pointer[1:].split("/"))


def _is_index(token: str) -> bool:
    """``0`` or digits without a leading zero, short enough to be a real list index."""
    if not (token.isascii() and token.isdigit()) or len(token) > 18:
        return False
    return token == "0" or token[0] != "0"


def resolve_tokens(document: Any, tokens: tuple[str, ...]) -> Any:
    """Walk already-parsed ``tokens``; ``MISSING`` as soon as a step does not exist."""
    current = document
    for token in tokens:
        kind = type(current)
        if kind is dict:
            current = current.get(token, MISSING)
            if current is MISSING:
                return MISSING
        elif kind is list and _is_index(token):
            index = int(token)
            if index >= len(current):
                return MISSING
            current = current[index]
        elif isinstance(current, Mapping):
            current = current.get(token, MISSING)
            if current is MISSING:
                return MISSING
        elif isinstance(current, Sequence) and not isinstance(current, (str, bytes, bytearray)):
            if not _is_index(token) or int(token) >= len(current):
                return MISSING
            current = current[int(token)]
        else:
            return MISSING
    return current


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Resolve RFC 6901 ``pointer`` in ``document``; ``MISSING`` when it points at nothing.

    Raises :class:`ExpressionError` for a malformed pointer (no leading ``/``, bad ``~``).
    """
    if document is MISSING:
        return MISSING
    return resolve_tokens(document, parse_pointer(pointer))
