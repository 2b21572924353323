"""YAML/JSON text to plain Python data, with the source location of every value.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from arazzo_runner.document.location import Location
from arazzo_runner.document.reading import read_capped
from arazzo_runner.document.yaml_events import (
    MAX_DEPTH,
    Builder,
    Entry,
    Mark,
    PathKey,
    location,
)
from arazzo_runner.errors import YamlError

__all__ = [
    "LocatedDocument",
    "Location",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "PathKey",
    "load_file",
    "load_text",
]

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class LocatedDocument:
    """Parsed data plus the location of every mapping value, sequence item and mapping key.

    ``index`` is the root's :data:`~.yaml_events.Entry` (None when the text holds
    no value); :class:`Location` objects are made only when asked for.
    """

    data: Any
    file: str
    text: str
    index: Entry | None = field(repr=False)
    raw_scalars: dict[PathKey, str] = field(repr=False)

    def locate(self, path: PathKey) -> Location:
        """The location of ``path``, or of its nearest located ancestor."""
        return _locate(self.file, self.index, path)

    def locate_key(self, path: PathKey) -> Location:
        """The location of the *key* that holds ``path`` (falls back to :meth:`locate`)."""
        return _locate_key(self.file, self.index, path) or _locate(self.file, self.index, path)

    def scalar_text(self, path: PathKey) -> str | None:
        """The source text of a plain scalar that YAML 1.2 typed as a number or bool."""
        return self.raw_scalars.get(path)

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    @property
    def locations(self) -> dict[PathKey, Location]:
        """Every located path (built on each call: for tests and debugging, not for lookups)."""
        return {path: location(self.file, _mark(e)) for path, e in self._entries()}

    @property
    def key_locations(self) -> dict[PathKey, Location]:
        """Every mapping key's path and where the key starts (built on each call, like above)."""
        found: dict[PathKey, Location] = {}
        for path, entry in self._entries():
            keys = {} if isinstance(entry, int) else entry[2]
            for key, mark in keys.items():
                key_path = (*path, key)
                found[key_path] = location(self.file, mark)
        return found

    def _entries(self) -> list[tuple[PathKey, Entry]]:
        if self.index is None:
            return []
        found: list[tuple[PathKey, Entry]] = []
        stack: list[tuple[PathKey, Entry]] = [((), self.index)]
        while stack:
            path, entry = stack.pop()
            found.append((path, entry))
            if not isinstance(entry, int):
                stack.extend(((*path, key), child) for key, child in entry[1].items())
        return found


def _locate(file: str, root: Entry | None, path: PathKey) -> Location:
    """The location of ``path``, or of its nearest located ancestor."""
    if root is None:
        return Location(file, 1, 1)
    entry: Any = root
    try:
        for part in path:
            entry = entry[1][part]  # KeyError: not located; TypeError: below a scalar
    except KeyError:
        pass
    except TypeError:
        if not isinstance(entry, int):
            raise  # an unhashable part
    mark = entry if isinstance(entry, int) else entry[0]
    return location(file, mark)


def _locate_key(file: str, root: Entry | None, path: PathKey) -> Location | None:
    """Where the key that holds ``path`` starts, or None when ``path`` is not a mapping key."""
    if not path or root is None:
        return None
    entry: Entry | None = root
    for part in path[:-1]:
        if entry is None or isinstance(entry, int):
            return None
        entry = entry[1].get(part)
    if entry is None or isinstance(entry, int):
        return None
    mark = entry[2].get(path[-1])
    return None if mark is None else location(file, mark)


def _mark(entry: Entry) -> Mark:
    return entry if isinstance(entry, int) else entry[0]


def _events(text: str) -> Callable[[], Any]:
    """libyaml's parser as a ``next event or None`` function (PyYAML's own when no libyaml)."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        return loader(text).get_event  # type: ignore[no-any-return]
    events = yaml.parse(text, Loader=yaml.SafeLoader)
    return lambda: next(events, None)


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise YamlError(
            f"document is {len(raw)} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit", file=file
        )
    if b"\x00" in raw:
        raise YamlError("this is a binary file, not YAML or JSON text", file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            "text is not valid UTF-8", file=file, line=line, hint="save the file as UTF-8"
        ) from exc


def load_text(text: str | bytes, file: str = "<string>") -> LocatedDocument:
    """Parse one YAML or JSON document; raise :class:`YamlError` with a location on failure."""
    if isinstance(text, bytes):
        text = _decode(text, file)
    elif len(text) > MAX_DOCUMENT_BYTES:
        raise YamlError(f"document is over the {MAX_DOCUMENT_BYTES}-byte limit", file=file)
    builder = Builder(file)
    try:
        data = builder.run(_events(text))
    except yaml.MarkedYAMLError as exc:
        return _json_fallback(text, file, exc)
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", file=file) from exc
    return LocatedDocument(data, file, text, builder.root_entry, builder.raw_scalars)


def _json_fallback(text: str, file: str, exc: yaml.MarkedYAMLError) -> LocatedDocument:
    """JSON that PyYAML cannot read (e.g. ``\\/`` escapes) still loads, without locations."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            pass
        else:
            return LocatedDocument(data, file, text, 0, {})
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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_file(path: str | Path) -> LocatedDocument:
    """Read and parse a local regular file, at most :data:`MAX_DOCUMENT_BYTES` of it; errors
    name the file (and what it is when it is not a regular file: a FIFO, a device...)."""
    name = str(path)

    def fail(message: str) -> YamlError:
        hint = "name a .yaml file" if message.startswith("this is a directory") else None
        return YamlError(message, file=name, hint=hint)

    return load_text(read_capped(path, MAX_DOCUMENT_BYTES, fail), name)
