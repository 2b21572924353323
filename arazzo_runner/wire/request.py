"""Building one request: operation + evaluated step values -> method, URL, headers, body bytes.

Pure but for the credentials (an :class:`~arazzo_runner.wire.auth.Authenticator` may fetch an
OAuth2 token). Order matters: the workflow's own parameters are placed first, so an explicit
``Authorization`` header (or api-key query/cookie parameter) wins over a credential.
"""

from __future__ import annotations

__all__ = ["BuiltRequest", "Targets", "base_url", "build_request"]

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from arazzo_runner._missing import MISSING
from arazzo_runner.document import Workspace
from arazzo_runner.document.openapi import Operation, ParameterSpec
from arazzo_runner.engine import OperationCall, Unset
from arazzo_runner.errors import InputError, RunError
from arazzo_runner.streaming import STREAM_EXTENSION, StreamSpec, stream_spec
from arazzo_runner.wire.auth import Authenticator, Outgoing
from arazzo_runner.wire.bodies import apply_replacements, choose_content_type, encode_body
from arazzo_runner.wire.querystring import serialize_query_string
from arazzo_runner.wire.serialize import serialize_parameter
from arazzo_runner.wire.urls import compile_path, join_url, server_url
from arazzo_runner.wire.xsecurity import apply_x_security

_LOCATIONS = ("path", "query", "querystring", "header", "cookie")


@dataclass
class BuiltRequest:
    """Everything to send, plus the evaluated values ``$request.*`` reads."""

    method: str
    base: str
    path: str = ""
    out: Outgoing = field(default_factory=Outgoing)
    content: bytes | None = None
    query_values: dict[str, Any] = field(default_factory=dict)
    path_values: dict[str, Any] = field(default_factory=dict)
    path_text: dict[str, str] = field(default_factory=dict)  # encoded segments by name
    body: Any = MISSING
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    query_string: str | None = None  # Arazzo 1.1 ``in: querystring``: the whole query string

    @property
    def url(self) -> str:
        pairs = list(self.out.query)
        if self.query_string is not None:
            pairs.insert(0, (self.query_string, None))  # type: ignore[arg-type]
        return join_url(self.base, self.path, pairs)

    def headers(self) -> dict[str, str]:
        headers = dict(self.out.headers)
        if self.out.cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in self.out.cookies)
            existing = next((k for k in headers if k.lower() == "cookie"), None)
            if existing is None:
                headers["Cookie"] = cookie
            else:
                headers[existing] = f"{headers[existing]}; {cookie}"
        return headers


