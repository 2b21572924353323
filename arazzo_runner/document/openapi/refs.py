"""``$ref`` resolution for OpenAPI descriptions, by OpenAPI rules (not Arazzo rules).

A reference is joined to the URL of the document that holds it (RFC 3986 with
:func:`arazzo_runner.document.sources.resolve_url`: existing escapes kept, spaces escaped), the
document part is fetched once through the injected ``fetch`` and cached by URL, and the
fragment is percent-decoded and walked as an RFC 6901 pointer (``~1`` -> ``/``, ``~0`` -> ``~``).
Chains are followed; a chain that comes back to itself is reported, never looped.

Problems become ``unresolved-ref`` diagnostics at the ``$ref`` that failed; nothing here raises
for a bad document. Values are never copied: a :class:`Node` points into the parsed data.
"""

from __future__ import annotations

__all__ = [
    "Fetch",
    "Node",
    "RefResolver",
    "is_ref",
    "split_pointer",
]

from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import unquote

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.sources import resolve_url
from arazzo_runner.document.yaml_reader import LocatedDocument
from arazzo_runner.errors import ArazzoError
from arazzo_runner.pointer import format_pointer, pointer_tokens

Fetch = Callable[[str], LocatedDocument]
PathKey = tuple[str | int, ...]

# Keys whose values are data, not description objects: a ``$ref`` key inside them is content.
_DATA_KEYS = frozenset({"example", "default", "const", "enum"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "schemas"})


