"""The description as a contract (layer 3): every request and response of a run, and each event
of a stream, checked against the operation in the OpenAPI description.

Checks: ``request``, ``status-code``, ``content-type``, ``schema``, ``headers`` and
``event-schema``, each at the level :class:`CheckSettings` gives it (``error``, ``warn``, ``off``;
see ``docs/checks.md``). The wire asks a run's :class:`Contract` for an operation's
:class:`OperationContract` (built on first use, **once per operation**, its schemas compiled
then) and calls it before sending, on the response and, through a hook, on each event. What
the checks find are :class:`~arazzo_runner.results.Failure` values naming the check, level,
JSON Pointer, schema keyword and the keyword's file:line, appended to the exchange's list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.validation.contract.events import ITEM_EXTENSION
    from arazzo_runner.validation.contract.operation import Contract, OperationContract
    from arazzo_runner.validation.contract.requests import RequestValues
    from arazzo_runner.validation.contract.settings import (
        CHECKS,
        LEVELS,
        CheckSettings,
        parse_severity,
    )

__all__ = [
    "CHECKS",
    "CheckSettings",
    "Contract",
    "ITEM_EXTENSION",
    "LEVELS",
    "OperationContract",
    "RequestValues",
    "parse_severity",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "CHECKS": "settings",
            "ITEM_EXTENSION": "events",
            "LEVELS": "settings",
            "CheckSettings": "settings",
            "Contract": "operation",
            "OperationContract": "operation",
            "RequestValues": "requests",
            "parse_severity": "settings",
        },
    )
