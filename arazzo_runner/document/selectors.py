"""Arazzo 1.1's Selector Object and Expression Type Objects, as loader readers.

A Selector (``{context, selector, type}``) may stand where 1.1 allows it: step and workflow
``outputs``, parameter ``value``, payload values (at any depth) and replacement ``value``. In a
1.0 document none of this applies: the readers keep values exactly as 1.0 did.

An object in a 1.1 payload or value position is a Selector when its keys are exactly
``context``, ``selector`` and ``type`` (``x-`` extensions aside); any other object is plain data
(docs/arazzo-1.1.md, "payload objects that look like selectors").
"""

from __future__ import annotations

__all__ = [
    "EXPRESSION_VERSIONS",
    "WHOLE_CONTEXT",
    "read_expression_type",
    "read_output",
    "read_selector_type",
    "read_value",
    "selector_shaped",
]

import re
from collections.abc import Mapping
from typing import Any

from arazzo_runner.diagnostics import Severity
from arazzo_runner.document.fields import (
    SKIP,
    Ctx,
    F,
    Spec,
    read_enum,
    read_expr,
    read_object,
    read_str,
)
from arazzo_runner.document.model import Selector
from arazzo_runner.document.yaml_reader import PathKey

# allowed versions per minor and expression type; the first 1.1 entry is the default
EXPRESSION_VERSIONS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "1.0": {
        "jsonpath": ("draft-goessner-dispatch-jsonpath-00",),
        "xpath": ("xpath-30", "xpath-20", "xpath-10"),
    },
    "1.1": {
        "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
        "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
        "jsonpointer": ("rfc6901",),
    },
}
_SELECTOR_KEYS = frozenset({"context", "selector", "type"})
WHOLE_CONTEXT = re.compile(r"\$(?:inputs|steps\.([A-Za-z0-9_\-]+)\.outputs)\Z")
"""A Selector ``context`` that is a whole map, ``$inputs`` or ``$steps.<id>.outputs``: outside
the 1.1 ABNF (it wants a name), but what a selector selects from; Redocly's 1.1 tests and an
OAI fixture use it, so we accept it there (docs/arazzo-1.1.md)."""


def _expression_spec(kinds: tuple[str, ...]) -> Spec:
    return Spec(
        "expression type",
        None,
        (
            F("type", "type", read_enum(*kinds), True, SKIP, kinds[0]),
            F("version", "version", read_str, True, SKIP, "<version>"),
        ),
        unknown=Severity.WARNING,
    )


def read_expression_type(ctx: Ctx, path: PathKey, value: Any, kinds: tuple[str, ...]) -> Any:
    """``{type, version}``: ``(type, version)``, or SKIP after reporting a version we do not
    know (a version we cannot evaluate is an error, never a silent fallback)."""
    values = read_object(ctx, path, value, _expression_spec(kinds))
    if values is None:
        return SKIP
    kind, version = values["type"], values["version"]
    allowed = EXPRESSION_VERSIONS[ctx.minor].get(kind, ())
    if version not in allowed:
        choices = " | ".join(allowed) or "nothing in this Arazzo version"
        message = f"`version` of the {kind} expression type is `{version}`; use {choices}"
        ctx.report("invalid-enum", (*path, "version"), message)
        return SKIP
    return (kind, version)


def read_selector_type(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    """A selector ``type``/``targetSelectorType``: a name or an Expression Type Object."""
    kinds = ("jsonpath", "xpath", "jsonpointer")
    if isinstance(value, dict):
        return read_expression_type(ctx, path, value, kinds)
    kind = read_enum(*kinds)(ctx, path, value, where)
    return SKIP if kind is SKIP else (kind, None)


_SELECTOR = Spec(
    "selector",
    None,
    (
        F("context", "context", read_expr, True, SKIP, "$response.body"),
        F("selector", "selector", read_str, True, SKIP, "$.items[0].id"),
        F("type", "type", read_selector_type, True, SKIP, "jsonpath"),
    ),
)


def _build_selector(ctx: Ctx, path: PathKey, data: Any) -> Any:
    values = read_object(ctx, path, data, _SELECTOR)
    if values is None:
        return SKIP
    values["type"], values["version"] = values["type"]
    return Selector(**values)


def selector_shaped(value: Any) -> bool:
    """An object whose keys (``x-`` aside) are exactly context, selector and type."""
    if not isinstance(value, dict):
        return False
    return {k for k in value if not str(k).startswith("x-")} == _SELECTOR_KEYS


def read_output(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    """An output: a runtime expression; in 1.1 also a Selector Object."""
    if ctx.minor == "1.1" and isinstance(value, dict):
        return _build_selector(ctx, path, value)
    return read_expr(ctx, path, value, where)


def read_value(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    """A parameter/payload/replacement value; in 1.1 selector-shaped objects (at any depth of
    arrays and objects) become :class:`Selector`, other data is kept as written."""
    if ctx.minor != "1.1":
        return value
    if selector_shaped(value):
        return _build_selector(ctx, path, value)
    if isinstance(value, dict):
        return {k: read_value(ctx, (*path, k), v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [read_value(ctx, (*path, i), v, where) for i, v in enumerate(value)]
    return value
