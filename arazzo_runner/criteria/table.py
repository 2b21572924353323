"""Criterion evaluation: one small compiler per criterion type, chosen from a dispatch table.

Every criterion is compiled once, at load time (syntax errors raise :class:`ExpressionError`),
and evaluated many times. Evaluation never raises: a criterion that cannot be evaluated fails
and says why (notes C10). The rules for each type are on ``docs/criteria.md``:

========== ==================================================================================
simple     a condition (:func:`compile_condition`); ``context`` is parsed but not used
regex      ECMA-262-like search over the context as text (``re`` + ``re.ASCII``), bounded in
           time by :data:`REGEX_SECONDS` (see :mod:`arazzo_runner._regex_worker`)
jsonpath   RFC 9535 through ``python-jsonpath``; a non-empty node list passes
xpath      XPath 1.0/2.0/3.0/3.1 through ``elementpath`` over safely parsed XML; the
           effective boolean value decides
========== ==================================================================================

Another type is added by passing a new table: ``compile_criterion(c, {**COMPILERS, "x": f})``.

``python-jsonpath`` and ``elementpath`` cost about 70 ms and 130 ms to import, so their modules
are imported by the compilers that need them: a run or a ``validate`` with only simple
criteria never pays for them (``bench/cold_start.py``).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner._missing import MISSING as MODEL_MISSING
from arazzo_runner.criteria import bounded
from arazzo_runner.document import Criterion
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import (
    MISSING,
    ExpressionContext,
    RuntimeExpression,
    compile_condition,
    parse_expression,
)

__all__ = [
    "COMPILERS",
    "MAX_REGEX_TEXT",
    "REGEX_SECONDS",
    "CompiledCriterion",
    "CriterionCompiler",
    "CriterionResult",
    "compile_criterion",
    "evaluate_all",
]

MAX_REGEX_TEXT = 1024 * 1024
"""Regex criteria refuse longer context text."""
REGEX_SECONDS = 1.0
"""A regex search, JSONPath or XPath evaluation that runs longer fails its criterion (and an
XPath that takes longer to compile is a syntax error): they run in the helper process of
:mod:`arazzo_runner.criteria.bounded`, which is killed at the bound."""


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's outcome. ``reason`` says why it failed ("" when it passed);
    ``warning`` flags a pass or fail that may not be what the author meant."""

    passed: bool
    reason: str = ""
    warning: str | None = None


PASSED = CriterionResult(True)
Check = Callable[[ExpressionContext], CriterionResult]


@dataclass(frozen=True)
class CompiledCriterion:
    """A criterion ready to evaluate. ``expressions`` are the runtime expressions it reads;
    ``dialect_warning`` is a load-time note for the validator (or ``None``)."""

    criterion: Criterion
    check: Check = field(repr=False)
    expressions: tuple[RuntimeExpression, ...] = ()
    dialect_warning: str | None = None

    def evaluate(self, context: ExpressionContext) -> CriterionResult:
        """Pass or fail with a reason; never raises for runtime problems (C10)."""
        try:
            return self.check(context)
        except Exception as exc:  # C10: a criterion that cannot be evaluated fails
            kind = self.criterion.type
            return CriterionResult(False, f"{kind} criterion could not be evaluated: {exc}")


CriterionCompiler = Callable[[Criterion], CompiledCriterion]


def _absent(value: Any) -> bool:
    return value is MISSING or value is MODEL_MISSING


def _located(error: ExpressionError, criterion: Criterion, member: str) -> ExpressionError:
    """Fill in where the failing text lives in the document, when the error does not say."""
    if error.file is None:
        error.file, error.line, error.column = (
            criterion.loc.file,
            criterion.loc.line,
            criterion.loc.column,
        )
    if error.pointer is None:
        error.pointer = f"{criterion.pointer}/{member}"
    return error


def _context(criterion: Criterion) -> RuntimeExpression:
    """The compiled ``context`` expression; required for every type but ``simple`` (D46)."""
    if criterion.context is None:
        raise _located(
            ExpressionError(
                f"a {criterion.type} criterion needs a context",
                expression=criterion.condition,
                hint="add e.g. context: $response.body",
            ),
            criterion,
            "context",
        )
    try:
        return parse_expression(criterion.context)
    except ExpressionError as exc:
        raise _located(exc, criterion, "context") from None


