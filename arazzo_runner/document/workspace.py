"""A workspace: the root Arazzo document plus every source description it reaches, loaded once.

:func:`open_workspace` reads the root document, then each ``sourceDescriptions`` entry
recursively (URLs resolve against the document that names them, notes S3/S5). OpenAPI sources
become an :class:`~.openapi.OpenAPIIndex`; Arazzo sources become documents of their
own, each loaded once by URL, so a cycle of Arazzo sources terminates (notes S4). A source that
cannot be read is a ``source-unreachable`` *warning*, never an exception: validation goes on and
the operations of that source are simply not checked.

The workspace also answers the lookups that validation and the engine share:
:meth:`Workspace.resolve_operation` (operationId / operationPath, with the dialects met in the
wild), :meth:`Workspace.find_workflow` (bare or ``$sourceDescriptions.<name>.<workflowId>``) and
:meth:`Workspace.locate` (a JSON pointer inside a document to a file:line:column).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.location import Location
from arazzo_runner.document.model import ArazzoDocument, SourceDescription, Step, Workflow
from arazzo_runner.document.yaml_reader import LocatedDocument
from arazzo_runner.errors import ArazzoError
from arazzo_runner.pointer import pointer_tokens

if TYPE_CHECKING:
    from arazzo_runner.document.openapi import OpenAPIIndex, Operation
    from arazzo_runner.document.sources import Fetcher

__all__ = [
    "OperationLookup",
    "ResolvedSource",
    "Workspace",
    "open_workspace",
    "pointer_path",
]

SOURCE_PREFIX = "$sourceDescriptions."
_PATH_TEMPLATE = re.compile(r"\{\$sourceDescriptions\.([^.{}]+)\.url\}(.*)\Z", re.DOTALL)
_BARE_SOURCE = re.compile(r"\$sourceDescriptions\.([^.#{}]+)(?:\.url)?(#.*)\Z", re.DOTALL)
_METHOD_PATH = re.compile(r"(?:([A-Za-z]+)\s+)?(/\S*)\Z")


@dataclass(frozen=True)
class ResolvedSource:
    """One source description after loading. ``error`` says why it could not be used."""

    name: str
    url: str
    kind: Literal["openapi", "arazzo", "asyncapi"]
    openapi: OpenAPIIndex | None = None
    arazzo: ArazzoDocument | None = None
    error: str | None = None
    asyncapi: Mapping[str, Any] | None = None  # 1.1: the AsyncAPI document as loaded (raw)


@dataclass(frozen=True)
class OperationLookup:
    """What a step's operationId/operationPath resolved to.

    ``status``: ``found``; ``unknown`` (no such operation); ``ambiguous`` (an unqualified id
    found in several sources); ``unknown-source`` (the named source does not exist);
    ``unchecked`` (the source could not be loaded); ``path-item`` (an operationPath pointing at
    a Path Item, ``candidates`` are its operations); ``bad-path`` (not a usable operationPath).
    ``dialect`` names a non-standard spelling that was still resolved, for a warning.
    """

    status: str
    source: ResolvedSource | None = None
    operation: Operation | None = None
    candidates: tuple[str, ...] = ()
    dialect: str | None = None


@dataclass
class Workspace:
    """Every document of one Arazzo description, loaded, with diagnostics from loading."""

    root: ArazzoDocument | None
    documents: Mapping[str, ArazzoDocument] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    located: Mapping[str, LocatedDocument] = field(default_factory=dict)
    resolved: Mapping[str, Mapping[str, ResolvedSource]] = field(default_factory=dict)

    def sources(self, doc: ArazzoDocument) -> Mapping[str, ResolvedSource]:
        """The loaded sources of ``doc`` by name (empty when nothing was loaded)."""
        return self.resolved.get(doc.url, {})

    def locate(
        self, doc: ArazzoDocument, pointer: str, fallback: Location | None = None
    ) -> Location:
        """Where ``pointer`` (RFC 6901, inside ``doc``) starts in its file."""
        located = self.located.get(doc.url)
        if located is None:
            return fallback or doc.loc
        return located.locate(pointer_path(located.data, pointer))

    def find_operation(
        self, doc: ArazzoDocument, step: Step
    ) -> tuple[ResolvedSource, Operation] | None:
        found = self.resolve_operation(doc, step)
        if found.source is None or found.operation is None:
            return None
        return found.source, found.operation

    def resolve_operation(self, doc: ArazzoDocument, step: Step) -> OperationLookup:
        if step.operation_id is not None:
            return _by_operation_id(self.sources(doc), step.operation_id)
        if step.operation_path is not None:
            return _by_operation_path(self.sources(doc), step.operation_path)
        return OperationLookup("unknown")

    def find_workflow(
        self, doc: ArazzoDocument, workflow_ref: str
    ) -> tuple[ArazzoDocument, Workflow] | None:
        """A bare id is local (notes V3); ``$sourceDescriptions.<name>.<id>`` is in a source.

        The Redocly spelling ``$sourceDescriptions.<name>.workflows.<id>`` is accepted too.
        """
        if not workflow_ref.startswith(SOURCE_PREFIX):
            local = doc.workflow(workflow_ref)
            return None if local is None else (doc, local)
        name, _, rest = workflow_ref[len(SOURCE_PREFIX) :].partition(".")
        source = self.sources(doc).get(name)
        if source is None or source.arazzo is None:
            return None
        target = source.arazzo
        found = target.workflow(rest)
        if found is None and rest.startswith("workflows."):
            found = target.workflow(rest[len("workflows.") :])
        return None if found is None else (target, found)


def pointer_path(data: Any, pointer: str) -> tuple[str | int, ...]:
    """An RFC 6901 pointer as a path tuple; list indices become ints by walking ``data``."""
    path: list[str | int] = []
    node = data
    for token in pointer_tokens(pointer):
        if isinstance(node, list) and token.isdigit():
            index = int(token)
            path.append(index)
            node = node[index] if index < len(node) else None
        else:
            path.append(token)
            node = node.get(token) if isinstance(node, Mapping) else None
    return tuple(path)


# -- operation lookup -------------------------------------------------------------------------


def _openapi_sources(sources: Mapping[str, ResolvedSource]) -> list[ResolvedSource]:
    return [s for s in sources.values() if s.kind == "openapi"]


def _in_source(source: ResolvedSource, operation_id: str, dialect: str | None) -> OperationLookup:
    if source.openapi is None:
        return OperationLookup("unchecked", source, dialect=dialect)
    operation = source.openapi.by_id(operation_id)
    status = "unknown" if operation is None else "found"
    return OperationLookup(status, source, operation, dialect=dialect)


def _by_operation_id(sources: Mapping[str, ResolvedSource], operation_id: str) -> OperationLookup:
    if operation_id.startswith(SOURCE_PREFIX):
        name, _, bare = operation_id[len(SOURCE_PREFIX) :].partition(".")
        source = sources.get(name)
        if source is not None:
            return _in_source(source, bare, None)
        folded = [s for key, s in sources.items() if key.casefold() == name.casefold()]
        if len(folded) == 1:  # `userAPI` for the source `UserAPI`: resolved, and warned
            return _in_source(folded[0], bare, "source-name-case")
        return OperationLookup("unknown-source")
    candidates = _openapi_sources(sources)
    matches = [s for s in candidates if s.openapi is not None and s.openapi.by_id(operation_id)]
    if len(matches) > 1:
        return OperationLookup("ambiguous", candidates=tuple(s.name for s in matches))
    if matches:
        return _in_source(matches[0], operation_id, None)
    prefix, dot, bare = operation_id.partition(".")
    if dot and prefix in sources:
        return _in_source(sources[prefix], bare, "source-dot-operation")
    if any(s.openapi is None for s in candidates):
        return OperationLookup("unchecked")
    return OperationLookup("unknown", candidates[0] if len(candidates) == 1 else None)


def _split_operation_path(
    sources: Mapping[str, ResolvedSource], text: str
) -> tuple[ResolvedSource | None, str, str | None] | None:
    """(source, fragment, dialect) for the spellings we understand, else None."""
    template = _PATH_TEMPLATE.match(text)
    if template:
        return sources.get(template.group(1)), template.group(2), None
    bare = _BARE_SOURCE.match(text)
    if bare:
        return sources.get(bare.group(1)), bare.group(2), "source-without-url"
    document, hash_, fragment = text.partition("#")
    if hash_ and document in sources:  # `<name>#/paths/...` (Jentic's catalogue)
        return sources[document], hash_ + fragment, "source-name"
    for source in sources.values():
        if hash_ and document and document in (source.url, source.url.rsplit("/", 1)[-1]):
            return source, hash_ + fragment, "literal-url"
    openapi = _openapi_sources(sources)
    if text.startswith("#") and len(openapi) == 1:
        return openapi[0], text, "fragment-only"
    return None


def _by_operation_path(sources: Mapping[str, ResolvedSource], text: str) -> OperationLookup:
    split = _split_operation_path(sources, text)
    if split is None:
        return _by_method_path(sources, text)
    source, fragment, dialect = split
    if source is None:
        return OperationLookup("unknown-source", dialect=dialect)
    if source.openapi is None:
        return OperationLookup("unchecked", source, dialect=dialect)
    if not fragment.startswith("#/"):
        return OperationLookup("bad-path", source, dialect=dialect)
    found = source.openapi.by_pointer(unquote(fragment[1:]))
    if found is None:
        return OperationLookup("unknown", source, dialect=dialect)
    if isinstance(found, list):
        names = tuple(op.method for op in found)
        single = found[0] if len(found) == 1 else None
        return OperationLookup("path-item", source, single, names, dialect)
    return OperationLookup("found", source, found, dialect=dialect)


def _by_method_path(sources: Mapping[str, ResolvedSource], text: str) -> OperationLookup:
    """The bare ``/status/200`` or ``POST /post`` dialect (strefethen, digital-onboarding)."""
    match = _METHOD_PATH.match(text.strip())
    openapi = _openapi_sources(sources)
    if match is None or len(openapi) != 1:
        return OperationLookup("bad-path")
    source = openapi[0]
    if source.openapi is None:
        return OperationLookup("unchecked", source, dialect="bare-path")
    method = (match.group(1) or "get").lower()
    operation = source.openapi.by_path(match.group(2), method)
    status = "unknown" if operation is None else "found"
    return OperationLookup(status, source, operation, dialect="bare-path")


# -- loading ----------------------------------------------------------------------------------


def open_workspace(
    path_or_url: str, *, offline: bool = False, fetcher: Fetcher | None = None
) -> Workspace:
    """Load ``path_or_url`` and everything it references; never raises for bad documents."""
    if fetcher is None:
        from arazzo_runner.document.sources import Fetcher

        fetcher = Fetcher(offline=offline)
    return _Loader(fetcher).load(path_or_url)


class _Loader:
    """Breadth of one description: each document fetched once by absolute URL."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.documents: dict[str, ArazzoDocument] = {}
        self.located: dict[str, LocatedDocument] = {}
        self.resolved: dict[str, dict[str, ResolvedSource]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[str] = set()
        self.by_identity: dict[str, ArazzoDocument] = {}  # 1.1: resolved $self -> document

    def load(self, path_or_url: str) -> Workspace:
        from arazzo_runner.document.loader import load_arazzo
        from arazzo_runner.document.sources import to_url

        doc, diagnostics = load_arazzo(path_or_url, fetcher=self.fetcher)
        self.diagnostics.extend(diagnostics)
        if doc is None:
            return self.workspace(None)
        url = to_url(path_or_url)
        self.seen.add(url)
        self.register(doc, self.fetcher.fetch(url))  # cached by the fetcher: no second read
        return self.workspace(doc)

    def workspace(self, root: ArazzoDocument | None) -> Workspace:
        return Workspace(root, self.documents, self.diagnostics, self.located, self.resolved)

    def nested(self, located: LocatedDocument, url: str) -> ArazzoDocument | None:
        """An Arazzo source: loaded once by URL, so a cycle of sources terminates."""
        if url in self.seen:
            return self.documents.get(url)
        from arazzo_runner.document.loader import build_document

        self.seen.add(url)
        doc, diagnostics = build_document(located, url)
        self.diagnostics.extend(diagnostics)
        if doc is not None:
            self.register(doc, located)
        return doc

    def register(self, doc: ArazzoDocument, located: LocatedDocument) -> None:
        self.documents[doc.url] = doc
        self.located[doc.url] = located
        if doc.self_uri is not None:
            self.by_identity[document_identity(doc)] = doc
        sources: dict[str, ResolvedSource] = {}
        self.resolved[doc.url] = sources
        for source in doc.source_descriptions:
            if source.name not in sources:
                sources[source.name] = self.source(doc, source)

    def source(self, doc: ArazzoDocument, source: SourceDescription) -> ResolvedSource:
        from arazzo_runner.document.sources import resolve_url

        url, identity = resolve_url(doc.url, source.url), None
        if doc.self_uri is not None:  # 1.1: relative references resolve against $self
            identity = resolve_url(document_identity(doc), source.url)
            known = self.by_identity.get(identity)
            if known is not None:  # identity-based referencing: no fetch
                return ResolvedSource(source.name, identity, "arazzo", arazzo=known)
            url = local_for(doc, identity)
        kind = source.type or "openapi"
        try:
            located = self.fetcher.fetch_ref(doc.url, url)
        except ArazzoError as exc:
            self.unreachable(doc, source, exc)
            return ResolvedSource(source.name, url, kind, error=exc.message)
        kind = source.type or _sniff(located.data)
        if kind == "arazzo":
            return ResolvedSource(source.name, url, kind, arazzo=self.nested(located, url))
        if kind == "asyncapi":  # structure only: channels are checked, nothing is run (issue 20)
            data = located.data if isinstance(located.data, Mapping) else {}
            return ResolvedSource(source.name, url, kind, asyncapi=data)
        from arazzo_runner.document.openapi import load_openapi

        index, diagnostics = load_openapi(located, url, self.fetcher.fetch)
        self.diagnostics.extend(diagnostics)
        return ResolvedSource(source.name, url, kind, openapi=index)

    def unreachable(self, doc: ArazzoDocument, source: SourceDescription, exc: ArazzoError) -> None:
        where = self.located[doc.url].locate(pointer_path(doc.raw, source.pointer + "/url"))
        message = f"source description {source.name!r} cannot be loaded: {exc.message}"
        hint = "its operations and workflows are not checked"
        if exc.hint:
            hint = f"{exc.hint}; {hint}"
        self.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                "source-unreachable",
                message,
                where.file,
                where.line,
                where.column,
                source.pointer + "/url",
                hint,
            )
        )


