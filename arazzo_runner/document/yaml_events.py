"""The hot loop behind :func:`.yaml_reader.load_text`: libyaml events to located data.

One loop reads the events and dispatches on ``type(event) is ...``; a plain scalar is handled
in the loop itself, everything else in methods (the rare events and every error among them).

No :class:`~.location.Location` is built while parsing. Where a value starts is
one int (:data:`Mark`), and each container has an :data:`Entry`: its mark, a dict from each
child's key or position to the child's entry, and a dict from each mapping key to the key's
mark. The tree of entries mirrors the document as written: an alias has a mark and nothing
below it, a ``<<`` merge source keeps its own place. So ``_yaml._locate``, walking the tree,
finds what a flat dict of every located path would have held, and builds one Location.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from arazzo_runner.document.location import Location
from arazzo_runner.errors import YamlError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_VALUES",
    "Builder",
    "Entry",
    "Mark",
    "PathKey",
    "core_scalar",
    "location",
]

MAX_DEPTH = 256
MAX_EXPANDED_VALUES = 1_000_000

PathKey = tuple[str | int, ...]
# Where a value starts, packed into one int (not tracked by the garbage collector): the 0-based
# line shifted left by _SHIFT bits, or'ed with the 0-based column (columns fit: a document has
# at most 16 MiB of text).
Mark = int
# A scalar's or alias's Mark, or a container's (Mark, children, keys): its child key or position
# -> Entry, and its mapping key -> where the key starts (the same empty dict for every sequence).
Entry = Mark | tuple[Mark, dict[Any, "Entry"], dict[Any, Mark]]
_SHIFT = 32
_COLUMN = (1 << _SHIFT) - 1

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOLS["FALSE"] = False
_NUMBER_START = frozenset("-+.0123456789")

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
_PLAIN_TAGS = (None, "!", _STR)
_KINDS: dict[str, Any] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}

_Scalar = yaml.ScalarEvent
_MapStart = yaml.MappingStartEvent
_SeqStart = yaml.SequenceStartEvent
_MapEnd = yaml.MappingEndEvent
_SeqEnd = yaml.SequenceEndEvent


_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


def _number(text: str) -> Any:
    """A plain scalar that starts like a number, typed by the YAML 1.2 core schema."""
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


def core_scalar(text: str) -> Any:
    """Type a plain scalar by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    found = _BOOLS.get(text)
    if found is not None:
        return found
    if text[0] in _NUMBER_START:
        return _number(text)
    return text


_NO_KEYS: dict[Any, Mark] = {}  # the keys of every sequence: never written to


class _Frame:
    """One open mapping or sequence while events stream in; ``locs``/``keys`` are its index."""

    __slots__ = (
        "container",
        "is_list",
        "key",
        "key_plain",
        "merges",
        "anchor",
        "start",
        "locs",
        "keys",
        "parent",
        "at",
        "known_path",
    )

    def __init__(self, event: Any, start: int, parent: _Frame | None, at: Any) -> None:
        self.is_list = type(event) is _SeqStart
        self.container: Any = [] if self.is_list else {}
        self.key: str | None = None
        self.key_plain = False
        self.merges: list[Any] | None = None
        self.anchor: str | None = event.anchor
        self.start = start
        self.locs: dict[Any, Entry] = {}
        self.keys = _NO_KEYS if self.is_list else {}
        self.parent = parent
        self.at = at  # this container's key or position in its parent
        self.known_path: PathKey | None = None if parent is not None else ()

    def path(self) -> PathKey:
        """The path of this container (worked out when first needed: only raw scalars need it)."""
        if self.known_path is None:
            assert self.parent is not None
            self.known_path = (*self.parent.path(), self.at)
        return self.known_path


