"""Semantic validation: every rule the Arazzo JSON Schema cannot express (notes §D6, T3).

Structural problems (missing fields, wrong types, unsupported ``arazzo`` versions) come from
:mod:`arazzo_runner.document` while the workspace loads; this module adds the rules that need the
whole description: unique ids, references between steps, workflows, components and sources,
operations that exist in the OpenAPI sources, and runtime expressions that parse.

Rules are small functions of one signature, ``rule(ctx) -> Iterable[Diagnostic]``, kept in a
table (:data:`RULES`, name -> function). A caller can pass its own table to add or drop rules::

    from arazzo_runner.validation.rules import RULES, validate_workspace
    quiet = {k: v for k, v in RULES.items() if k != "schema-key"}
    validate_workspace(ws, rules=quiet)

Every diagnostic code, its severity and the fix are listed in ``docs/validation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from arazzo_runner.diagnostics import Diagnostic, sort_diagnostics
from arazzo_runner.document import Workspace, minor_of, open_workspace
from arazzo_runner.validation.asyncapi import ASYNCAPI_RULES
from arazzo_runner.validation.bodies import BODY_RULES
from arazzo_runner.validation.context import Rule, RuleContext
from arazzo_runner.validation.dependencies import DEPENDENCY_RULES
from arazzo_runner.validation.expressions import EXPRESSION_RULES
from arazzo_runner.validation.extensions import EXTENSION_RULES
from arazzo_runner.validation.parameters import PARAMETER_RULES
from arazzo_runner.validation.redocly import REDOCLY_RULES
from arazzo_runner.validation.selectors import SELECTOR_RULES
from arazzo_runner.validation.servers import SERVER_RULES
from arazzo_runner.validation.structure import STRUCTURE_RULES
from arazzo_runner.validation.targets import TARGET_RULES

__all__ = ["RULES", "Rule", "RuleContext", "validate_path", "validate_workspace"]

RULES: Mapping[str, Rule] = {
    **STRUCTURE_RULES,
    **TARGET_RULES,
    **PARAMETER_RULES,
    **BODY_RULES,
    **EXPRESSION_RULES,
    **EXTENSION_RULES,
    **REDOCLY_RULES,
    **SERVER_RULES,
    **ASYNCAPI_RULES,
    **DEPENDENCY_RULES,
    **SELECTOR_RULES,
}


def validate_workspace(
    ws: Workspace, *, rules: Mapping[str, Rule] | None = None
) -> list[Diagnostic]:
    """Loading diagnostics plus every semantic rule run on every Arazzo document, sorted.

    Duplicates (same code, place and message) are reported once.
    """
    table = RULES if rules is None else rules
    found: list[Diagnostic] = list(ws.diagnostics)
    for doc in ws.documents.values():
        if minor_of(doc.arazzo) is None:
            continue  # the loader reported the version; judging the rest would only add noise
        ctx = RuleContext(ws, doc)
        for rule in table.values():
            found.extend(rule(ctx))
    return sort_diagnostics(dict.fromkeys(found))


def validate_path(path_or_url: str, *, offline: bool = False) -> list[Diagnostic]:
    """Open ``path_or_url`` with its sources and validate it; never raises for bad documents."""
    return validate_workspace(open_workspace(path_or_url, offline=offline))