def split_pointer(pointer: str) -> tuple[str, ...] | None:
    """Unescaped tokens of ``pointer``, or None when it is not a JSON pointer."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None
    return tuple(pointer_tokens(pointer))


def is_ref(value: Any) -> bool:
    """True for a Reference Object (a mapping whose ``$ref`` is a string)."""
    return isinstance(value, dict) and isinstance(value.get("$ref"), str)


class Node(NamedTuple):
    """A value inside a loaded document, with the document's URL and the value's path.

    A named tuple rather than a frozen dataclass: thousands are made per description.
    """

    value: Any
    doc: LocatedDocument
    url: str
    path: PathKey

    def child(self, key: str | int) -> Node:
        value = self.value
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            value = None
        return Node(value, self.doc, self.url, (*self.path, key))


def _walk(node: Node, tokens: tuple[str, ...]) -> Node | str:
    """Follow unescaped pointer tokens from ``node``; a reason string when a token is missing."""
    value, path = node.value, node.path
    for token in tokens:
        key: str | int = token
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            key = int(token)
            value = value[key]
        else:
            return f"{format_pointer((*path, token))!r} does not exist in {node.url}"
        path = (*path, key)
    return Node(value, node.doc, node.url, path)


class RefResolver:
    """Loads referenced documents once and follows ``$ref`` chains.

    ``overrides`` enables the OpenAPI 3.1 rule that ``summary``/``description`` next to a
    ``$ref`` replace the referenced object's own.
    """

    def __init__(self, root: Node, fetch: Fetch, *, overrides: bool) -> None:
        self.root = root
        self.fetch = fetch
        self.overrides = overrides
        self.documents: dict[str, LocatedDocument] = {root.url: root.doc}
        self.failures: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, str]] = set()
        self._lookups: dict[tuple[str, str], Node | str] = {}

    def document(self, url: str) -> LocatedDocument | str:
        """The document at ``url`` (fragment-free), fetched once; a reason string on failure."""
        known = self.documents.get(url)
        if known is not None:
            return known
        if url in self.failures:
            return self.failures[url]
        try:
            doc = self.fetch(url)
        except (ArazzoError, OSError, ValueError) as exc:
            self.failures[url] = f"cannot load {url}: {exc}"
            return self.failures[url]
        self.documents[url] = doc
        return doc

    def lookup(self, ref: str, base_url: str) -> Node | str:
        """One hop: the value ``ref`` names, relative to ``base_url``; a reason on failure."""
        key = (base_url, ref)
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = self._lookup(ref, base_url)
        return found

    def _lookup(self, ref: str, base_url: str) -> Node | str:
        target = resolve_url(base_url, ref)
        doc_url, _, fragment = target.partition("#")
        doc = self.document(doc_url)
        if isinstance(doc, str):
            return doc
        tokens = split_pointer(unquote(fragment))
        if tokens is None:
            return f"the fragment {fragment!r} is not a JSON pointer"
        return _walk(Node(doc.data, doc, doc_url, ()), tokens)

    def resolve(self, node: Node) -> Node | None:
        """Follow ``$ref`` from ``node`` to a non-reference value; None (reported) on failure."""
        seen: set[tuple[str, PathKey]] = set()
        extra: dict[str, Any] = {}
        current = node
        while is_ref(current.value):
            key = (current.url, current.path)
            if key in seen:
                self.report(current, "the reference chain loops back to itself")
                return None
            seen.add(key)
            if self.overrides:
                for name in ("summary", "description"):
                    if name in current.value:
                        extra.setdefault(name, current.value[name])
            found = self.lookup(current.value["$ref"], current.url)
            if isinstance(found, str):
                self.report(current, found)
                return None
            current = found
        if extra and isinstance(current.value, dict):
            return Node({**current.value, **extra}, current.doc, current.url, current.path)
        return current

    def report(self, node: Node, reason: str) -> None:
        """An ``unresolved-ref`` error at the ``$ref`` of ``node`` (once per place)."""
        path = (*node.path, "$ref")
        pointer = format_pointer(path)
        if (node.doc.file, pointer) in self._reported:
            return
        self._reported.add((node.doc.file, pointer))
        loc = node.doc.locate(path)
        ref = node.value.get("$ref") if isinstance(node.value, dict) else None
        self.diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                "unresolved-ref",
                f"$ref {ref!r} cannot be resolved: {reason}",
                loc.file,
                loc.line,
                loc.column,
                pointer,
                "check the file name and the JSON pointer after '#'",
            )
        )

    def check_all(self) -> None:
        """Check one hop of every ``$ref`` in every loaded document (schemas included)."""
        done: set[str] = set()
        while len(done) < len(self.documents):
            url = next(u for u in self.documents if u not in done)
            done.add(url)
            doc = self.documents[url]
            broken: dict[int, str] = {}
            for value in _iter_refs(doc.data):
                ref = value["$ref"]
                fragment = ref.partition("#")[2]
                if fragment and not unquote(fragment).startswith("/"):
                    continue  # a JSON Schema $anchor: not ours to judge
                found = self.lookup(ref, url)
                if isinstance(found, str):
                    broken[id(value)] = found
            if broken:
                for node in _find(Node(doc.data, doc, url, ()), broken):
                    self.report(node, broken[id(node.value)])


def _children(value: Any, key: str | int | None, parent: str | int | None) -> list[Any]:
    """(child, its key, this value's key) for the description objects inside ``value``."""
    if isinstance(value, list):
        return [(item, i, key) for i, item in enumerate(value) if isinstance(item, (dict, list))]
    return [
        (item, k, key)
        for k, item in value.items()
        if isinstance(item, (dict, list)) and not _is_data(k, key, parent)
    ]


def _iter_refs(data: Any) -> list[dict[str, Any]]:
    """Every Reference Object in ``data``, skipping example and default data."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[Any, str | int | None, str | int | None]] = [(data, None, None)]
    while stack:
        value, key, parent = stack.pop()
        if isinstance(value, dict) and isinstance(value.get("$ref"), str):
            found.append(value)
        stack.extend(_children(value, key, parent))
    return found


def _find(root: Node, wanted: dict[int, str]) -> list[Node]:
    """The nodes (with paths) whose values are in ``wanted``, by identity."""
    found: list[Node] = []
    stack: list[tuple[Any, PathKey]] = [(root.value, root.path)]
    while stack:
        value, path = stack.pop()
        if id(value) in wanted:
            found.append(Node(value, root.doc, root.url, path))
        key = path[-1] if path else None
        parent = path[-2] if len(path) > 1 else None
        stack.extend((item, (*path, k)) for item, k, _ in _children(value, key, parent))
    return found


def _is_data(key: str | int, parent: str | int | None, grandparent: str | int | None) -> bool:
    """Is ``value[key]`` payload data (an example, a default) rather than description text?"""
    if not isinstance(key, str) or parent in _SCHEMA_MAPS:
        return False
    if key in _DATA_KEYS or key.startswith("x-"):
        return True
    return key == "value" and grandparent == "examples"
