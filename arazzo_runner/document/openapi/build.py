"""Build the operations and security schemes of an OpenAPI index from resolved documents.

Everything a request needs is resolved here, eagerly: path items, parameters, request bodies,
responses, headers, examples, media types and security schemes. Schemas are left as written
(see :mod:`arazzo_runner.document.openapi.schema`). Problems are warnings; one bad object is skipped
and the rest of the description stays usable.
"""

from __future__ import annotations

__all__ = ["METHODS", "IndexBuilder"]

from collections.abc import Mapping
from typing import Any, cast

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.openapi.model import (
    MediaTypeSpec,
    Operation,
    ParameterSpec,
    RequestBodySpec,
    ResponseSpec,
    SecurityScheme,
    Server,
    frozen,
)
from arazzo_runner.document.openapi.refs import Node, RefResolver
from arazzo_runner.pointer import escape_token, format_pointer

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
SCHEME_TYPES = frozenset({"apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"})
DEFAULT_SERVERS = (Server("/"),)
_DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}

Requirement = Mapping[str, tuple[str, ...]]
ParamKey = tuple[str, str]


def _extensions(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return frozen({k: v for k, v in value.items() if k.startswith("x-")})


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _param_key(spec: ParameterSpec) -> ParamKey:
    return (spec.name.lower() if spec.in_ == "header" else spec.name, spec.in_)


class _PathContext:
    """What the operations of one path item inherit."""

    def __init__(self, path: str, item: Node, pointer: str, params: dict[ParamKey, Any]) -> None:
        self.path = path
        self.item = item
        self.pointer = pointer
        self.params = params
        self.servers: tuple[Server, ...] = ()


class IndexBuilder:
    """One pass over a resolved description; results in ``operations`` and ``schemes``."""

    def __init__(self, resolver: RefResolver) -> None:
        self.r = resolver
        self.root = resolver.root
        self.diagnostics: list[Diagnostic] = []
        self.schema_bases: dict[int, str] = {}
        self.schemes: dict[str, SecurityScheme] = {}
        self.operations: list[Operation] = []
        self.ids: dict[str, Operation] = {}
        self.memo: dict[tuple[str, int], tuple[Any, Any]] = {}  # shared components, built once
        self.root_servers: tuple[Server, ...] = ()
        self.root_security: tuple[Requirement, ...] | None = None

    def build(self) -> None:
        self.schemes = self.security_schemes()
        self.root_servers = self.servers(self.root.child("servers")) or DEFAULT_SERVERS
        self.root_security = self.security(self.root.child("security"))
        paths = self.root.child("paths")
        if isinstance(paths.value, dict):
            for path in paths.value:
                if not path.startswith("x-"):
                    self.path_item(path, paths.child(path))

    # -- diagnostics -------------------------------------------------------------------------
    def warn(self, code: str, node: Node, message: str, hint: str | None = None) -> None:
        loc = node.doc.locate_key(node.path) if node.path else node.doc.locate(())
        pointer = format_pointer(node.path)
        self.diagnostics.append(
            Diagnostic(
                Severity.WARNING, code, message, loc.file, loc.line, loc.column, pointer, hint
            )
        )

    def check_duplicate_id(self, operation: Operation, node: Node) -> None:
        if operation.operation_id is None:
            return
        first = self.ids.setdefault(operation.operation_id, operation)
        if first is not operation:
            self.warn(
                "duplicate-operation-id",
                node.child("operationId"),
                f"operationId {operation.operation_id!r} is also used by "
                f"{first.method.upper()} {first.path}",
                "operationIds must be unique; lookups by this id find the first one",
            )

    # -- paths and operations ----------------------------------------------------------------
    def path_item(self, path: str, node: Node) -> None:
        item = self.r.resolve(node)
        if item is None:
            return
        if not isinstance(item.value, dict):
            self.warn("invalid-path-item", item, f"path item {path!r} is not a mapping")
            return
        pointer = "/paths/" + escape_token(path)
        ctx = _PathContext(path, item, pointer, self.parameters(item.child("parameters")))
        ctx.servers = self.servers(item.child("servers"))
        for method in METHODS:
            if isinstance(item.value.get(method), dict):
                self.operation(ctx, method, item.child(method), f"{pointer}/{method}")
        extra = item.child("additionalOperations")  # OpenAPI 3.2
        if isinstance(extra.value, dict):
            for name, value in extra.value.items():
                if isinstance(value, dict):
                    where = f"{pointer}/additionalOperations/{escape_token(name)}"
                    self.operation(ctx, name.lower(), extra.child(name), where)

    def operation(self, ctx: _PathContext, method: str, op: Node, pointer: str) -> None:
        own = self.parameters(op.child("parameters"))
        body = self.request_body(op.child("requestBody"))
        responses = self.responses(op.child("responses"))
        security = self.security(op.child("security"))
        raw = dict(op.value)
        if own:
            raw["parameters"] = [spec.raw for spec in own.values()]
        if body is not None:
            raw["requestBody"] = body.raw
        if responses:
            raw["responses"] = {code: spec.raw for code, spec in responses.items()}
        operation = Operation(
            operation_id=_str(op.value.get("operationId")),
            method=method,
            path=ctx.path,
            servers=self.servers(op.child("servers")) or ctx.servers or self.root_servers,
            parameters=tuple({**ctx.params, **own}.values()),
            request_body=body,
            responses=frozen(responses),
            security=self.root_security if security is None else security,
            loc=op.doc.locate_key(op.path),
            pointer=pointer,
            raw=frozen(raw),
            summary=_str(op.value.get("summary")),
            deprecated=op.value.get("deprecated") is True,
        )
        self.operations.append(operation)
        self.check_duplicate_id(operation, op)

    # -- parameters --------------------------------------------------------------------------
    def parameters(self, node: Node) -> dict[ParamKey, ParameterSpec]:
        found: dict[ParamKey, ParameterSpec] = {}
        if isinstance(node.value, list):
            for i in range(len(node.value)):
                spec = self.parameter(node.child(i))
                if spec is not None:
                    found[_param_key(spec)] = spec
        return found

    def remembered(self, kind: str, value: Any) -> Any:
        """The spec built earlier from this very object (a shared component), or None."""
        hit = self.memo.get((kind, id(value)))
        return hit[1] if hit is not None and hit[0] is value else None

    def remember(self, kind: str, value: Any, spec: Any) -> Any:
        self.memo[(kind, id(value))] = (value, spec)
        return spec

    def parameter(self, node: Node) -> ParameterSpec | None:
        r = self.r.resolve(node)
        if r is None:
            return None
        known = self.remembered("parameter", r.value)
        if known is not None:
            return cast(ParameterSpec, known)
        v = r.value
        if not isinstance(v, dict) or _str(v.get("name")) is None or _str(v.get("in")) is None:
            self.warn("invalid-parameter", r, "a parameter needs a string 'name' and 'in'")
            return None
        in_ = v["in"]
        style = _str(v.get("style")) or _DEFAULT_STYLE.get(in_, "form")
        explode = v.get("explode")
        content = self.content(r.child("content"))
        schema = v.get("schema")
        if schema is None and content:
            schema = next(iter(content.values())).schema
        self.note_schema(schema, r.url)
        spec = ParameterSpec(
            name=v["name"],
            in_=in_,
            required=in_ == "path" or v.get("required") is True,
            style=style,
            explode=explode if isinstance(explode, bool) else style == "form",
            allow_reserved=v.get("allowReserved") is True or v.get("x-allowReserved") is True,
            schema=schema,
            content=content,
            raw=frozen(v),
        )
        return cast(ParameterSpec, self.remember("parameter", v, spec))

    # -- bodies and responses ----------------------------------------------------------------
    def request_body(self, node: Node) -> RequestBodySpec | None:
        if node.value is None:
            return None
        r = self.r.resolve(node)
        if r is None:
            return None
        if not isinstance(r.value, dict):
            self.warn("invalid-request-body", r, "a request body must be a mapping")
            return None
        return RequestBodySpec(
            required=r.value.get("required") is True,
            content=self.content(r.child("content")),
            description=_str(r.value.get("description")),
            raw=frozen(r.value),
        )

    def responses(self, node: Node) -> dict[str, ResponseSpec]:
        found: dict[str, ResponseSpec] = {}
        if not isinstance(node.value, dict):
            return found
        for code in node.value:
            r = None if code.startswith("x-") else self.r.resolve(node.child(code))
            if r is not None and isinstance(r.value, dict):
                found[code] = self.remembered("response", r.value) or self.response(r)
        return found

    def response(self, r: Node) -> ResponseSpec:
        spec = ResponseSpec(
            description=_str(r.value.get("description")),
            headers=self.resolved_map(r.child("headers")),
            content=self.content(r.child("content")),
            raw=frozen(r.value),
        )
        return cast(ResponseSpec, self.remember("response", r.value, spec))

    def content(self, node: Node) -> Mapping[str, MediaTypeSpec]:
        found: dict[str, MediaTypeSpec] = {}
        known = self.remembered("content", node.value)
        if known is not None:
            return cast(Mapping[str, MediaTypeSpec], known)
        if isinstance(node.value, dict):
            for media_type in node.value:
                r = self.r.resolve(node.child(media_type))  # 3.2: components/mediaTypes
                if r is not None and isinstance(r.value, dict):
                    found[media_type] = self.media_type(r)
        return cast(
            Mapping[str, MediaTypeSpec], self.remember("content", node.value, frozen(found))
        )

    def media_type(self, node: Node) -> MediaTypeSpec:
        v = node.value
        self.note_schema(v.get("schema"), node.url)
        self.note_schema(v.get("itemSchema"), node.url)
        return MediaTypeSpec(
            schema=v.get("schema"),
            example=v["example"] if "example" in v else MediaTypeSpec().example,
            examples=self.resolved_map(node.child("examples")),
            item_schema=v.get("itemSchema"),
            encoding=frozen(v["encoding"] if isinstance(v.get("encoding"), dict) else None),
            extensions=_extensions(v),
            raw=frozen(v),
        )

    def resolved_map(self, node: Node) -> Mapping[str, Any]:
        """A name -> object map (headers, examples) with each entry's ``$ref`` resolved."""
        found: dict[str, Any] = {}
        if isinstance(node.value, dict):
            for name in node.value:
                r = self.r.resolve(node.child(name))
                if r is not None:
                    found[name] = r.value
        return frozen(found)

    def note_schema(self, schema: Any, url: str) -> None:
        """Remember the base URL of a schema that comes from another document."""
        if isinstance(schema, dict) and url != self.root.url:
            self.schema_bases[id(schema)] = url

    # -- servers and security ----------------------------------------------------------------
    def servers(self, node: Node) -> tuple[Server, ...]:
        """The Server Objects at ``node``; ``()`` when absent or empty (so the parent's apply)."""
        if not isinstance(node.value, list):
            return ()
        found = []
        for value in node.value:
            if isinstance(value, dict) and isinstance(value.get("url"), str):
                variables = value.get("variables")
                found.append(
                    Server(
                        url=value["url"],
                        variables=frozen(variables if isinstance(variables, dict) else None),
                        description=_str(value.get("description")),
                        raw=frozen(value),
                    )
                )
        return tuple(found)

    def security(self, node: Node) -> tuple[Requirement, ...] | None:
        if not isinstance(node.value, list):
            return None
        found = []
        for i, value in enumerate(node.value):
            if not isinstance(value, dict):
                continue
            for name in value:
                if name not in self.schemes:
                    self.warn(
                        "unknown-security-scheme",
                        node.child(i).child(name),
                        f"security requirement names {name!r}, which is not in "
                        "components.securitySchemes",
                    )
            found.append(
                frozen(
                    {
                        name: tuple(str(s) for s in scopes) if isinstance(scopes, list) else ()
                        for name, scopes in value.items()
                    }
                )
            )
        return tuple(found)

    def security_schemes(self) -> dict[str, SecurityScheme]:
        found: dict[str, SecurityScheme] = {}
        node = self.root.child("components").child("securitySchemes")
        if not isinstance(node.value, dict):
            return found
        for key in node.value:
            r = self.r.resolve(node.child(key))
            if r is None:
                continue
            v = r.value
            if not isinstance(v, dict) or v.get("type") not in SCHEME_TYPES:
                kinds = ", ".join(sorted(SCHEME_TYPES))
                message = f"security scheme {key!r} has no valid type; it is ignored"
                self.warn("invalid-security-scheme", r, message, f"type is one of: {kinds}")
                continue
            found[key] = _scheme(key, v)
        return found


def _scheme(key: str, v: dict[str, Any]) -> SecurityScheme:
    scheme = _str(v.get("scheme"))
    flows = v.get("flows")
    return SecurityScheme(
        key=key,
        type=v["type"],
        scheme=scheme,
        bearer_format=_str(v.get("bearerFormat")),
        location=_str(v.get("in")),
        param_name=_str(v.get("name")),
        flows=frozen(flows if isinstance(flows, dict) else None),
        open_id_connect_url=_str(v.get("openIdConnectUrl")),
        extensions=_extensions(v),
        raw=frozen(v),
    )
