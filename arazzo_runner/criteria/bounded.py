"""The criteria's bounded matchers: regex, JSONPath and XPath in a killable helper process.

A criterion comes from a document and its context from a server, and three matchers can be
made to run for ever or eat the machine: ``re`` backtracking (``(a+)+b`` against forty
``a``; also inside JSONPath's ``match()``/``search()``), and XPath (``count(1 to 1e11)`` is
evaluated, statically, while the expression is parsed). They run in one helper process of
:mod:`.sandbox` (this file run as a script), which serves the whole process and is stopped
at interpreter exit.

Operations (:data:`OPERATIONS`): ``regex`` (pattern, flags, text -> found),
``jsonpath`` (condition, version, data, where -> failure, warning), ``xpath`` (condition,
version, XML text, where -> passed, reason) and ``xpath-compile`` (condition, version -> None
or [message, position, hint]), and ``warm``, which imports and builds what one needs
(``elementpath`` for XPath) so its bound counts only its own work.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arazzo_runner.criteria.sandbox import (
    DEFAULT_SECONDS,
    Helper,
    SandboxError,
    SandboxFailure,
    SandboxTimeout,
    serve,
)
from arazzo_runner.errors import ExpressionError

__all__ = [
    "OPERATIONS",
    "SandboxError",
    "SandboxFailure",
    "SandboxTimeout",
    "XPathSource",
    "compile_xpath",
    "run",
]


# -- the operations (run in the helper) ------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _pattern(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _regex(source: str, flags: int, text: str) -> bool:
    return _pattern(source, flags).search(text) is not None


@functools.lru_cache(maxsize=256)
def _jsonpath_condition(condition: str, version: str | None) -> Any:
    from arazzo_runner.criteria import jsonpath_match

    return jsonpath_match.compile_jsonpath(condition, version)


def _jsonpath_test(condition: str, version: str | None, data: Any, where: str) -> list[Any]:
    failure, warning = _jsonpath_condition(condition, version).test(data, where)
    return [failure, warning]


@functools.lru_cache(maxsize=256)
def _xpath_token(condition: str, version: str | None) -> Any:
    from arazzo_runner.criteria import xpath_match

    return xpath_match.parse_xpath(condition, version)


def _xpath_compile(condition: str, version: str | None) -> list[Any] | None:
    try:
        _xpath_token(condition, version)
    except ExpressionError as exc:
        return [exc.message, exc.position, exc.hint]
    return None


def _xpath_test(condition: str, version: str | None, value: str | bytes, where: str) -> list[Any]:
    from arazzo_runner.criteria import jsonpath_match, xpath_match

    try:
        root = xpath_match.parse_xml(value)
    except ValueError as exc:
        return [False, f"{where} {exc}", True]  # cannot be evaluated (not a false result)
    passed, result = xpath_match.evaluate_xpath(_xpath_token(condition, version), root)
    if passed:
        return [True, "", False]
    shown = jsonpath_match.show(result) if isinstance(result, (str, int, float, bool)) else "empty"
    return [False, f"XPath {condition} is {shown} on {where}", False]


def _jsonpath_select(selector: str, version: str | None, data: Any) -> list[Any]:
    """1.1 Selector Object: ``["ok", [values]]`` or ``["error", message]``."""
    from arazzo_runner.criteria import jsonpath_match

    try:
        path = jsonpath_match.compile_query(selector, version)
    except ExpressionError as exc:
        return ["error", exc.message]
    return ["ok", jsonpath_match.nodes(path, data)]


def _jsonpath_pointers(selector: str, version: str | None, data: Any) -> list[Any]:
    """1.1 ``targetSelectorType: jsonpath``: the JSON Pointers of the nodes it selects."""
    from arazzo_runner.criteria import jsonpath_match

    try:
        path = jsonpath_match.compile_query(selector, version)
    except ExpressionError as exc:
        return ["error", exc.message]
    return ["ok", [str(match.pointer()) for match in path.finditer(data)]]


def _xpath_select(selector: str, version: str | None, value: Any) -> list[Any]:
    """1.1 Selector Object on XML text: ``["ok", [string values]]`` or ``["error", message]``."""
    from arazzo_runner.criteria import xpath_match

    try:
        token = _xpath_token(selector, version)
        root = xpath_match.parse_xml(value)
    except (ExpressionError, ValueError) as exc:
        return ["error", getattr(exc, "message", str(exc))]
    return ["ok", xpath_match.select_values(token, root)]


def _warm(operation: str, version: str | None) -> None:
    """Import and build what ``operation`` needs, so its bound counts only its own work."""
    if operation == "jsonpath":
        _jsonpath_condition("$", version)
    elif operation in ("xpath", "xpath-compile"):
        _xpath_token("1", version)


OPERATIONS: dict[str, Callable[..., Any]] = {
    "regex": _regex,
    "jsonpath": _jsonpath_test,
    "xpath": _xpath_test,
    "xpath-compile": _xpath_compile,
    "jsonpath-select": _jsonpath_select,
    "jsonpath-pointers": _jsonpath_pointers,
    "xpath-select": _xpath_select,
    "warm": _warm,
}


_HELPER = Helper(OPERATIONS, __file__)
atexit.register(_HELPER.close)


def run(operation: str, *args: Any, seconds: float = DEFAULT_SECONDS) -> Any:
    """The result of :data:`OPERATIONS` ``[operation](*args)``, computed in the helper."""
    return _HELPER.run(operation, args, seconds)


@dataclass(frozen=True)
class XPathSource:
    """An XPath that is known to compile, in a bounded helper; evaluated there too."""

    text: str
    version: str | None


def compile_xpath(text: str, version: str | None = None) -> XPathSource:
    """Check ``text`` in the helper process (``elementpath``
    evaluates constant parts while it parses: ``count(1 to 1e11)`` would fill the memory);
    raises :class:`ExpressionError` with the position, or when compiling is out of bounds."""
    from arazzo_runner.criteria.xpath_match import XPATH_COMPILE_SECONDS, XPATH_VERSIONS

    if version is not None and version not in XPATH_VERSIONS:
        raise ExpressionError(
            f"unknown XPath version {version!r}",
            expression=text,
            hint=f"expected one of {', '.join(XPATH_VERSIONS)}",
        )
    try:
        problem = run("xpath-compile", text, version, seconds=XPATH_COMPILE_SECONDS)
    except (SandboxTimeout, SandboxFailure) as exc:
        raise ExpressionError(
            f"XPath cannot be compiled: {exc}",
            expression=text,
            position=0,
            hint="simplify it: constant parts are evaluated when an XPath is compiled",
        ) from None
    if problem is not None:
        message, position, hint = problem
        raise ExpressionError(message, expression=text, position=position, hint=hint)
    return XPathSource(text, version)


if __name__ == "__main__":
    # the folder that holds the package: three levels above this file
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from arazzo_runner.criteria import bounded

    serve(bounded.OPERATIONS, sys.stdin.buffer, sys.stdout.buffer)