# -- simple --------------------------------------------------------------------------------


def compile_simple(criterion: Criterion) -> CompiledCriterion:
    """A simple condition (C2-C6). A ``context`` is checked for syntax, then ignored."""
    try:
        condition = compile_condition(criterion.condition)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None
    extra = () if criterion.context is None else (_context(criterion),)

    def check(ctx: ExpressionContext) -> CriterionResult:
        if condition.test(ctx):
            return PASSED
        return CriterionResult(False, condition.evaluate(ctx).reason)

    return CompiledCriterion(criterion, check, (*extra, *condition.expressions))


# -- regex -----------------------------------------------------------------------------------

_ECMA_BACKREF = re.compile(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>")


def _translate_regex(source: str) -> tuple[str, list[int]]:
    """ECMA-262 pattern -> Python pattern, plus the source offset of each output character.

    ``(?<name>`` -> ``(?P<name>``, ``\\k<name>`` -> ``(?P=name)``, and ``$`` outside a class
    -> ``\\Z`` (ECMA ``$`` without the m flag never matches before a trailing newline).
    """
    out: list[str] = []
    origin: list[int] = []

    def emit(text: str, at: int) -> None:
        out.append(text)
        origin.extend([at] * len(text))

    i, in_class = 0, False
    while i < len(source):
        char = source[i]
        backref = _ECMA_BACKREF.match(source, i) if not in_class else None
        if backref:
            emit(f"(?P={backref.group(1)})", i)
            i = backref.end()
            continue
        if char == "\\":
            emit(source[i : i + 2], i)
            i += 2
            continue
        if in_class or char == "[":
            in_class = char != "]" or not in_class
            emit(char, i)
        elif source.startswith("(?<", i) and source[i + 3 : i + 4] not in ("=", "!"):
            emit("(?P<", i)
            i += 3
            continue
        else:
            emit("\\Z" if char == "$" else char, i)
        i += 1
    return "".join(out), origin


def _compile_regex_pattern(source: str) -> tuple[re.Pattern[str], str | None]:
    pattern, origin = _translate_regex(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = re.compile(pattern, re.ASCII)
        except re.error as exc:
            at = exc.pos if exc.pos is not None else len(pattern)
            position = origin[at] if at < len(origin) else len(source)
            raise ExpressionError(
                f"invalid regular expression: {exc.msg}", expression=source, position=position
            ) from None
    notes = "; ".join(str(w.message) for w in caught)
    return compiled, (f"regex: Python re warns: {notes}" if notes else None)


def _as_text(value: Any) -> str | None:
    """The context as regex input: str as-is, bytes as UTF-8, everything else as JSON text."""
    if _absent(value) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _search(pattern: re.Pattern[str], text: str, backtracks: bool) -> bool:
    """A pattern without repetition or alternation cannot backtrack badly: search it here;
    any other runs in the killable helper process of :mod:`arazzo_runner.criteria.bounded`."""
    if not backtracks:
        return pattern.search(text) is not None
    found: bool = bounded.run(
        "regex", pattern.pattern, int(pattern.flags), text, seconds=REGEX_SECONDS
    )
    return found


def _stopped(what: str, where: str, exc: Exception) -> CriterionResult:
    why = "catastrophic backtracking?" if isinstance(exc, bounded.SandboxTimeout) else "stopped"
    return CriterionResult(False, f"{what} on {where}: {exc} ({why})")


def compile_regex(criterion: Criterion) -> CompiledCriterion:
    """Search (not full match) the context text for the pattern (C7)."""
    context = _context(criterion)
    try:
        pattern, warning = _compile_regex_pattern(criterion.condition)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None
    where = context.source
    backtracks = any(char in criterion.condition for char in "*+?{|")

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        try:
            text = _as_text(value)
        except UnicodeDecodeError:
            return CriterionResult(False, f"{where} is bytes that are not UTF-8 text")
        if text is None:
            state = "null" if value is None else "missing"
            return CriterionResult(False, f"{where} is {state}; a regex needs text")
        if len(text) > MAX_REGEX_TEXT:
            limit = f"the regex limit is {MAX_REGEX_TEXT} characters"
            return CriterionResult(False, f"{where} is {len(text)} characters; {limit}")
        try:
            found = _search(pattern, text, backtracks)
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"the regex /{criterion.condition}/", where, exc)
        if found:
            return PASSED
        from arazzo_runner.criteria.jsonpath_match import show

        shown = show(text)
        return CriterionResult(
            False, f"{where} is {shown}, which does not match /{criterion.condition}/"
        )

    return CompiledCriterion(criterion, check, (context,), warning)


# -- jsonpath ----------------------------------------------------------------------------------


def compile_jsonpath(criterion: Criterion) -> CompiledCriterion:
    """RFC 9535 (or the lenient Goessner dialect); a non-empty node list passes (C8)."""
    from arazzo_runner.criteria import jsonpath_match as _jsonpath

    context = _context(criterion)
    where = context.source
    try:
        condition = _jsonpath.compile_jsonpath(criterion.condition, criterion.version)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        if _absent(value):
            return CriterionResult(False, f"{where} is missing; JSONPath needs a JSON value")
        data = _jsonpath.as_json(value)
        if data is _jsonpath.NOT_JSON:
            return CriterionResult(False, f"{where} is {_jsonpath.show(value)}, which is not JSON")
        try:
            failure, warning = bounded.run(
                "jsonpath", criterion.condition, criterion.version, data, where,
                seconds=REGEX_SECONDS,
            )  # fmt: skip
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"JSONPath {criterion.condition}", where, exc)
        return CriterionResult(failure is None, failure or "", warning)

    return CompiledCriterion(criterion, check, (context,), condition.warning)