class Builder:
    """Builds plain data and its index from libyaml's events, iteratively.

    Iterative on purpose: the C composer recurses without a Python recursion limit and crashes
    the interpreter on deeply nested input; here depth is a counter.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.raw_scalars: dict[PathKey, str] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.count = 0  # values so far, aliases counted as what they expand to
        self.expanded = 0  # values produced through aliases: the only ones the cap counts
        self.depth = 0
        self.root: Any = None
        self.root_entry: Entry | None = None
        self.documents = 0

    def run(self, next_event: Callable[[], Any]) -> Any:
        """Build from ``next_event`` (None at the end); a value inside a container is placed
        here in the loop (the commonest event by far, so no call), the rest by methods."""
        top: _Frame | None = None
        raw = self.raw_scalars
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is _Scalar and top is not None:
                mark = event.start_mark
                if top.is_list:
                    key: Any = len(top.container)
                elif top.key is None:  # a mapping key: always a string, its source text
                    text = event.value
                    if text in top.keys:
                        raise self.error(event, f"duplicate key {text!r}", "remove one of the two")
                    top.keys[text] = mark.line << _SHIFT | mark.column
                    top.key, top.key_plain = text, event.implicit[0]
                    continue
                else:
                    key = top.key
                    top.key = None
                self.count += 1
                top.locs[key] = mark.line << _SHIFT | mark.column
                text = event.value
                if event.implicit[0]:
                    value = core_scalar(text)
                    if value is not None and value.__class__ is not str:
                        path = (*top.path(), key)
                        raw[path] = text
                elif event.tag in _PLAIN_TAGS:
                    value = text
                else:
                    value = self.tagged(event)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                if top.is_list:
                    top.container.append(value)
                else:
                    top.container[key] = value
            elif kind is _MapStart or kind is _SeqStart:
                top = self.open(top, event)
            elif kind is _MapEnd or kind is _SeqEnd:
                assert top is not None
                top = self.close(top)
            else:
                self.rare(top, event)
        return self.root

    def open(self, top: _Frame | None, event: Any) -> _Frame:
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _TAGS:
            raise self.error(event, f"unsupported YAML tag {tag!r}", "use plain JSON values")
        if top is None:
            key: Any = None
        elif top.is_list:
            key = len(top.container)
        elif top.key is None:
            raise self.error(event, "mapping keys must be plain strings")
        else:
            key = top.key
        if self.depth >= MAX_DEPTH:
            raise self.error(event, f"nesting deeper than {MAX_DEPTH} levels")
        self.depth += 1
        self.count += 1
        frame = _Frame(event, self.count, top, key)
        mark = event.start_mark
        entry = (mark.line << _SHIFT | mark.column, frame.locs, frame.keys)
        if top is None:
            self.root_entry = entry
        else:
            top.locs[key] = entry
        return frame

    def child(self, top: _Frame | None, event: Any, as_key: str) -> Any:
        """The key (or position) of the next value in ``top``; raises ``as_key`` for a key."""
        if top is None:
            return None
        if top.is_list:
            return len(top.container)
        if top.key is None:
            raise self.error(event, as_key)
        return top.key

    def close(self, frame: _Frame) -> _Frame | None:
        self.depth -= 1
        value = frame.container
        if frame.merges:
            value = _merge(frame.merges, value)
        if frame.anchor:
            self.anchors[frame.anchor] = (value, self.count - frame.start + 1)
        top = frame.parent
        if top is not None and top.is_list:
            top.container.append(value)
        else:
            self.place(top, value)
        return top

    def place(self, top: _Frame | None, value: Any) -> None:
        if top is None:
            self.root = value
        elif top.is_list:
            top.container.append(value)
        else:
            key, top.key = top.key, None
            if top.key_plain and key == "<<" and isinstance(value, (dict, list)):
                top.merges = [*(top.merges or ()), value]
            else:
                top.container[key] = value

    def rare(self, top: _Frame | None, event: Any) -> None:
        """Aliases, a root scalar, the start of a document; other events carry nothing."""
        kind = type(event)
        if kind is yaml.AliasEvent:
            self.alias(top, event)
        elif kind is _Scalar:
            self.root_scalar(event)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise self.error(event, "more than one YAML document in the file", "keep one")

    def root_scalar(self, event: Any) -> None:
        self.count += 1
        self.root_entry = self.mark(event)
        if event.implicit[0]:
            value = core_scalar(event.value)
            if value is not None and not isinstance(value, str):
                self.raw_scalars[()] = event.value
        elif event.tag in _PLAIN_TAGS:
            value = event.value
        else:
            value = self.tagged(event)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.root = value

    def alias(self, top: _Frame | None, event: Any) -> None:
        key = self.child(top, event, "an alias cannot be a mapping key")
        if event.anchor not in self.anchors:
            raise self.error(event, f"unknown or recursive alias *{event.anchor}")
        value, size = self.anchors[event.anchor]
        self.count += size
        self.expanded += size
        if self.expanded > MAX_EXPANDED_VALUES:
            self.too_many(event)
        entry = self.mark(event)
        if top is None:
            self.root_entry = entry
        else:
            top.locs[key] = entry
        self.place(top, value)

    def tagged(self, event: Any) -> Any:
        wanted = str(event.tag).rsplit(":", 1)[-1]
        if event.tag not in _TAGS or wanted not in _KINDS:
            raise self.error(event, f"unsupported YAML tag {event.tag!r}", "use plain JSON values")
        value = core_scalar(event.value)
        if not isinstance(value, _KINDS[wanted]) or (wanted == "int" and isinstance(value, bool)):
            raise self.error(event, f"{event.value!r} is not a valid !!{wanted}")
        return float(value) if wanted == "float" else value

    def mark(self, event: Any) -> Mark:
        mark = event.start_mark
        return 0 if mark is None else mark.line << _SHIFT | mark.column

    def too_many(self, event: Any) -> None:
        raise self.error(
            event,
            "too many values produced through aliases (a YAML alias bomb?)",
            "expand aliases by hand or split the document",
        )

    def error(self, event: Any, message: str, hint: str | None = None) -> YamlError:
        loc = location(self.file, self.mark(event))
        return YamlError(message, file=self.file, line=loc.line, column=loc.column, hint=hint)


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


def location(file: str, mark: Mark) -> Location:
    return Location(file, (mark >> _SHIFT) + 1, (mark & _COLUMN) + 1)
