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

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner._missing import MISSING as MODEL_MISSING
from arazzo_runner.criteria import bounded
from arazzo_runner.criteria.regex_syntax import as_text, compile_regex_pattern
from arazzo_runner.document import Criterion
from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions import (
    MISSING,
    CompiledValue,
    ExpressionContext,
    RuntimeExpression,
    compile_condition,
    compile_value,
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
    ``warning`` flags a pass or fail that may not be what the author meant; ``error`` is True
    when the criterion could not be evaluated at all (Arazzo 1.1 "Evaluation Errors": a
    pattern that is invalid once rendered, a context that is not JSON or XML, a bound hit),
    as opposed to a condition that was evaluated and is false."""

    passed: bool
    reason: str = ""
    warning: str | None = None
    error: bool = False


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
            reason = f"{kind} criterion could not be evaluated: {exc}"
            return CriterionResult(False, reason, error=True)


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


def _embedded(criterion: Criterion) -> CompiledValue | None:
    """A regex/JSONPath/XPath condition with ``{$...}`` parts (the spec: expressions can be
    embedded into string values), compiled as a template; ``None`` for plain text. The parts
    are rendered as in any template (strings as they are, other values as JSON text) and are
    not escaped: ``'^{$inputs.prefix}'`` searches for the input's text as a pattern."""
    if "{$" not in criterion.condition:
        return None
    try:
        template = compile_value(criterion.condition)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None
    return template if template.expressions else None


def _rendered(template: CompiledValue, ctx: ExpressionContext) -> tuple[str | None, str]:
    """The condition text in ``ctx``, or ``None`` and why it cannot be made."""
    text = template.evaluate(ctx)
    if isinstance(text, str):
        return text, ""
    missing = ", ".join(e.source for e in template.unresolved(ctx)) or "a part"
    return None, f"the condition embeds {missing}, which resolved to nothing"


# -- simple --------------------------------------------------------------------------------


def compile_simple(criterion: Criterion) -> CompiledCriterion:
    """A simple condition (C2-C6). A ``context`` is checked for syntax, then ignored."""
    try:
        condition = compile_condition(criterion.condition, criterion.rules)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None
    extra = () if criterion.context is None else (_context(criterion),)

    def check(ctx: ExpressionContext) -> CriterionResult:
        if condition.test(ctx):
            return PASSED
        return CriterionResult(False, condition.evaluate(ctx).reason)

    return CompiledCriterion(criterion, check, (*extra, *condition.expressions))


# -- regex -----------------------------------------------------------------------------------


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
    return CriterionResult(False, f"{what} on {where}: {exc} ({why})", error=True)


def compile_regex(criterion: Criterion) -> CompiledCriterion:
    """Search (not full match) the context text for the pattern (C7); a pattern with
    ``{$...}`` parts is rendered, then compiled, at each evaluation."""
    context = _context(criterion)
    template = _embedded(criterion)
    if template is not None:
        return _compile_embedded_regex(criterion, context, template)
    try:
        pattern, warning = compile_regex_pattern(criterion.condition)
    except ExpressionError as exc:
        raise _located(exc, criterion, "condition") from None
    check = _regex_check(criterion.condition, pattern, context)
    return CompiledCriterion(criterion, check, (context,), warning)


def _compile_embedded_regex(
    criterion: Criterion, context: RuntimeExpression, template: CompiledValue
) -> CompiledCriterion:
    def check(ctx: ExpressionContext) -> CriterionResult:
        text, why = _rendered(template, ctx)
        if text is None:
            return CriterionResult(False, f"regex: {why}", error=True)
        try:
            pattern, _ = compile_regex_pattern(text)
        except ExpressionError as exc:
            reason = f"the regex /{text}/ is not valid: {exc.message}"
            return CriterionResult(False, reason, error=True)
        return _regex_check(text, pattern, context)(ctx)

    return CompiledCriterion(criterion, check, (context, *template.expressions))


def _regex_check(source: str, pattern: re.Pattern[str], context: RuntimeExpression) -> Check:
    where = context.source
    backtracks = any(char in source for char in "*+?{|")

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        try:
            text = as_text(value)
        except UnicodeDecodeError:
            return CriterionResult(False, f"{where} is bytes that are not UTF-8 text", error=True)
        if text is None:
            state = "null" if value is None else "missing"
            return CriterionResult(False, f"{where} is {state}; a regex needs text")
        if len(text) > MAX_REGEX_TEXT:
            limit = f"the regex limit is {MAX_REGEX_TEXT} characters"
            reason = f"{where} is {len(text)} characters; {limit}"
            return CriterionResult(False, reason, error=True)
        try:
            found = _search(pattern, text, backtracks)
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"the regex /{source}/", where, exc)
        if found:
            return PASSED
        from arazzo_runner.criteria.jsonpath_match import show

        shown = show(text)
        return CriterionResult(False, f"{where} is {shown}, which does not match /{source}/")

    return check


