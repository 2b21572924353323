"""JSONPath for ``jsonpath`` criteria: RFC 9535 queries and the common comparison dialect.

Queries run on ``python-jsonpath``: its strict environment follows RFC 9535 (the Arazzo
default); ``draft-goessner-dispatch-jsonpath-00`` selects its lenient environment.

Many documents write a comparison instead of a query (``$.status == "COMPLETED"``, fal's
workflows, Redocly's museum example). Such text does not parse as JSONPath, so it is tried as
an OR (``||``) of ANDs (``&&``) of ``<query> <op> <literal>`` or bare ``<query>``: the query must
select exactly one node, compared with the literal by the loose rules of simple conditions
(case-insensitive strings); a bare query passes when it selects anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonpath

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import MISSING, compare

__all__ = [
    "COMPARISON_WARNING",
    "GOESSNER",
    "NOT_JSON",
    "ROOT_FILTER_NOTE",
    "JsonPathCondition",
    "as_json",
    "compile_jsonpath",
    "show",
]

GOESSNER = "draft-goessner-dispatch-jsonpath-00"
COMPARISON_WARNING = (
    "jsonpath condition is a comparison; RFC 9535 wants a query such as $[?@.status == 'X']"
)
ROOT_FILTER_NOTE = (
    "a filter at the root ($[?...]) on an object tests the object itself (as Redocly and the "
    "spec's examples mean it); on an array it filters the members (RFC 9535)"
)
NOT_JSON: Any = object()
"""What :func:`as_json` returns for text that is not JSON."""

_ENVIRONMENTS: Mapping[str | None, jsonpath.JSONPathEnvironment] = {
    None: jsonpath.JSONPathEnvironment(strict=True),
    GOESSNER: jsonpath.JSONPathEnvironment(strict=False),
}
_ENVIRONMENTS = {**_ENVIRONMENTS, "rfc9535": _ENVIRONMENTS[None]}  # Arazzo 1.1 names the default
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_ROOT_FILTER = re.compile(r"\s*\$\s*\[\s*\?")

Outcome = tuple[str | None, str | None]
"""``(failure reason or None when passed, warning or None)``."""


def show(value: Any, limit: int = 60) -> str:
    """``value`` as short JSON text for a reason."""
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_json(value: Any) -> Any:
    """A JSON value: parsed bodies as they are, text or bytes parsed as JSON, else NOT_JSON."""
    if isinstance(value, (str, bytes, bytearray)):
        try:
            return json.loads(value)
        except ValueError:
            return NOT_JSON
    return value


def compile_query(text: str, version: str | None = None) -> Any:
    """A plain JSONPath query (no comparison dialect), for Selector Objects."""
    env = _ENVIRONMENTS.get(version)
    if env is None:
        raise ExpressionError(f"unknown JSONPath version {version!r}", expression=text)
    try:
        return env.compile(text.strip())
    except jsonpath.JSONPathError as exc:
        raise _syntax_error(exc, text) from None


def nodes(path: Any, data: Any) -> list[Any]:
    """The values a compiled query selects in ``data``."""
    return _nodes(path, data)


def _nodes(path: Any, data: Any) -> list[Any]:
    # python-jsonpath json-parses str data itself, so a JSON string goes in as its JSON text.
    feed = json.dumps(data) if isinstance(data, str) else data
    return [match.obj for match in path.finditer(feed)]


def _top_level(text: str, tokens: tuple[str, ...]) -> tuple[int, str] | None:
    """The first of ``tokens`` in ``text`` outside quotes, brackets and parentheses."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
            i += 2 if char == "\\" else 1
            continue
        if char in "'\"":
            quote = char
        depth += (char in "[(") - (char in "])")
        found = next((t for t in tokens if text.startswith(t, i)), None)
        if found and depth == 0 and not quote:
            return i, found
        i += 1
    return None


def _split(text: str, separator: str) -> list[str]:
    parts = []
    while (found := _top_level(text, (separator,))) is not None:
        parts.append(text[: found[0]])
        text = text[found[0] + len(separator) :]
    return [*parts, text]


