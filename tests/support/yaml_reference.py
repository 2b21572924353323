"""The located-YAML builder as it was before the fast path (commit d33b6f4), kept verbatim as
the oracle of tests/test_yaml_fast_path.py. Do not optimise it. The helpers around the builder
that the fast path did not change (decoding bytes, rejecting duplicate JSON keys) are the
package's own.

Original docstring: YAML/JSON text to plain Python data, with the source location of every value.

Documents are read with **YAML 1.2 core-schema** rules for plain scalars, not PyYAML's YAML 1.1
defaults: ``version: 1.0`` is the float 1.0 only if the author wrote a number in a place where
our model wants a string, in which case the *original text* ``"1.0"`` is kept (see
:func:`scalar_text`); ``on``/``yes``/``no`` stay strings; ``2024-01-02`` stays a string; octal is
``0o17``. Mapping keys are always strings, taken from the key's source text (``200:`` is
``"200"``). Only the JSON-schema tags are accepted.

Untrusted text is bounded: a size limit, a nesting-depth limit, a cap on values produced through
aliases (a "billion laughs" document fails fast), duplicate keys are errors, and non-UTF-8 or
binary text is rejected with a clear :class:`~arazzo_runner.errors.YamlError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from arazzo_runner.document.location import Location
from arazzo_runner.document.yaml_reader import _decode, _no_duplicates
from arazzo_runner.errors import YamlError

__all__ = [
    "LocatedDocument",
    "Location",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "load_text",
]

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 256
MAX_EXPANDED_VALUES = 1_000_000

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedDocument:
    """Parsed data plus the location of every mapping value and sequence item."""

    data: Any
    file: str
    text: str
    locations: dict[PathKey, Location] = field(repr=False)
    key_locations: dict[PathKey, Location] = field(repr=False)
    raw_scalars: dict[PathKey, str] = field(repr=False)

    def locate(self, path: PathKey) -> Location:
        """The location of ``path``, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            loc = self.locations.get(path[:end])
            if loc is not None:
                return loc
        return Location(self.file, 1, 1)

    def locate_key(self, path: PathKey) -> Location:
        """The location of the *key* that holds ``path`` (falls back to :meth:`locate`)."""
        return self.key_locations.get(path) or self.locate(path)

    def scalar_text(self, path: PathKey) -> str | None:
        """The source text of a plain scalar that YAML 1.2 typed as a number or bool."""
        return self.raw_scalars.get(path)

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})

