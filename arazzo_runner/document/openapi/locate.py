"""Where in the written documents a keyword of an inlined schema comes from (file:line).

Validators see schemas inlined (:mod:`.schema`), and jsonschema's error paths leave out the
``$ref`` hops anyway, so a path such as ``properties/items/items/properties/price/type`` is
walked here over the schema *as written*: at each step a ``$ref`` is followed first (with the
index's resolver, across files), the way the inliner replaced it. With 3.1 siblings the inliner
turned ``{"$ref": R, ...}`` into ``{..., "allOf": [..., R]}``, so the ``allOf`` item after the
written ones is the reference. A walk that cannot go on stops at the last place it reached.
"""

from __future__ import annotations

__all__ = ["locate_schema", "value_at"]

from collections.abc import Sequence
from typing import Any

from arazzo_runner.document.location import Location
from arazzo_runner.document.openapi.refs import Node, RefResolver, is_ref

_MAX_HOPS = 64


def locate_schema(
    resolver: RefResolver, url: str, tokens: Sequence[str | int], *, siblings: bool
) -> Location | None:
    """The location of what ``tokens`` lead to from the root of the document at ``url``."""
    start = _root(resolver, url)
    if start is None:
        return None
    node, _ = _walk(resolver, start, list(tokens), siblings)
    return node.doc.locate_key(node.path) if node.path else node.doc.locate(())


def value_at(
    resolver: RefResolver, url: str, tokens: Sequence[str | int], *, siblings: bool
) -> Any:
    """The value at ``tokens`` from the document at ``url`` (``$ref`` followed), or None."""
    start = _root(resolver, url)
    if start is None:
        return None
    node, complete = _walk(resolver, start, list(tokens), siblings)
    return _follow(resolver, node).value if complete else None


def _root(resolver: RefResolver, url: str) -> Node | None:
    doc = resolver.document(url)
    return None if isinstance(doc, str) else Node(doc.data, doc, url, ())


def _walk(
    resolver: RefResolver, node: Node, tokens: list[str | int], siblings: bool
) -> tuple[Node, bool]:
    """The node the tokens reach, and whether every token was taken."""
    i = 0
    while i < len(tokens):
        token, value = tokens[i], node.value
        if is_ref(value) and siblings and len(value) > 1:
            written = value.get("allOf")
            count = len(written) if isinstance(written, list) else 0
            if token == "allOf" and i + 1 < len(tokens) and tokens[i + 1] == count:
                node, i = _follow(resolver, node), i + 2
                continue
        elif is_ref(value):
            followed = _follow(resolver, node)
            if followed is node:
                return node, False
            node = followed
            continue
        child = node.child(token)
        if child.value is None:
            return node, False
        node, i = child, i + 1
    return node, True


def _follow(resolver: RefResolver, node: Node) -> Node:
    """The target of the ``$ref`` chain at ``node`` (``node`` itself when it cannot go on)."""
    current = node
    for _ in range(_MAX_HOPS):
        if not is_ref(current.value):
            return current
        found = resolver.lookup(current.value["$ref"], current.url)
        if isinstance(found, str):
            return node
        current = found
    return node
