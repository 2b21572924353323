"""Criteria (layer 2): the dispatch table from criterion type to a compiled check.

:mod:`.table` holds ``COMPILERS`` (simple, regex, JSONPath RFC 9535, XPath); JSONPath and XPath
matching live in :mod:`.jsonpath_match` and :mod:`.xpath_match`; untrusted patterns run in the
killable helper process of :mod:`.sandbox`, with the operations of :mod:`.bounded`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.criteria.bounded import compile_xpath
    from arazzo_runner.criteria.jsonpath_match import compile_jsonpath
    from arazzo_runner.criteria.selection import select, target_pointers
    from arazzo_runner.criteria.table import CompiledCriterion, compile_criterion

__all__ = [
    "CompiledCriterion",
    "compile_criterion",
    "compile_jsonpath",
    "compile_xpath",
    "select",
    "target_pointers",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "CompiledCriterion": "table",
            "compile_criterion": "table",
            "compile_jsonpath": "jsonpath_match",
            "compile_xpath": "bounded",
            "select": "selection",
            "target_pointers": "selection",
        },
    )
