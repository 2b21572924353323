"""Diagnostics: what ``arazzo validate`` reports, as values.

A :class:`Diagnostic` names a severity, a stable code (``kebab-case``; the catalogue lives in
``docs/validation.md``), a message written for the person who has to fix the file, and where:
file, 1-based line and column, and the JSON pointer inside the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

__all__ = ["Diagnostic", "Severity", "has_errors", "sort_diagnostics"]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    file: str
    line: int = 1
    column: int = 1
    pointer: str = ""
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.severity.value} {self.code} {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """File, then position, then code: a stable order for people and for diffs."""
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.column, d.code, d.message))