def _literal(text: str) -> Any:
    """A single-quoted string (``''`` or ``\\'`` for a quote) or a JSON scalar."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("\\'", "'").replace("''", "'")
    try:
        value = json.loads(text)
    except ValueError:
        return NOT_JSON
    return NOT_JSON if isinstance(value, (list, dict)) else value


@dataclass(frozen=True)
class _Comparison:
    """``<query> <op> <literal>``, or a bare ``<query>`` when ``op`` is None."""

    path: Any
    text: str
    op: str | None = None
    literal: Any = None
    literal_text: str = ""

    def failure(self, data: Any) -> str | None:
        nodes = _nodes(self.path, data)
        if self.op is None:
            return None if nodes else f"JSONPath {self.text} matched no nodes"
        if len(nodes) > 1:
            return f"JSONPath {self.text} matched {len(nodes)} nodes; a comparison needs one"
        value = nodes[0] if nodes else MISSING
        if compare(self.op, value, self.literal):
            return None
        shown = show(value) if nodes else "missing"
        return f"{self.text} is {shown}, expected {self.op} {self.literal_text}"


def _comparison(text: str, env: jsonpath.JSONPathEnvironment) -> _Comparison | None:
    found = _top_level(text, _OPERATORS)
    left = (text if found is None else text[: found[0]]).strip()
    try:
        path = env.compile(left)
    except jsonpath.JSONPathError:
        return None
    if found is None:
        return _Comparison(path, left)
    right = text[found[0] + len(found[1]) :].strip()
    literal = _literal(right)
    return None if literal is NOT_JSON else _Comparison(path, left, found[1], literal, right)


def _comparison_dialect(
    text: str, env: jsonpath.JSONPathEnvironment
) -> tuple[tuple[_Comparison, ...], ...] | None:
    """``$.a == 'X' || $.b != 1 && $.c`` as an OR of ANDs, or None when it is not that."""
    if _top_level(text, ("||", "&&", *_OPERATORS)) is None:
        return None
    groups = []
    for part in _split(text, "||"):
        group = [_comparison(piece, env) for piece in _split(part, "&&")]
        checked = tuple(c for c in group if c is not None)
        if len(checked) != len(group):
            return None
        groups.append(checked)
    return tuple(groups)


@dataclass(frozen=True)
class JsonPathCondition:
    """A compiled jsonpath criterion condition. ``warning`` is the load-time note, if any."""

    text: str
    path: Any = None
    groups: tuple[tuple[_Comparison, ...], ...] = ()
    warning: str | None = None
    root_filter: bool = False

    def test(self, data: Any, where: str) -> Outcome:
        """Run on the JSON value ``data`` (read from ``where``).

        A query that starts with a filter at the root (``$[?...]``) run on an *object* tests
        that object: it runs on ``[data]``, whose only member is the object (the spec's own
        ``$[?count(@.pets) > 0]`` means "the body has pets"; strict RFC 9535 would test the
        body's members, and a negative filter would then pass on any body). On an array the
        filter selects members, as RFC 9535 says."""
        if self.path is None:
            return self._test_dialect(data)
        feed = [data] if self.root_filter and isinstance(data, dict) else data
        if _nodes(self.path, feed):
            return None, None
        return f"JSONPath {self.text} matched no nodes in {where}", None

    def _test_dialect(self, data: Any) -> Outcome:
        reasons = []
        for group in self.groups:
            failure = next((f for f in (c.failure(data) for c in group) if f is not None), None)
            if failure is None:
                return None, COMPARISON_WARNING
            reasons.append(failure)
        return "; ".join(reasons), COMPARISON_WARNING


def _syntax_error(exc: jsonpath.JSONPathError, text: str) -> ExpressionError:
    index = getattr(exc.token, "index", -1)
    message = str(exc.args[0]) if exc.args else "syntax error"
    position = index if 0 <= index <= len(text) else len(text)
    return ExpressionError(f"invalid JSONPath: {message}", expression=text, position=position)


def compile_jsonpath(text: str, version: str | None = None) -> JsonPathCondition:
    """Compile a query (or the comparison dialect); raises :class:`ExpressionError`."""
    env = _ENVIRONMENTS.get(version)
    if env is None:
        hint = f"the only JSONPath version is {GOESSNER}; leave it out for RFC 9535"
        raise ExpressionError(f"unknown JSONPath version {version!r}", expression=text, hint=hint)
    try:
        path = env.compile(text.strip())
    except jsonpath.JSONPathError as exc:
        groups = _comparison_dialect(text, env)
        if groups is None:
            raise _syntax_error(exc, text) from None
        return JsonPathCondition(text, groups=groups, warning=COMPARISON_WARNING)
    return JsonPathCondition(text.strip(), path, root_filter=bool(_ROOT_FILTER.match(text)))
