"""The OpenAPI 3.x index: operations by id, by path and method, and by JSON pointer.

:func:`load_openapi` turns a parsed OpenAPI 3.0, 3.1 or 3.2 description into an
:class:`OpenAPIIndex` plus a list of diagnostics; it never raises for a bad document. Swagger
2.0 or anything else is an ``unsupported-openapi`` error with an empty index.

``$ref`` are resolved by OpenAPI rules (:mod:`arazzo_runner.document.openapi.refs`): local
``#/components/...`` pointers, other files relative to the referring document (fetched through
the injected ``fetch``), chains and loops. Everything a request needs is resolved while
indexing; schemas are kept as written (they may be recursive) and
:meth:`OpenAPIIndex.resolve_schema` inlines them for JSON Schema validation. Every ``$ref`` in
the loaded documents is checked once, so a broken one is an ``unresolved-ref`` diagnostic.

Diagnostic codes: ``unsupported-openapi`` (error), ``unresolved-ref`` (error),
``duplicate-operation-id``, ``invalid-path-item``, ``invalid-parameter``,
``invalid-request-body``, ``invalid-security-scheme``, ``unknown-security-scheme`` (warnings).
"""

from __future__ import annotations

__all__ = [
    "MediaTypeSpec",
    "OpenAPIIndex",
    "Operation",
    "ParameterSpec",
    "RequestBodySpec",
    "ResponseSpec",
    "SecurityScheme",
    "Server",
    "load_openapi",
]

import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.location import Location
from arazzo_runner.document.openapi.build import IndexBuilder
from arazzo_runner.document.openapi.locate import locate_schema, value_at
from arazzo_runner.document.openapi.model import (
    MediaTypeSpec,
    Operation,
    ParameterSpec,
    RequestBodySpec,
    ResponseSpec,
    SecurityScheme,
    Server,
)
from arazzo_runner.document.openapi.refs import Node, RefResolver, split_pointer
from arazzo_runner.document.openapi.schema import SchemaInliner
from arazzo_runner.document.yaml_reader import LocatedDocument

_VERSION = re.compile(r"3\.[0-2](\.\d+)?([-+][0-9A-Za-z.-]*)?\Z")
_EMPTY_SCHEMES: Mapping[str, SecurityScheme] = MappingProxyType({})


class OpenAPIIndex:
    """Lookups over the operations of one OpenAPI description, built once."""

    def __init__(
        self,
        url: str,
        version: str,
        operations: tuple[Operation, ...] = (),
        security_schemes: Mapping[str, SecurityScheme] = _EMPTY_SCHEMES,
        *,
        document: LocatedDocument | None = None,
        inliner: SchemaInliner | None = None,
        schema_bases: Mapping[int, str] | None = None,
    ) -> None:
        self.url = url
        self.version = version
        self.operations = operations
        self.security_schemes = security_schemes
        self.document = document
        self._inliner = inliner
        self._schema_bases = dict(schema_bases or {})
        self._resolved: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
        self._registry: Any = None
        self._by_id: dict[str, Operation] = {}
        self._by_path: dict[tuple[str, str], Operation] = {}
        self._by_tokens: dict[tuple[str, ...], Operation | list[Operation]] = {}
        for op in operations:
            self._add(op)

    def _add(self, op: Operation) -> None:
        if op.operation_id is not None:
            self._by_id.setdefault(op.operation_id, op)
        self._by_path.setdefault((op.path, op.method), op)
        tokens = split_pointer(op.pointer) or ()
        self._by_tokens.setdefault(tokens, op)
        item = self._by_tokens.setdefault(("paths", op.path), [])
        if isinstance(item, list):
            item.append(op)

    def __repr__(self) -> str:
        return f"<OpenAPIIndex {self.url} {self.version} ({len(self.operations)} operations)>"

    def by_id(self, operation_id: str) -> Operation | None:
        """The operation with this ``operationId`` (the first one, if it is duplicated)."""
        return self._by_id.get(operation_id)

    def by_path(self, path: str, method: str) -> Operation | None:
        """The operation at a path template as written (``/pets/{id}``) and a method."""
        return self._by_path.get((path, method.lower()))

    def by_pointer(self, pointer: str) -> Operation | list[Operation] | None:
        """An operation pointer -> the Operation; a Path Item pointer -> its operations.

        ``pointer`` is percent-decoded already (``/paths/~1pets~1{id}/get``); a pointer that
        still holds ``%XX`` escapes is tried once more decoded.
        """
        for candidate in (pointer, unquote(pointer)):
            tokens = split_pointer(candidate)
            found = self._by_tokens.get(tokens) if tokens is not None else None
            if found is not None:
                return list(found) if isinstance(found, list) else found
        return None

    def resolve_schema(self, schema: Any, base_url: str | None = None) -> dict[str, Any]:
        """``schema`` with its ``$ref`` inlined (recursion cut to ``{}``), for validation.

        The base URL for relative references is ``base_url``, else the document the index
        took ``schema`` from, else the description's own URL. ``True`` gives ``{}`` and
        ``False`` gives ``{"not": {}}``. The result may share parts with other results: do
        not mutate it.
        """
        if schema is True or schema is None:
            return {}
        if schema is False:
            return {"not": {}}
        if self._inliner is None or not isinstance(schema, dict):
            return schema if isinstance(schema, dict) else {}
        base = base_url or self._schema_bases.get(id(schema), self.url)
        key = (id(schema), base)
        cached = self._resolved.get(key)
        if cached is None or cached[0] is not schema:
            result = self._inliner.inline(schema, base)
            result = result if isinstance(result, dict) else self.resolve_schema(result)
            cached = self._resolved[key] = (schema, result)
        return cached[1]

    # -- for the description checks (validation.contract) ------------------------------------

    def schema_base(self, schema: Any) -> str:
        """The URL of the document ``schema`` was read from (relative references start there)."""
        return self._schema_bases.get(id(schema), self.url)

    def locate_schema(self, tokens: Sequence[str | int]) -> Location | None:
        """Where the value at ``tokens`` from the root document is written, following ``$ref``
        at every step (so an inlined schema's error path names the keyword's file:line)."""
        if self._inliner is None:
            return None
        return locate_schema(
            self._inliner.resolver, self.url, tokens, siblings=self._inliner.siblings
        )

    def schema_registry(self) -> Any:
        """A ``referencing`` registry of every loaded document (made once, on first use), for
        validators that resolve references themselves (discriminator mappings)."""
        if self._registry is None:
            from referencing import Registry
            from referencing.jsonschema import DRAFT4, DRAFT202012

            spec = DRAFT4 if self.version.startswith("3.0") else DRAFT202012
            documents = self._inliner.resolver.documents if self._inliner is not None else {}
            self._registry = Registry().with_resources(
                (url, spec.create_resource(doc.data)) for url, doc in documents.items()
            )
        return self._registry

    def value_at(self, tokens: Sequence[str | int]) -> Any:
        """The value at ``tokens`` from the root document, following ``$ref`` on the way."""
        if self._inliner is None:
            return None
        return value_at(self._inliner.resolver, self.url, tokens, siblings=self._inliner.siblings)


