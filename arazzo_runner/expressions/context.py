"""What an expression can see: the ``MISSING`` sentinel, HTTP messages and the evaluation context.

The context is a plain immutable value built by the engine; this package never fills it.
``MISSING`` means *absent* and is kept apart from JSON ``null`` (``None``) everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from arazzo_runner._missing import MISSING as _MISSING
from arazzo_runner._missing import MissingType

__all__ = ["MISSING", "ExpressionContext", "Message", "MissingType"]


MISSING: Final = _MISSING
"""A value that is absent: an unknown input, a pointer into nothing, a response not yet seen.
The same object as :data:`arazzo_runner._missing.MISSING` (one sentinel for the package)."""


def _empty() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Message:
    """One HTTP request or response as expressions see it.

    ``headers`` keeps the names as sent; lookups through :meth:`header` ignore case (RFC 9110).
    Repeated headers are joined by the caller (one string per name). ``body`` is parsed JSON
    when the body was JSON, else ``str``/``bytes``, and ``MISSING`` when there was no body.
    """

    headers: Mapping[str, str] = field(default_factory=_empty)
    query: Mapping[str, Any] = field(default_factory=_empty)
    path: Mapping[str, Any] = field(default_factory=_empty)
    body: Any = MISSING
    _folded: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = {str(name).lower(): value for name, value in self.headers.items()}
        object.__setattr__(self, "_folded", folded)

    def header(self, name: str) -> Any:
        """The value of header ``name`` (any case), or ``MISSING``."""
        return self._folded.get(name.lower(), MISSING)


@dataclass(frozen=True)
class ExpressionContext:
    """Everything a runtime expression may read, by root.

    ==================== =====================================================================
    field                read by
    ==================== =====================================================================
    url                  ``$url``
    method               ``$method``
    status_code          ``$statusCode``
    request / response   ``$request.*`` / ``$response.*``
    inputs               ``$inputs.<name>``: the current workflow's inputs
    outputs              ``$outputs.<name>``: the called workflow's outputs (workflow steps)
    steps                ``$steps.<stepId>.outputs.<name>``: stepId -> that step's outputs
    workflows            ``$workflows.<id>.(inputs|outputs).<name>``: id -> {"inputs", "outputs"}
    source_descriptions  ``$sourceDescriptions.<name>.<key>``: name -> {"url": ..., ids...}.
                         Whoever builds it stores operationId/workflowId keys *after* fields
                         such as ``url``, so an id wins (R11, Arazzo #427).
    components           ``$components.<kind>.<key>``: kind -> key -> value
    ==================== =====================================================================
    """

    url: str | None = None
    method: str | None = None
    status_code: int | None = None
    request: Message | None = None
    response: Message | None = None
    inputs: Mapping[str, Any] = field(default_factory=_empty)
    outputs: Mapping[str, Any] = field(default_factory=_empty)
    steps: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    workflows: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=_empty)
    source_descriptions: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    self_uri: str | None = None  # 1.1 ``$self``: the document's identity (its URL without one)
    message: Message | None = None  # 1.1 ``$message``: an AsyncAPI message (body = payload)

    def with_(self, **changes: Any) -> ExpressionContext:
        """A copy with ``changes`` applied (as ``dataclasses.replace``, which raises for an
        unknown field name). The engine makes one per step, so the fields are copied directly
        (there is no ``__post_init__`` to run) instead of through ``replace``'s generic path."""
        if not changes.keys() <= _CONTEXT_FIELDS:
            return dataclasses.replace(self, **changes)
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy


_CONTEXT_FIELDS = frozenset(f.name for f in dataclasses.fields(ExpressionContext))
