"""Redocly Respect's extensions, validated as Redocly's lint does, so its workflows run unchanged.

``x-security`` (on a workflow or a step) is a list of entries, each either
``{schemeName, values}`` (a security scheme of the step's OpenAPI source) or
``{scheme, values}`` (an inline OpenAPI Security Scheme Object). The values a scheme needs:

========================= =========================
``apiKey``                ``apiKey``
``http`` ``basic``        ``username``, ``password``
``http`` ``digest``       ``username``, ``password``
``http`` ``bearer``       ``token``
``oauth2``                ``accessToken``
``openIdConnect``         ``accessToken``
========================= =========================

Any other type or HTTP scheme is ``x-security-unsupported``; a missing value is
``x-security-value``; a ``schemeName`` the source does not define, or used on a step that has
no OpenAPI operation, is ``x-security-scheme``. Values are runtime expressions and templates,
checked like any other (``$steps.X.outputs.Y`` must exist). ``x-operation`` (a URL and a method
instead of an operation) has its ``url`` checked the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import Step, Workflow
from arazzo_runner.validation.context import RuleContext
from arazzo_runner.validation.expressions import Site, check_value

__all__ = ["REDOCLY_RULES", "required_values"]

SECURITY = "x-security"
OPERATION = "x-operation"
_HTTP_VALUES = {
    "basic": ("username", "password"),
    "digest": ("username", "password"),
    "bearer": ("token",),
}
_TYPE_VALUES = {
    "apiKey": ("apiKey",),
    "oauth2": ("accessToken",),
    "openIdConnect": ("accessToken",),
}


def required_values(scheme: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The values an inline scheme needs, or ``None`` for a type we cannot apply."""
    kind = scheme.get("type")
    if kind == "http":
        return _HTTP_VALUES.get(str(scheme.get("scheme", "")).lower())
    return _TYPE_VALUES.get(str(kind))


def _inline(
    ctx: RuleContext, scheme: Any, values: Mapping[str, Any], pointer: str
) -> Iterator[Diagnostic]:
    if not isinstance(scheme, Mapping):
        yield ctx.error("x-security-scheme", "`scheme` must be a Security Scheme Object", pointer)
        return
    needed = required_values(scheme)
    if needed is None:
        kind = scheme.get("type")
        shown = f"http {scheme.get('scheme')}" if kind == "http" else str(kind)
        message = f"x-security: the {shown!r} scheme is not supported"
        hint = "use apiKey, http basic/bearer/digest, oauth2 or openIdConnect"
        yield ctx.error("x-security-unsupported", message, pointer + "/scheme", hint)
        return
    for name in needed:
        if name not in values:
            kind = str(scheme.get("scheme") or scheme.get("type"))
            message = f"x-security: `{name}` is required by the {kind} scheme"
            yield ctx.error("x-security-value", message, pointer + "/values", f"add {name}: ...")


def _named(ctx: RuleContext, name: Any, step: Step | None, pointer: str) -> Iterator[Diagnostic]:
    if step is None:
        return  # on a workflow: checked against each step's source at run time
    if step.target_kind != "operation":
        message = f"x-security schemeName {name!r} needs a step with an OpenAPI operation"
        hint = "give the scheme inline with `scheme:` instead"
        yield ctx.error("x-security-scheme", message, pointer + "/schemeName", hint)
        return
    found = ctx.ws.resolve_operation(ctx.doc, step)
    index = found.source.openapi if found.source is not None else None
    if index is None:
        return  # the source was not loaded: nothing to check it against
    if name not in index.security_schemes:
        known = ", ".join(sorted(index.security_schemes)) or "none"
        message = f"x-security schemeName {name!r} is not a security scheme of the source"
        yield ctx.error("x-security-scheme", message, pointer + "/schemeName", f"known: {known}")


def _entries(
    ctx: RuleContext, raw: Any, pointer: str, step: Step | None, site: Site
) -> Iterator[Diagnostic]:
    if not isinstance(raw, list):
        yield ctx.error("x-security-scheme", "x-security must be a list of entries", pointer)
        return
    for index, entry in enumerate(raw):
        where = f"{pointer}/{index}"
        if not isinstance(entry, Mapping):
            yield ctx.error("x-security-scheme", "an x-security entry must be an object", where)
            continue
        values = entry.get("values")
        values = values if isinstance(values, Mapping) else {}
        if "schemeName" in entry:
            yield from _named(ctx, entry["schemeName"], step, where)
        elif "scheme" in entry:
            yield from _inline(ctx, entry["scheme"], values, where)
        else:
            message = "an x-security entry needs `scheme` or `schemeName`"
            yield ctx.error("x-security-scheme", message, where)
        yield from check_value(ctx, dict(values), where + "/values", site)


def _workflow(ctx: RuleContext, workflow: Workflow) -> Iterator[Diagnostic]:
    if SECURITY in workflow.extensions:
        pointer = f"{workflow.pointer}/{SECURITY}"
        yield from _entries(ctx, workflow.extensions[SECURITY], pointer, None, Site(workflow))
    for index, step in enumerate(workflow.steps):
        site = Site(workflow, index)
        if SECURITY in step.extensions:
            pointer = f"{step.pointer}/{SECURITY}"
            yield from _entries(ctx, step.extensions[SECURITY], pointer, step, site)
        operation = step.extensions.get(OPERATION)
        if isinstance(operation, Mapping) and "url" in operation:
            pointer = f"{step.pointer}/{OPERATION}/url"
            yield from check_value(ctx, operation["url"], pointer, site)


def redocly_extensions(ctx: RuleContext) -> Iterator[Diagnostic]:
    """x-security-scheme, x-security-value, x-security-unsupported, and the expressions of
    x-security values and x-operation urls."""
    for workflow in ctx.doc.workflows:
        yield from _workflow(ctx, workflow)


REDOCLY_RULES = {"redocly-extensions": redocly_extensions}