# -- jsonpath ----------------------------------------------------------------------------------


def compile_jsonpath(criterion: Criterion) -> CompiledCriterion:
    """RFC 9535 (or the lenient Goessner dialect); a non-empty node list passes (C8)."""
    from arazzo_runner.criteria import jsonpath_match as _jsonpath

    context = _context(criterion)
    where, version = context.source, criterion.version
    null_fails = criterion.rules != "1.0"
    template = _embedded(criterion)
    warning = None
    if template is None:
        try:
            warning = _jsonpath.compile_jsonpath(criterion.condition, version).warning
        except ExpressionError as exc:
            raise _located(exc, criterion, "condition") from None

    def query(ctx: ExpressionContext) -> tuple[str | None, str]:
        if template is None:
            return criterion.condition, ""
        text, why = _rendered(template, ctx)
        if text is None:
            return None, f"JSONPath: {why}"
        try:
            _jsonpath.compile_jsonpath(text, version)
        except ExpressionError as exc:
            return None, f"the JSONPath {text} is not valid: {exc.message}"
        return text, ""

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        if _absent(value):
            return CriterionResult(False, f"{where} is missing; JSONPath needs a JSON value")
        if value is None and null_fails:  # 1.1: "If the context evaluates to null ... fail"
            return CriterionResult(False, f"{where} is null; JSONPath needs a JSON value")
        data = _jsonpath.as_json(value)
        if data is _jsonpath.NOT_JSON:
            shown = _jsonpath.show(value)
            return CriterionResult(False, f"{where} is {shown}, which is not JSON", error=True)
        text, why = query(ctx)
        if text is None:
            return CriterionResult(False, why, error=True)
        try:
            failure, note = bounded.run(
                "jsonpath", text, version, data, where, seconds=REGEX_SECONDS
            )
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"JSONPath {text}", where, exc)
        return CriterionResult(failure is None, failure or "", note)

    embedded = template.expressions if template is not None else ()
    return CompiledCriterion(criterion, check, (context, *embedded), warning)


# -- xpath -----------------------------------------------------------------------------------


def compile_xpath(criterion: Criterion) -> CompiledCriterion:
    """The XPath's effective boolean value over the context parsed as XML (C9).

    ``elementpath`` evaluates constant parts while it parses (``count(1 to 1e11)`` would fill
    the memory), so both parsing and evaluation run in :mod:`arazzo_runner.criteria.bounded`."""

    context = _context(criterion)
    where, version = context.source, criterion.version
    template = _embedded(criterion)
    if template is None:
        try:
            bounded.compile_xpath(criterion.condition, version)
        except ExpressionError as exc:
            raise _located(exc, criterion, "condition") from None

    def check(ctx: ExpressionContext) -> CriterionResult:
        value = context.evaluate(ctx)
        if _absent(value) or value is None:
            state = "null" if value is None else "missing"
            return CriterionResult(False, f"{where} is {state}; XPath needs XML text")
        if not isinstance(value, (str, bytes, bytearray)):
            kind = type(value).__name__
            return CriterionResult(False, f"{where} is {kind}, not XML text", error=True)
        text, why = (criterion.condition, "") if template is None else _rendered(template, ctx)
        if text is None:
            return CriterionResult(False, f"XPath: {why}", error=True)
        try:
            passed, reason, error = bounded.run(
                "xpath", text, version, value, where, seconds=REGEX_SECONDS
            )
        except (bounded.SandboxTimeout, bounded.SandboxFailure) as exc:
            return _stopped(f"XPath {text}", where, exc)
        return PASSED if passed else CriterionResult(False, reason, error=error)

    embedded = template.expressions if template is not None else ()
    return CompiledCriterion(criterion, check, (context, *embedded))


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
