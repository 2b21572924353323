"""Arazzo text to the typed model (:mod:`.model`), with structural diagnostics.

Each object type is described once, as a table (:class:`~arazzo_runner.document.fields.Spec`)
of fields: spec key, model attribute, reader, required. One routine walks any table, so the
rules live in data. Wrong types and enum values are reported where the value is; missing
required keys (``missing-field``) and unexpected keys (``unknown-field``, a warning) where the
key is. ``x-`` extensions are allowed everywhere except in Reusable objects, whose extra keys
are ignored (spec: MUST be ignored).

Loading never stops at the first problem: every problem is reported, every object that can be
built is built, and an object that cannot (a step without ``stepId``) is left out. Semantic
checks (unique ids, references, exactly one step target) belong to :mod:`arazzo_runner.validate`.
"""

from __future__ import annotations

__all__ = ["build_document", "load_arazzo"]

import re
from typing import Any

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.fields import (
    SKIP,
    Builder,
    Ctx,
    F,
    Spec,
    builder,
    component_map,
    path_of,
    read_any,
    read_count,
    read_enum,
    read_mapping,
    read_named,
    read_number,
    read_object,
    read_object_field,
    read_objects,
    read_str,
    read_str_list,
    type_name,
)
from arazzo_runner.document.model import (
    MISSING,
    Action,
    ArazzoDocument,
    Components,
    Criterion,
    Info,
    Parameter,
    PayloadReplacement,
    RequestBody,
    Reusable,
    SourceDescription,
    Step,
    Workflow,
    frozen_map,
)
from arazzo_runner.document.official_schema import schema_errors
from arazzo_runner.document.selectors import (
    read_expression_type,
    read_output,
    read_selector_type,
    read_value,
)
from arazzo_runner.document.sources import Fetcher, to_url
from arazzo_runner.document.versions import check_version, rules_for
from arazzo_runner.document.yaml_reader import LocatedDocument, PathKey
from arazzo_runner.errors import ArazzoError, SourceError, YamlError

_IN_11 = ("querystring", "channel")
_SOURCE_NAME = re.compile(r"[A-Za-z0-9_\-]+\Z")


# --- builders: (ctx, path, data) -> model object, or None when unusable -----------------------


_REUSABLE = Spec(
    "reusable object",
    "reference",
    (
        F("reference", "reference", read_str, True, SKIP, "$components.<map>.<name>"),
        F("value", "value", read_any, default=MISSING),
    ),
    extras="ignore",
)
_build_reusable = builder(_REUSABLE, Reusable)


def _or_reusable(build: Builder) -> Builder:
    """A list entry that is either an inline object or a Reusable (it has a ``reference``)."""

    def choose(ctx: Ctx, path: PathKey, data: Any) -> Any:
        if isinstance(data, dict) and "reference" in data:
            return _build_reusable(ctx, path, data)
        return build(ctx, path, data)

    return choose


