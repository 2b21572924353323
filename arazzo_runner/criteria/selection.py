"""Arazzo 1.1 Selector Objects: apply ``selector`` (jsonpointer, jsonpath, xpath) to a value.

JSONPath and XPath run in the bounded helper (:mod:`.bounded`), like criteria. The result:

* no match: ``MISSING`` (the value resolved to nothing; the step says so);
* one match: that value; several: the list of them (docs/arazzo-1.1.md);
* XPath element and attribute nodes give their string values; the context must be XML text.
"""

from __future__ import annotations

__all__ = ["select", "target_pointers"]

from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.criteria import bounded
from arazzo_runner.criteria.jsonpath_match import NOT_JSON, as_json
from arazzo_runner.errors import ExpressionError
from arazzo_runner.pointer import parse_pointer, resolve_tokens


def _pointer(selector: str, data: Any) -> Any:
    return resolve_tokens(as_json(data), parse_pointer(selector))


def _bounded(operation: str, selector: str, version: str | None, data: Any) -> Any:
    status, found = bounded.run(operation, selector, version, data)
    if status == "error":
        raise ExpressionError(f"selector {selector!r}: {found}", expression=selector)
    if not found:
        return MISSING
    return found[0] if len(found) == 1 else list(found)


def target_pointers(target: str, version: str | None, payload: Any) -> list[str]:
    """The JSON Pointers a JSONPath replacement target selects in ``payload`` (1.1
    ``targetSelectorType: jsonpath``); ExpressionError for a bad target."""
    status, found = bounded.run("jsonpath-pointers", target, version, as_json(payload))
    if status == "error":
        raise ExpressionError(f"replacement target {target!r}: {found}", expression=target)
    return list(found)


def select(kind: str, version: str | None, selector: str, data: Any) -> Any:
    """The selected value, ``MISSING`` for no match; ExpressionError for a bad selector."""
    if data is MISSING:
        return MISSING
    if kind == "jsonpointer":
        return _pointer(selector, data)
    if kind == "jsonpath":
        parsed = as_json(data)
        if parsed is NOT_JSON:
            raise ExpressionError(f"selector {selector!r}: the context is not JSON")
        return _bounded("jsonpath-select", selector, version, parsed)
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", "replace")
    return _bounded("xpath-select", selector, version, data)