def base_url(
    source_name: str, document_url: str, operation: Operation, servers: Mapping[str, str]
) -> str:
    """The ``--server`` override for the source, else the operation's effective server."""
    override = servers.get(source_name)
    if override is not None:
        scheme = urlsplit(override).scheme
        if scheme not in ("http", "https"):
            websocket = scheme in ("ws", "wss")
            raise InputError(
                f"--server {source_name}={override}: not an http(s) URL",
                hint="a ws:// or wss:// server needs --transport websocket" if websocket else None,
            )
        return override.rstrip("/")
    server = operation.servers[0] if operation.servers else None
    raw: Mapping[str, Any] = {"url": "/"}
    if server is not None:
        raw = {"url": server.url, "variables": dict(server.variables)}
    url = server_url(raw, base=document_url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise RunError(
            f"the server of source {source_name!r} resolves to {url or '/'!r}, which is not an"
            " http(s) URL",
            hint=f"pass --server {source_name}=URL (e.g. --server {source_name}=http://127.0.0.1:8080)",
        )
    return url


class Targets:
    """What a step's request is sent to, found once per run for what asks the same: the
    operation (per operationId or operationPath), the base URL (per operation and ``--server``
    value) and a step's ``x-arazzo-stream`` settings. What raises is never kept, so it raises
    again; what is keyed by ``id()`` is kept alive with its answer."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace
        self._operations: dict[tuple[int, str | None, str | None], tuple[Any, Any]] = {}
        self._bases: dict[tuple[str, str, int, str | None], tuple[Operation, str]] = {}
        self._specs: dict[int, tuple[Any, StreamSpec | None]] = {}

    def operation(self, call: OperationCall) -> tuple[Any, Operation] | None:
        """``find_operation``; a :class:`Workspace` answers from the step's operationId or
        operationPath alone (any other workspace is asked every time)."""
        step = call.step
        if type(self.workspace) is not Workspace:
            found: tuple[Any, Operation] | None = self.workspace.find_operation(call.document, step)
            return found
        key = (id(call.document), step.operation_id, step.operation_path)
        cached = self._operations.get(key)
        if cached is None or cached[0] is not call.document:
            cached = (call.document, self.workspace.find_operation(call.document, step))
            self._operations[key] = cached
        return cached[1]

    def base_url(self, source: Any, operation: Operation, servers: Mapping[str, str]) -> str:
        """:func:`base_url`; a changed ``--server`` value (``servers``) is used at once."""
        override = servers.get(source.name)  # the one setting base_url reads
        key = (source.name, source.url, id(operation), override)
        cached = self._bases.get(key)
        if cached is None or cached[0] is not operation:
            cached = (operation, base_url(source.name, source.url, operation, servers))
            self._bases[key] = cached
        return cached[1]

    def stream_spec(self, call: OperationCall) -> StreamSpec | None:
        if call.step.extensions.get(STREAM_EXTENSION) is None:
            return None  # what stream_spec answers first (most steps), without the cache
        cached = self._specs.get(id(call.step))
        if cached is None or cached[0] is not call.step:
            cached = (call.step, stream_spec(call.step))
            self._specs[id(call.step)] = cached
        return cached[1]


def _spec_for(operation: Operation, name: str, location: str | None) -> ParameterSpec | None:
    if location is None:
        found = [p for p in operation.parameters if p.name == name]
        if len(found) == 1:
            return found[0]
        raise InputError(f"parameter {name!r} has no 'in' and the operation has no single match")
    for spec in operation.parameters:
        if spec.in_ != location:
            continue
        if spec.name == name or (location == "header" and spec.name.lower() == name.lower()):
            return spec
    return None


def _definition(name: str, location: str, spec: ParameterSpec | None) -> dict[str, Any]:
    """The Parameter Object the serializer reads (OpenAPI defaults when undeclared)."""
    definition: dict[str, Any] = {"name": name, "in": location}
    if spec is not None:
        definition.update(style=spec.style, explode=spec.explode, allowReserved=spec.allow_reserved)
        if spec.content:
            definition["content"] = dict(spec.content)
    return definition


def _place(
    built: BuiltRequest, operation: Operation, name: str, location: str | None, value: Any
) -> None:
    spec = _spec_for(operation, name, location)
    where = location or (spec.in_ if spec is not None else None)
    if where not in _LOCATIONS:
        raise InputError(f"parameter {name!r}: unknown location {where!r}")
    if isinstance(value, Unset):
        _leave_out(built, name, where, spec, value)
        return
    if value is MISSING:
        return  # an expression that resolved to nothing; a missing path value is reported later
    if where == "querystring":
        _query_string(built, name, spec, value)
        return
    pairs = serialize_parameter(_definition(name, where, spec), value)
    if where == "path":
        built.path_values[name] = value
        built.path_text[name] = pairs[0][1]
    elif where == "query":
        built.query_values[name] = value
        built.out.query.extend(pairs)
    elif where == "header":
        built.out.headers.update(pairs)
    else:
        built.out.cookies.extend(pairs)


def _query_string(built: BuiltRequest, name: str, spec: ParameterSpec | None, value: Any) -> None:
    """1.1 ``in: querystring``: the value is the whole query string, serialized by the media
    type of the operation's querystring parameter ``content`` (form encoding by default)."""
    if built.query_string is not None:
        raise InputError(f"querystring parameter {name!r}: a request has one query string")
    media = next(iter(spec.content), None) if spec is not None and spec.content else None
    built.query_string = serialize_query_string(value, media)
    built.query_values[name] = value


_NEVER_DECLARED = frozenset({"accept", "content-type", "authorization"})


def _leave_out(
    built: BuiltRequest, name: str, where: str, spec: ParameterSpec | None, value: Unset
) -> None:
    """An optional input not given: the parameter is left out only when the operation lets
    it be (declared, not required, not in the path; or a header OpenAPI never declares)."""
    never = where == "header" and name.lower() in _NEVER_DECLARED
    if (spec is not None and not spec.required and where != "path") or (spec is None and never):
        built.notes.append(f"omitted: {name} ({value.reason})")
        return
    if spec is None:
        why = "which the operation does not declare"
    else:
        why = "which the operation requires"
    raise InputError(f"{where} parameter {name!r}, {why}: {value.reason}")


def _body(built: BuiltRequest, call: OperationCall, operation: Operation) -> None:
    if call.payload is MISSING:
        return
    declared = list(operation.request_body.content) if operation.request_body else []
    content_type = choose_content_type(declared, call.content_type)
    if content_type is not None and "*" in content_type:
        content_type = None  # a declared range (application/*) is not a Content-Type to send
    payload = apply_replacements(call.payload, content_type, call.replacements)
    built.content, sent_type = encode_body(payload, content_type)
    built.body = payload
    if not built.out.has_header("Content-Type"):
        built.out.headers["Content-Type"] = sent_type


def build_request(
    call: OperationCall,
    operation: Operation,
    base: str,
    authenticator: Authenticator,
    schemes: Mapping[str, Any],
) -> BuiltRequest:
    """Place parameters, encode the body, add credentials; raises InputError/CredentialsError."""
    built = BuiltRequest(operation.method.upper(), base)
    for name, location, value in call.parameters:
        _place(built, operation, name, location, value)
    if built.query_string is not None and built.query_values.keys() - {
        n for n, where, _ in call.parameters if where == "querystring"
    }:
        raise InputError("in: querystring cannot be combined with in: query parameters")
    built.path = compile_path(operation.path).format(built.path_text)
    _body(built, call, operation)
    if call.security:
        apply_x_security(call.security, schemes, built.out, authenticator.redactor)
    authenticator.apply(operation.security, schemes, built.out, base)
    return built
