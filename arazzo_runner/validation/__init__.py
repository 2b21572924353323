"""Validation (layer 3): the semantic rules of a loaded workspace, and the inputs check.

:data:`RULES` is the table of rules (name -> function of a :class:`RuleContext`), assembled in
:mod:`.rules` from :mod:`.structure`, :mod:`.targets`, :mod:`.expressions` and
:mod:`.extensions`; pass another table to :func:`validate_workspace` to change it.
:func:`check_inputs` checks a workflow's inputs against its schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.validation.context import Rule, RuleContext
    from arazzo_runner.validation.inputs import check_inputs
    from arazzo_runner.validation.rules import RULES, validate_path, validate_workspace

__all__ = [
    "RULES",
    "Rule",
    "RuleContext",
    "check_inputs",
    "validate_path",
    "validate_workspace",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "RULES": "rules",
            "Rule": "context",
            "RuleContext": "context",
            "check_inputs": "inputs",
            "validate_path": "rules",
            "validate_workspace": "rules",
        },
    )
