"""Inline the ``$ref`` of an OpenAPI schema so a JSON Schema validator can use it alone.

Schemas stay as written in the index (recursive schemas are legal); this module builds a
self-contained copy on demand. Each reference is replaced by its target, expanded the same way.
A recursive schema is unrolled ``MAX_RECURSION`` times; past that, and past a chain of
``MAX_REFS`` references, nesting deeper than ``MAX_DEPTH``, or at a reference that cannot be
resolved, the schema becomes ``{}`` (accept anything): validation stays lenient where it cannot
be exact.

OpenAPI 3.0 ignores keywords next to ``$ref``; from 3.1 (JSON Schema 2020-12) they apply too,
so ``{"$ref": R, "maxLength": 3}`` becomes ``{"maxLength": 3, "allOf": [<R>]}``.
Finished expansions are memoised per target, so shared schemas are expanded once; the results
are shared between calls and must not be mutated.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "MAX_RECURSION", "MAX_REFS", "SchemaInliner"]

from typing import Any

from arazzo_runner.document.openapi.refs import PathKey, RefResolver, is_ref

MAX_REFS = 64
MAX_RECURSION = 3
MAX_DEPTH = 150

# Keywords whose values are data, not subschemas (unless they name a property).
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum"})
# Keywords whose values map names to subschemas.
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)


class SchemaInliner:
    """Expands schema references through a :class:`RefResolver`'s loaded documents."""

    def __init__(self, resolver: RefResolver, *, siblings: bool) -> None:
        self.resolver = resolver
        self.siblings = siblings
        self.memo: dict[tuple[str, PathKey], Any] = {}
        self.active: dict[tuple[str, PathKey], int] = {}
        self.depth = 0
        self.cuts = 0

    def inline(self, schema: Any, base_url: str) -> Any:
        """A copy of ``schema`` (found in the document at ``base_url``) without ``$ref``."""
        return self._value(schema, base_url, 0)

    def _value(self, value: Any, url: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.cuts += 1
            return {}
        if isinstance(value, list):
            return [self._value(item, url, depth + 1) for item in value]
        if not isinstance(value, dict):
            return value
        if is_ref(value):
            return self._ref(value, url, depth)
        return self._mapping(value, url, depth, names=False)

    def _mapping(self, value: dict[str, Any], url: str, depth: int, *, names: bool) -> Any:
        """A schema (``names`` False) or a name -> schema map such as ``properties``."""
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(item, (dict, list)) or (
                not names and (key in _DATA_KEYS or key.startswith("x-"))
            ):
                result[key] = item
            elif not names and key in _SCHEMA_MAPS and isinstance(item, dict):
                result[key] = self._mapping(item, url, depth + 1, names=True)
            else:
                result[key] = self._value(item, url, depth + 1)
        return result

    def _ref(self, value: dict[str, Any], url: str, depth: int) -> Any:
        target = self._target(value["$ref"], url, depth)
        extra = {k: v for k, v in value.items() if k != "$ref"} if self.siblings else {}
        if not extra:
            return target
        result = self._mapping(extra, url, depth + 1, names=False)
        all_of = result.get("allOf")
        result["allOf"] = [*(all_of if isinstance(all_of, list) else []), target]
        return result

    def _target(self, ref: str, url: str, depth: int) -> Any:
        found = self.resolver.lookup(ref, url)
        if isinstance(found, str):
            self.cuts += 1
            return {}
        key = (found.url, found.path)
        if key in self.memo:
            return self.memo[key]
        seen = self.active.get(key, 0)
        if seen >= MAX_RECURSION or self.depth >= MAX_REFS:
            self.cuts += 1
            return {}
        self.active[key] = seen + 1
        self.depth += 1
        before = self.cuts
        try:
            expanded = self._value(found.value, found.url, depth + 1)
        finally:
            self.depth -= 1
            self.active[key] = seen
        if self.cuts == before:
            self.memo[key] = expanded
        return expanded