def _version(located: LocatedDocument) -> tuple[str | None, str]:
    """The ``openapi`` version text, or None and a reason."""
    data = located.data
    if not isinstance(data, dict):
        return None, "this is not an OpenAPI description (the root is not a mapping)"
    if "swagger" in data and "openapi" not in data:
        return None, "Swagger 2.0 (OpenAPI 2) descriptions are not supported"
    raw = data.get("openapi")
    text = located.scalar_text(("openapi",)) or (raw if isinstance(raw, str) else None)
    if text is None:
        return None, "this is not an OpenAPI description (no 'openapi' version field)"
    if not _VERSION.match(text):
        return None, f"OpenAPI {text} is not supported"
    return text, ""


def _unsupported(located: LocatedDocument, url: str, reason: str) -> Diagnostic:
    data = located.data
    key = "swagger" if isinstance(data, dict) and "swagger" in data else "openapi"
    path: tuple[str, ...] = (key,) if isinstance(data, dict) else ()
    loc = located.locate(path)
    return Diagnostic(
        Severity.ERROR,
        "unsupported-openapi",
        reason,
        loc.file,
        loc.line,
        loc.column,
        "/" + key if path else "",
        "use an OpenAPI 3.0, 3.1 or 3.2 description (convert Swagger 2.0 first)",
    )


def load_openapi(
    located: LocatedDocument, url: str, fetch: Callable[[str], LocatedDocument]
) -> tuple[OpenAPIIndex, list[Diagnostic]]:
    """Index the OpenAPI description ``located``, retrieved from ``url`` (absolute).

    ``fetch(url)`` loads any other document a ``$ref`` names (fragment-free URL). It may
    raise :class:`~arazzo_runner.errors.ArazzoError`; that becomes a diagnostic.
    """
    url = url.partition("#")[0]
    version, reason = _version(located)
    if version is None:
        return OpenAPIIndex(url, "", document=located), [_unsupported(located, url, reason)]
    root = Node(located.data, located, url, ())
    modern = not version.startswith("3.0")
    resolver = RefResolver(root, fetch, overrides=modern)
    builder = IndexBuilder(resolver)
    builder.build()
    resolver.check_all()
    index = OpenAPIIndex(
        url,
        version,
        tuple(builder.operations),
        MappingProxyType(builder.schemes),
        document=located,
        inliner=SchemaInliner(resolver, siblings=modern),
        schema_bases=builder.schema_bases,
    )
    return index, [*resolver.diagnostics, *builder.diagnostics]
