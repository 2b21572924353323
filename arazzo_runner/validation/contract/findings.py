"""Findings: what the checks of one exchange found, each a :class:`~arazzo_runner.results.Failure`
that names its check and level (and, for a schema, the pointer, keyword and file:line).

The reason reads on one line, so every report shows it as it is::

    schema: the response body at /items/0/price: 'x' is not of type 'number'
      (keyword type, schema openapi/shop.openapi.yaml:42)

(one line in reality). ``off`` checks add nothing; at most :data:`MAX_FINDINGS` are kept per
exchange, and the rest are counted in one last finding.
"""

from __future__ import annotations

__all__ = ["MAX_FINDINGS", "Findings"]

from typing import Any

from arazzo_runner.results import Failure
from arazzo_runner.validation.contract.schemas import CompiledSchema, Problem
from arazzo_runner.validation.contract.settings import CheckSettings

MAX_FINDINGS = 20


class Findings:
    """Collects the findings of one exchange into ``items`` (the exchange's own list)."""

    def __init__(self, settings: CheckSettings, items: list[Failure]) -> None:
        self.settings = settings
        self.items = items
        self.errors = 0
        self.dropped = 0

    def wants(self, check: str) -> bool:
        return self.settings.enabled(check)

    def add(self, check: str, message: str, problem: Problem | None = None) -> None:
        level = self.settings.level(check)
        if level == "off":
            return
        if level == "error":
            self.errors += 1
        if len(self.items) >= MAX_FINDINGS:
            self.dropped += 1
            self._count_dropped(level)
            return
        self.items.append(_failure(check, level, message, problem))

    def schema(
        self, check: str, compiled: CompiledSchema, value: Any, what: str, prefix: str = ""
    ) -> bool:
        """Validate ``value``; add a finding per problem. True when it matched (or is off)."""
        if not self.wants(check):
            return True
        fast = compiled.fast
        if fast is not None and fast(value):
            return True
        problems = compiled.problems(value, prefix=prefix)
        for problem in problems:
            at = problem.pointer or "/"
            self.add(check, f"{what} at {at}: {problem.message}", problem)
        return not problems

    def _count_dropped(self, level: str) -> None:
        note = f"({self.dropped} more findings not listed)"
        last = self.items[-1]
        if last.check == "more":
            severity = "error" if "error" in (level, last.severity) else "warn"
            self.items[-1] = Failure(note, check="more", severity=severity)
        else:
            self.items.append(Failure(note, check="more", severity=level))


def _failure(check: str, level: str, message: str, problem: Problem | None) -> Failure:
    if problem is None:
        return Failure(f"{check}: {message}", check=check, severity=level)
    detail = f"keyword {problem.keyword}"
    if problem.schema:
        detail += f", schema {problem.schema}"
    return Failure(
        f"{check}: {message} ({detail})",
        check=check,
        severity=level,
        pointer=problem.pointer,
        keyword=problem.keyword,
        schema=problem.schema,
    )
