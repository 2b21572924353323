"""The values an OpenAPI index hands out: operations and what a request needs from them.

Frozen and read-only (mappings are ``MappingProxyType`` views, often straight onto the parsed
document, which nobody mutates). Each keeps ``raw``, the object as written with its own
``$ref`` resolved, for anything not lifted into a field.
Re-exported by :mod:`arazzo_runner.document.openapi.index`, which is where to import them from.
"""

from __future__ import annotations

__all__ = [
    "MediaTypeSpec",
    "Operation",
    "ParameterSpec",
    "RequestBodySpec",
    "ResponseSpec",
    "SecurityScheme",
    "Server",
    "frozen",
]

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.document.location import Location

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


def frozen(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only view of ``data``, not a copy (a shared empty view when empty)."""
    return MappingProxyType(data) if data else _EMPTY


@dataclass(frozen=True, slots=True)
class Server:
    """A Server Object; ``url`` as written (it may be relative or hold ``{variables}``)."""

    url: str
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    description: str | None = None
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class MediaTypeSpec:
    """A Media Type Object. ``schema`` is None when absent; ``example`` MISSING when absent."""

    schema: Any = None
    example: Any = MISSING
    examples: Mapping[str, Any] = field(
        default_factory=_empty
    )  # name -> Example Object, $ref resolved
    item_schema: Any = None  # OpenAPI 3.2 ``itemSchema`` (sequential media types, SSE)
    encoding: Mapping[str, Any] = field(default_factory=_empty)
    extensions: Mapping[str, Any] = field(default_factory=_empty)  # x-... keys
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """A Parameter Object with the OpenAPI defaults filled in.

    ``required`` is always true for path parameters; ``style`` defaults to ``form`` for query
    and cookie and ``simple`` for path and header; ``explode`` defaults to true for ``form``;
    ``allow_reserved`` is also true for the ``x-allowReserved`` extension. A parameter
    described with ``content`` instead of ``schema`` has ``content`` and the schema of its
    (first) media type as ``schema``.
    """

    name: str
    in_: str
    required: bool = False
    style: str = "form"
    explode: bool = True
    allow_reserved: bool = False
    schema: Any = None
    content: Mapping[str, MediaTypeSpec] = field(default_factory=_empty)
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class RequestBodySpec:
    required: bool = False
    content: Mapping[str, MediaTypeSpec] = field(
        default_factory=_empty
    )  # media type as written -> spec
    description: str | None = None
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    description: str | None = None
    headers: Mapping[str, Any] = field(
        default_factory=_empty
    )  # name -> Header Object, $ref resolved
    content: Mapping[str, MediaTypeSpec] = field(default_factory=_empty)
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """A Security Scheme Object, as written (compare ``scheme`` case-insensitively).

    ``location`` and ``param_name`` are the ``in`` and ``name`` of an ``apiKey`` scheme.
    """

    key: str
    type: str  # apiKey | http | oauth2 | openIdConnect | mutualTLS
    scheme: str | None = None
    bearer_format: str | None = None
    location: str | None = None
    param_name: str | None = None
    flows: Mapping[str, Any] = field(default_factory=_empty)
    open_id_connect_url: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=_empty)
    raw: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One operation: a path item x method. Compared and hashed by identity.

    ``servers`` are the effective ones (operation, else path item, else root, else ``/``);
    ``parameters`` merge the path item's with the operation's by (name, in), the operation
    winning; ``security`` is the operation's, else the root's, else None (not declared);
    ``()`` means "no security". ``pointer`` is the operation's JSON pointer in the root
    document (``/paths/~1pets~1{id}/get``) even when its path item came through a ``$ref``.
    """

    operation_id: str | None
    method: str
    path: str
    servers: tuple[Server, ...]
    parameters: tuple[ParameterSpec, ...]
    request_body: RequestBodySpec | None
    responses: Mapping[str, ResponseSpec]
    security: tuple[Mapping[str, tuple[str, ...]], ...] | None
    loc: Location | None
    pointer: str
    raw: Mapping[str, Any]
    summary: str | None = None
    deprecated: bool = False