def document_identity(doc: ArazzoDocument) -> str:
    """1.1: the document's identity and base URI, ``$self`` resolved against where it was
    read; the retrieval URL when it has no ``$self``."""
    from arazzo_runner.document.sources import resolve_url

    return doc.url if doc.self_uri is None else resolve_url(doc.url, doc.self_uri)


def local_for(doc: ArazzoDocument, identity: str) -> str:
    """Where a URL in ``$self``'s space lies in the description set as read: a target on the
    same scheme and host as ``$self`` is read at the same relative place from the document
    (the set is read where it lies; ``$self`` names it). Any other URL is itself."""
    import posixpath
    from urllib.parse import urlsplit

    from arazzo_runner.document.sources import resolve_url

    base = document_identity(doc)
    there, here = urlsplit(identity), urlsplit(base)
    if base == doc.url or (there.scheme, there.netloc) != (here.scheme, here.netloc):
        return identity
    relative = posixpath.relpath(there.path or "/", posixpath.dirname(here.path) or "/")
    return resolve_url(doc.url, relative + (f"?{there.query}" if there.query else ""))


def _sniff(data: Any) -> Literal["openapi", "arazzo", "asyncapi"]:
    """[impl] notes D9: with no ``type``, the loaded document's root key decides."""
    if isinstance(data, Mapping) and "arazzo" in data and "openapi" not in data:
        return "arazzo"
    if isinstance(data, Mapping) and "asyncapi" in data and "openapi" not in data:
        return "asyncapi"
    return "openapi"