def _criterion_type(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    """``type``: a string, or a Criterion Expression Type Object ``{type, version}`` (C11)."""
    if not isinstance(value, dict):
        kind = read_enum("simple", "regex", "jsonpath", "xpath")(ctx, path, value, where)
        return SKIP if kind is SKIP else (kind, None)
    return read_expression_type(ctx, path, value, ("jsonpath", "xpath"))


_CRITERION = Spec(
    "criterion",
    None,
    (
        F("condition", "condition", read_str, True, SKIP, "$statusCode == 200"),
        F("type", "type", _criterion_type, default=("simple", None)),
        F("context", "context", read_str),
    ),
)


def _build_criterion(ctx: Ctx, path: PathKey, data: Any) -> Criterion | None:
    values = read_object(ctx, path, data, _CRITERION)
    if values is None:
        return None
    values["type"], values["version"] = values["type"]
    if values["type"] != "simple" and values["context"] is None:
        message = f"a {values['type']} criterion needs a `context`; add `context: $response.body`"
        ctx.report("missing-field", path, message, at_key=True)
    return Criterion(**values, rules=ctx.minor)


def _action_spec(kind: str) -> Spec:
    types = ("end", "goto") if kind == "success" else ("end", "goto", "retry")
    fields = [
        F("name", "name", read_str, True, "", "<action name>"),
        F("type", "type", read_enum(*types), True, SKIP, " | ".join(types)),
        F("workflowId", "workflow_id", read_str),
        F("stepId", "step_id", read_str),
        F("criteria", "criteria", read_objects(_build_criterion), default=()),
    ]
    if kind == "failure":
        fields += [
            F("retryAfter", "retry_after", read_number),
            F("retryLimit", "retry_limit", read_count),
        ]
    v11 = (F("parameters", "parameters", read_objects(_PARAMETERS), default=()),)
    return Spec(f"{kind} action", "name", tuple(fields), v11=v11)


def _check_action_parameters(ctx: Ctx, path: PathKey, values: dict[str, Any]) -> None:
    """1.1: an action's ``parameters`` are inputs for its ``workflowId`` target, without ``in``."""
    if not values["parameters"]:
        return
    if values["workflow_id"] is None:
        message = f"`parameters` of action `{values['name']}` are inputs for a workflow"
        hint = "add the `workflowId` they are for, or remove them"
        ctx.report("action-parameters-without-workflow", (*path, "parameters"), message, hint)
    for param in values["parameters"]:
        if isinstance(param, Parameter) and param.in_ is not None:
            message = f"parameter `{param.name}` of an action is a workflow input: remove `in`"
            ctx.report("invalid-value", (*path_of(param.pointer), "in"), message, at_key=True)


def _build_action(kind: str) -> Builder:
    spec = _action_spec(kind)

    def build(ctx: Ctx, path: PathKey, data: Any) -> Action | None:
        values = read_object(ctx, path, data, spec)
        if values is None:
            return None
        if kind == "failure" and values["type"] != "retry":
            for key in ("retryAfter", "retryLimit"):
                if key in data:
                    message = f"`{key}` is ignored on a `{values['type']}` action; it is for retry"
                    ctx.report(
                        "ignored-field",
                        (*path, key),
                        message,
                        at_key=True,
                        severity=Severity.WARNING,
                    )
        _check_action_parameters(ctx, path, values)
        return Action(**values, kind=kind)  # type: ignore[arg-type]

    return build


_PARAMETER = Spec(
    "parameter",
    "name",
    (
        F("name", "name", read_str, True, SKIP, "<name>"),
        F("in", "in_", read_enum("path", "query", "header", "cookie", v11=_IN_11)),
        F("value", "value", read_value, True, MISSING, "<value or $expression>"),
    ),
)


def _build_parameter(ctx: Ctx, path: PathKey, data: Any) -> Parameter | None:
    values = read_object(ctx, path, data, _PARAMETER)
    if values is None or ("in" in data and values["in_"] is None):
        return None
    return Parameter(**values)


_PARAMETERS = _or_reusable(_build_parameter)
_REPLACEMENT = Spec(
    "payload replacement",
    "target",
    (
        F("target", "target", read_str, True, SKIP, "/json/pointer"),
        F("value", "value", read_value, True, SKIP, "<value or $expression>"),
    ),
    v11=(F("targetSelectorType", "target_type", read_selector_type, default=(None, None)),),
)


def _build_replacement(ctx: Ctx, path: PathKey, data: Any) -> PayloadReplacement | None:
    values = read_object(ctx, path, data, _REPLACEMENT)
    if values is None:
        return None
    values["target_type"], values["target_version"] = values["target_type"]
    return PayloadReplacement(**values)


_REPLACEMENTS = read_objects(_build_replacement)
_REQUEST_BODY = Spec(
    "request body",
    None,
    (
        F("contentType", "content_type", read_str),
        F("payload", "payload", read_value, default=MISSING),
        F("replacements", "replacements", _REPLACEMENTS, default=()),
    ),
)
_OUTPUT_MAP = read_named(read_output, "invalid-output-name", "output")
_OUTPUTS = F("outputs", "outputs", _OUTPUT_MAP, default=frozen_map(None))
_SUCCESS = _or_reusable(_build_action("success"))
_FAILURE = _or_reusable(_build_action("failure"))
_STEP = Spec(
    "step",
    "stepId",
    (
        F("stepId", "step_id", read_str, True, SKIP, "<unique id>"),
        F("description", "description", read_str),
        F("operationId", "operation_id", read_str),
        F("operationPath", "operation_path", read_str),
        F("workflowId", "workflow_id", read_str),
        F("parameters", "parameters", read_objects(_PARAMETERS), default=()),
        F("requestBody", "request_body", read_object_field(builder(_REQUEST_BODY, RequestBody))),
        F(
            "successCriteria",
            "success_criteria",
            read_objects(_build_criterion, min_items=1, severity=Severity.WARNING),
            default=(),
        ),
        F("onSuccess", "on_success", read_objects(_SUCCESS), default=()),
        F("onFailure", "on_failure", read_objects(_FAILURE), default=()),
        _OUTPUTS,
    ),
    extras="keep",
    v11=(
        F("dependsOn", "depends_on", read_str_list, default=()),
        F("channelPath", "channel_path", read_str),
        F("action", "action", read_enum("send", "receive")),
        F("correlationId", "correlation_id", read_any),
        F("timeout", "timeout", read_count),
    ),
)


def _build_step(ctx: Ctx, path: PathKey, data: Any) -> Step | None:
    values = read_object(ctx, path, data, _STEP)
    if values is None:
        return None
    step = Step(**values)
    for param in step.parameters:
        if not isinstance(param, Parameter):
            continue
        if step.target_kind == "operation" and param.in_ is None:
            message = f"add `in: path|query|header|cookie` to parameter `{param.name}`"
            ctx.report("missing-field", path_of(param.pointer), message, at_key=True)
        elif step.target_kind == "workflow" and param.in_ is not None:
            message = f"`in` is ignored on parameter `{param.name}`: workflow steps take inputs"
            ctx.report(
                "ignored-field",
                (*path_of(param.pointer), "in"),
                message,
                at_key=True,
                severity=Severity.WARNING,
            )
    return step


_WORKFLOW = Spec(
    "workflow",
    "workflowId",
    (
        F("workflowId", "workflow_id", read_str, True, SKIP, "<unique id>"),
        F("summary", "summary", read_str),
        F("description", "description", read_str),
        F("inputs", "inputs", read_mapping),
        F("dependsOn", "depends_on", read_str_list, default=()),
        F("steps", "steps", read_objects(_build_step, min_items=1), True, (), "[...]"),
        F("successActions", "success_actions", read_objects(_SUCCESS), default=()),
        F("failureActions", "failure_actions", read_objects(_FAILURE), default=()),
        _OUTPUTS,
        F("parameters", "parameters", read_objects(_PARAMETERS), default=()),
    ),
    extras="keep",
)


_COMPONENTS = Spec(
    "components",
    None,
    (
        F(
            "inputs",
            "inputs",
            read_named(read_mapping, "invalid-component-name", "input"),
            default=frozen_map(None),
        ),
        component_map("parameters", "parameters", _build_parameter, "parameter"),
        component_map("successActions", "success_actions", _build_action("success"), "action"),
        component_map("failureActions", "failure_actions", _build_action("failure"), "action"),
    ),
)
_INFO = Spec(
    "info object",
    None,
    (
        F("title", "title", read_str, True, "", "<title>"),
        F("summary", "summary", read_str),
        F("description", "description", read_str),
        F("version", "version", read_str, True, "", "1.0.0"),
    ),
)
_SOURCE = Spec(
    "source description",
    "name",
    (
        F("name", "name", read_str, True, SKIP, "<name>"),
        F("url", "url", read_str, True, SKIP, "./openapi.yaml"),
        F("type", "type", read_enum("openapi", "arazzo", v11=("asyncapi",))),
    ),
)


def _build_source(ctx: Ctx, path: PathKey, data: Any) -> SourceDescription | None:
    values = read_object(ctx, path, data, _SOURCE)
    if values is None:
        return None
    if not _SOURCE_NAME.match(values["name"]):
        message = f"source name `{values['name']}` may only use letters, digits, `-` and `_`"
        hint = "`$sourceDescriptions.<name>.<rest>` splits at the first `.`"
        ctx.report("invalid-source-name", (*path, "name"), message, hint)
    return SourceDescription(**values)


_ROOT = Spec(
    "document",
    None,
    (
        F("arazzo", "arazzo", read_str, True, "", "1.0.1"),
        F("info", "info", read_object_field(builder(_INFO, Info)), True, None, "{title, version}"),
        F(
            "sourceDescriptions",
            "source_descriptions",
            read_objects(_build_source, min_items=1),
            True,
            (),
            "[...]",
        ),
        F(
            "workflows",
            "workflows",
            read_objects(builder(_WORKFLOW, Workflow), min_items=1),
            True,
            (),
            "[...]",
        ),
        F("components", "components", read_object_field(builder(_COMPONENTS, Components))),
    ),
    extras="keep",
    v11=(F("$self", "self_uri", read_str),),
)


def build_document(
    located: LocatedDocument, url: str
) -> tuple[ArazzoDocument | None, list[Diagnostic]]:
    """The typed document and its structural diagnostics (None only if the root is unusable)."""
    data = located.data
    ctx = Ctx(located, rules_for(data.get("arazzo") if isinstance(data, dict) else None))
    if not isinstance(data, dict):
        message = f"an Arazzo document must be an object, not {type_name(data)}"
        ctx.report("wrong-type", (), message, "start with `arazzo: 1.0.1`")
        return None, ctx.diagnostics
    described = next((key for key in ("openapi", "swagger") if key in data), None)
    if "arazzo" not in data and described is not None:
        message = f"this is an OpenAPI description (`{described}:`), not an Arazzo document"
        hint = "name it in an Arazzo file's sourceDescriptions, or serve it with `arazzo mock`"
        ctx.report("not-arazzo", (described,), message, hint)
        return None, ctx.diagnostics
    if "arazzo" not in data and "asyncapi" in data:  # `arazzo validate` of an AsyncAPI file
        from arazzo_runner.document.asyncapi_check import check_asyncapi

        check_asyncapi(ctx, data)
        return None, ctx.diagnostics
    values = read_object(ctx, (), data, _ROOT)
    assert values is not None  # no root field has a SKIP default
    if values["info"] is None:
        values["info"] = Info(ctx.doc.locate(()), "/info", title="", version="")
    written = ctx.text(("arazzo",), data.get("arazzo"))
    if written is not None and not check_version(ctx, written):
        ctx.diagnostics = [d for d in ctx.diagnostics if d.code.endswith("-version")]
    elif ctx.minor == "1.1":
        schema_errors(ctx, data)
    return ArazzoDocument(**values, url=url, raw=data), ctx.diagnostics


def load_arazzo(
    path_or_url: str, *, fetcher: Fetcher | None = None
) -> tuple[ArazzoDocument | None, list[Diagnostic]]:
    """Fetch and build one Arazzo document; unreadable input becomes a diagnostic."""
    url = to_url(path_or_url)
    try:
        located = (fetcher or Fetcher()).fetch(url)
    except (YamlError, SourceError) as exc:
        code = "yaml-syntax" if isinstance(exc, YamlError) else "source-unreadable"
        return None, [_from_error(code, exc, path_or_url)]
    return build_document(located, url)


def _from_error(code: str, exc: ArazzoError, file: str) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        code,
        exc.message,
        exc.file or file,
        exc.line or 1,
        exc.column or 1,
        exc.pointer or "",
        exc.hint,
    )