# -- xpath -----------------------------------------------------------------------------------


def compile_xpath(criterion: Criterion) -> CompiledCriterion:
    """The XPath's effective boolean value over the context parsed as XML (C9).

    ``elementpath`` evaluates constant parts while it parses (``count(1 to 1e11)`` would fill
    the memory), so both parsing and evaluation run in :mod:`arazzo_runner.criteria.bounded`."""

    context = _context(criterion)
    where, text, version = context.source, criterion.condition, criterion.version
    try:
        bounded.compile_xpath(text, version)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        if _absent(value) or value is None:
            state = "null" if value is None else "missing"
            return CriterionResult(False, f"{where} is {state}; XPath needs XML text")
        if not isinstance(value, (str, bytes, bytearray)):
            return CriterionResult(False, f"{where} is {type(value).__name__}, not XML text")
        try:
            passed, reason = bounded.run(
                "xpath", text, version, value, where, seconds=REGEX_SECONDS
            )
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"XPath {text}", where, exc)
        return PASSED if passed else CriterionResult(False, reason)

    return CompiledCriterion(criterion, check, (context,))


# -- the table ---------------------------------------------------------------------------------

COMPILERS: Mapping[str, CriterionCompiler] = {
    "simple": compile_simple,
    "regex": compile_regex,
    "jsonpath": compile_jsonpath,
    "xpath": compile_xpath,
}


def compile_criterion(
    criterion: Criterion, compilers: Mapping[str, CriterionCompiler] = COMPILERS
) -> CompiledCriterion:
    """Compile ``criterion`` with the compiler its ``type`` selects; raises ExpressionError."""
    compiler = compilers.get(criterion.type)
    if compiler is None:
        error = ExpressionError(
            f"unknown criterion type {criterion.type!r}",
            hint="expected one of " + ", ".join(sorted(compilers)),
        )
        raise _located(error, criterion, "type")
    return compiler(criterion)


def evaluate_all(
    criteria: Iterable[CompiledCriterion], context: ExpressionContext
) -> list[CriterionResult]:
    """Every criterion's result, in order; the step passes when all of them pass (C1)."""
    return [criterion.evaluate(context) for criterion in criteria]
