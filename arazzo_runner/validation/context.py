"""What every semantic rule receives: the workspace, the document, and helpers to report.

A rule is ``def rule(ctx: RuleContext) -> Iterable[Diagnostic]``; the tables in
:mod:`arazzo_runner.validate` map rule codes to these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document import (
    Action,
    ArazzoDocument,
    Parameter,
    Reusable,
    Step,
    Workflow,
    Workspace,
)
from arazzo_runner.pointer import pointer_tokens

__all__ = ["COMPONENTS_PREFIX", "Rule", "RuleContext"]

COMPONENTS_PREFIX = "$components."


@dataclass(frozen=True)
class RuleContext:
    ws: Workspace
    doc: ArazzoDocument

    def report(
        self, severity: Severity, code: str, message: str, pointer: str, hint: str | None = None
    ) -> Diagnostic:
        where = self.ws.locate(self.doc, pointer)
        return Diagnostic(
            severity, code, message, where.file, where.line, where.column, pointer, hint
        )

    def error(self, code: str, message: str, pointer: str, hint: str | None = None) -> Diagnostic:
        return self.report(Severity.ERROR, code, message, pointer, hint)

    def warning(self, code: str, message: str, pointer: str, hint: str | None = None) -> Diagnostic:
        return self.report(Severity.WARNING, code, message, pointer, hint)

    def raw(self, pointer: str) -> Any:
        """The parsed value at ``pointer`` (``MISSING`` when absent)."""
        node = self.doc.raw
        for token in pointer_tokens(pointer):
            key: str | int = token
            if isinstance(node, list) and token.isdigit():
                key = int(token)  # a list index, as workspace.pointer_path reads it
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return MISSING
        return node

    def steps(self) -> Iterator[tuple[Workflow, int, Step]]:
        for workflow in self.doc.workflows:
            for index, step in enumerate(workflow.steps):
                yield workflow, index, step

    def component(self, reference: str) -> tuple[str, str] | None:
        """``$components.<kind>.<key>`` split into (kind, key)."""
        if not reference.startswith(COMPONENTS_PREFIX):
            return None
        kind, dot, key = reference[len(COMPONENTS_PREFIX) :].partition(".")
        return (kind, key) if dot and key else None

    def parameter(self, item: Parameter | Reusable) -> Parameter | None:
        """An inline parameter, or the component a Reusable names (``None`` if unknown)."""
        if isinstance(item, Parameter):
            return item
        split = self.component(item.reference)
        components = self.doc.components
        if split is None or split[0] != "parameters" or components is None:
            return None
        return components.parameters.get(split[1])

    def action(self, item: Action | Reusable) -> Action | None:
        if isinstance(item, Action):
            return item
        split = self.component(item.reference)
        components = self.doc.components
        if split is None or components is None:
            return None
        table = {"successActions": components.success_actions}
        table["failureActions"] = components.failure_actions
        found = table.get(split[0], {})
        return found.get(split[1])


Rule = Callable[[RuleContext], Iterable[Diagnostic]]