_STR = "tag:yaml.org,2002:str"
_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def _core_scalar(text: str) -> Any:
    """Type a plain scalar by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Frame:
    """One open mapping or sequence while events stream in."""

    __slots__ = ("container", "path", "key", "key_plain", "merges", "anchor", "start")

    def __init__(self, container: Any, path: PathKey, anchor: str | None, start: int) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_plain = False
        self.merges: list[Any] = []
        self.anchor = anchor
        self.start = start


class _Builder:
    """Builds plain data from libyaml's event stream with an explicit stack.

    Iterative on purpose: the C composer recurses without a Python recursion limit and crashes
    the interpreter on deeply nested input; here depth is just ``len(stack)``.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.locations: dict[PathKey, Location] = {}
        self.key_locations: dict[PathKey, Location] = {}
        self.raw_scalars: dict[PathKey, str] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.count = 0
        self.expanded = 0
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0
        self.key_seen: set[PathKey] = set()

    def run(self, events: Iterator[yaml.Event]) -> Any:
        handlers: dict[type, Callable[[Any], None]] = {
            yaml.ScalarEvent: self.on_scalar,
            yaml.AliasEvent: self.on_alias,
            yaml.MappingStartEvent: self.on_open,
            yaml.SequenceStartEvent: self.on_open,
            yaml.MappingEndEvent: self.on_close,
            yaml.SequenceEndEvent: self.on_close,
            yaml.DocumentStartEvent: self.on_document,
        }
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        return self.root

    def loc(self, event: yaml.Event) -> Location:
        mark = event.start_mark
        if mark is None:
            return Location(self.file, 1, 1)
        return Location(self.file, mark.line + 1, mark.column + 1)

    def error(self, event: yaml.Event, message: str, hint: str | None = None) -> YamlError:
        loc = self.loc(event)
        return YamlError(message, file=self.file, line=loc.line, column=loc.column, hint=hint)

    def on_document(self, event: yaml.Event) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self.error(event, "more than one YAML document in the file", "keep one")

    def grow(self, event: yaml.Event, size: int, *, alias: bool = False) -> None:
        self.count += size
        self.expanded += size if alias else 0  # only values produced through aliases count
        if self.expanded > MAX_EXPANDED_VALUES:
            raise self.error(
                event,
                "too many values produced through aliases (a YAML alias bomb?)",
                "expand aliases by hand or split the document",
            )

    def child_path(self, event: yaml.Event) -> PathKey | None:
        """The path the next value takes, or None when it is a mapping key."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        if top.key is None:
            return None
        return (*top.path, top.key)

    def place(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        key, top.key = top.key, None
        assert key is not None
        if top.key_plain and key == "<<" and isinstance(value, (dict, list)):
            top.merges.append(value)
        else:
            top.container[key] = value

    def on_scalar(self, event: yaml.ScalarEvent) -> None:
        path = self.child_path(event)
        if path is None:  # a mapping key: always a string, its source text
            top = self.stack[-1]
            top.key, top.key_plain = event.value, bool(event.implicit[0])
            key_path = (*top.path, event.value)
            if key_path in self.key_seen:
                raise self.error(event, f"duplicate key {event.value!r}", "remove one of the two")
            self.key_seen.add(key_path)
            self.key_locations[key_path] = self.loc(event)
            return
        self.grow(event, 1)
        self.locations[path] = self.loc(event)
        value = self.scalar(event, path)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.place(value)

    def scalar(self, event: yaml.ScalarEvent, path: PathKey) -> Any:
        if event.implicit[0]:  # plain, untagged: YAML 1.2 core schema
            value = _core_scalar(event.value)
            if value is not None and not isinstance(value, str):
                self.raw_scalars[path] = event.value
            return value
        if event.tag in (None, "!", _STR):
            return event.value
        return self.tagged(event)

    def tagged(self, event: yaml.ScalarEvent) -> Any:
        wanted = str(event.tag).rsplit(":", 1)[-1]
        kinds: dict[str, Any] = {
            "int": int,
            "float": (int, float),
            "bool": bool,
            "null": type(None),
        }
        if event.tag not in _TAGS or wanted not in kinds:
            raise self.error(event, f"unsupported YAML tag {event.tag!r}", "use plain JSON values")
        value = _core_scalar(event.value)
        if not isinstance(value, kinds[wanted]) or (wanted == "int" and isinstance(value, bool)):
            raise self.error(event, f"{event.value!r} is not a valid !!{wanted}")
        return float(value) if wanted == "float" else value

    def on_alias(self, event: yaml.AliasEvent) -> None:
        path = self.child_path(event)
        if path is None:
            raise self.error(event, "an alias cannot be a mapping key")
        if event.anchor not in self.anchors:
            raise self.error(event, f"unknown or recursive alias *{event.anchor}")
        value, size = self.anchors[event.anchor]
        self.grow(event, size, alias=True)
        self.locations[path] = self.loc(event)
        self.place(value)

    def on_open(self, event: yaml.CollectionStartEvent) -> None:
        if event.tag not in (None, "!") and event.tag not in _TAGS:
            raise self.error(event, f"unsupported YAML tag {event.tag!r}", "use plain JSON values")
        path = self.child_path(event)
        if path is None:
            raise self.error(event, "mapping keys must be plain strings")
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(event, f"nesting deeper than {MAX_DEPTH} levels")
        self.grow(event, 1)
        self.locations[path] = self.loc(event)
        container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Frame(container, path, event.anchor, self.count))

    def on_close(self, event: yaml.Event) -> None:
        frame = self.stack.pop()
        value = frame.container
        if frame.merges:
            value = _merge(frame.merges, value)
        if frame.anchor:
            self.anchors[frame.anchor] = (value, self.count - frame.start + 1)
        self.place(value)


def _merge(sources: list[Any], own: dict[str, Any]) -> dict[str, Any]:
    """YAML 1.1 ``<<`` merge keys (a courtesy; 1.2 has none): explicit keys win."""
    result: dict[str, Any] = {}
    for source in sources:
        for item in source if isinstance(source, list) else [source]:
            if isinstance(item, dict):
                for key, value in item.items():
                    result.setdefault(key, value)
    result.update(own)
    return result


def load_text(text: str | bytes, file: str = "<string>") -> LocatedDocument:
    """Parse one YAML or JSON document; raise :class:`YamlError` with a location on failure."""
    if isinstance(text, bytes):
        text = _decode(text, file)
    elif len(text) > MAX_DOCUMENT_BYTES:
        raise YamlError(f"document is over the {MAX_DOCUMENT_BYTES}-byte limit", file=file)
    builder = _Builder(file)
    try:
        data = builder.run(yaml.parse(text, Loader=_BaseLoader))
    except yaml.MarkedYAMLError as exc:
        return _json_fallback(text, file, exc)
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", file=file) from exc
    return LocatedDocument(
        data, file, text, builder.locations, builder.key_locations, builder.raw_scalars
    )


def _json_fallback(text: str, file: str, exc: yaml.MarkedYAMLError) -> LocatedDocument:
    """JSON that PyYAML cannot read (e.g. ``\\/`` escapes) still loads, without locations."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            pass
        else:
            return LocatedDocument(data, file, text, {(): Location(file, 1, 1)}, {}, {})
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or exc.context or "syntax error"
    raise YamlError(
        f"not valid YAML: {problem}",
        file=file,
        line=line,
        column=column,
        hint="check the indentation and quoting on this line and the one above",
    ) from exc
