"""Arazzo 1.1 AsyncAPI steps: structure only (running them is issue 20).

A step with ``action`` or ``channelPath`` is an AsyncAPI step. Rules:

* ``async-step-target``: exactly one of ``operationId`` / ``channelPath``, no ``operationPath``
  or ``workflowId``.
* ``async-step-source``: the source it names must be an ``asyncapi`` source; a step with
  ``action`` on an OpenAPI source, or an AsyncAPI operation without ``action``, is an error.
* ``bad-channel-path``: ``channelPath`` is ``{$sourceDescriptions.<name>.url}#<json-pointer>``
  (the braces optional); when the AsyncAPI document is loaded, the pointer must resolve in it
  and an ``operationId`` must be one of its operations (AsyncAPI 3 ``operations`` keys, or an
  ``operationId`` in AsyncAPI 2 channels).
"""

from __future__ import annotations

__all__ = ["ASYNCAPI_RULES"]

import re
from collections.abc import Iterator, Mapping
from typing import Any

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.document import SOURCE_PREFIX, Step
from arazzo_runner.pointer import pointer_tokens
from arazzo_runner.validation.context import RuleContext

_CHANNEL = re.compile(r"\{?\$sourceDescriptions\.([A-Za-z0-9_\-]+)(?:\.url)?\}?(#.*)\Z")


def _source_of(ctx: RuleContext, step: Step) -> tuple[str | None, str | None]:
    """(source name, its declared/sniffed kind) the step names, when it names one."""
    sources = ctx.ws.sources(ctx.doc)
    name: str | None = None
    if step.channel_path is not None:
        match = _CHANNEL.match(step.channel_path)
        name = match.group(1) if match else None
    elif step.operation_id is not None and step.operation_id.startswith(SOURCE_PREFIX):
        name = step.operation_id[len(SOURCE_PREFIX) :].partition(".")[0]
    elif step.operation_id is not None:
        kinds = {s.kind for s in sources.values() if s.kind != "arazzo"}
        return None, kinds.pop() if len(kinds) == 1 else None
    declared = {s.name: s.type for s in ctx.doc.source_descriptions}
    resolved = sources.get(name or "")
    kind = declared.get(name or "") or (resolved.kind if resolved else None)
    return name, kind


def _resolve(data: Any, fragment: str) -> bool:
    node = data
    for token in pointer_tokens(fragment[1:]):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _operation_ids(data: Mapping[str, Any]) -> set[str]:
    found = set(data.get("operations") or {}) if isinstance(data.get("operations"), dict) else set()
    for channel in (
        (data.get("channels") or {}).values() if isinstance(data.get("channels"), dict) else ()
    ):
        for verb in ("publish", "subscribe"):
            op = channel.get(verb) if isinstance(channel, dict) else None
            if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                found.add(op["operationId"])
    return found


def async_steps(ctx: RuleContext) -> Iterator[Diagnostic]:
    for _, _, step in ctx.steps():
        if step.target_kind == "async":
            yield from _async_step(ctx, step)
        elif step.operation_id is not None and _source_of(ctx, step)[1] == "asyncapi":
            message = f"step {step.step_id!r} calls an AsyncAPI operation but has no `action`"
            hint = "add `action: send` or `action: receive`"
            yield ctx.error("async-step-source", message, step.pointer, hint)


def _async_step(ctx: RuleContext, step: Step) -> Iterator[Diagnostic]:
    named = (
        ("operationId", step.operation_id),
        ("channelPath", step.channel_path),
        ("operationPath", step.operation_path),
        ("workflowId", step.workflow_id),
    )
    targets = [key for key, value in named if value is not None]
    if targets not in (["operationId"], ["channelPath"]):
        message = f"AsyncAPI step {step.step_id!r} names {' and '.join(targets) or 'no target'}"
        hint = "give exactly one of operationId or channelPath (and an action)"
        yield ctx.error("async-step-target", message, step.pointer, hint)
        return
    if step.channel_path is not None and not _CHANNEL.match(step.channel_path):
        message = f"channelPath {step.channel_path!r} of step {step.step_id!r} names no source"
        hint = "write {$sourceDescriptions.<name>.url}#/channels/<channel>"
        yield ctx.error("bad-channel-path", message, step.pointer + "/channelPath", hint)
        return
    name, kind = _source_of(ctx, step)
    if kind not in ("asyncapi", None):
        message = f"step {step.step_id!r} has `action` but its source {name or ''!r} is {kind}"
        hint = "`action`, `channelPath` and `correlationId` are for asyncapi sources"
        yield ctx.error("async-step-source", message, step.pointer, hint)
        return
    yield from _against_document(ctx, step, name)


def _against_document(ctx: RuleContext, step: Step, name: str | None) -> Iterator[Diagnostic]:
    resolved = [s for s in ctx.ws.sources(ctx.doc).values() if s.kind == "asyncapi"]
    source = next(
        (s for s in resolved if s.name == name), resolved[0] if len(resolved) == 1 else None
    )
    if source is None or source.asyncapi is None:
        return  # not loaded (offline, unreachable): the loader said so
    if step.channel_path is not None:
        fragment = _CHANNEL.match(step.channel_path).group(2)  # type: ignore[union-attr]
        if not _resolve(source.asyncapi, fragment):
            message = f"channelPath {step.channel_path!r}: {fragment} is not in {source.url}"
            yield ctx.error("bad-channel-path", message, step.pointer + "/channelPath")
        return
    operation = (step.operation_id or "").removeprefix(f"{SOURCE_PREFIX}{source.name}.")
    if operation not in _operation_ids(source.asyncapi):
        message = f"operationId {operation!r} is not an operation of {source.url}"
        yield ctx.error("unknown-operation", message, step.pointer + "/operationId")


ASYNCAPI_RULES = {"async-steps": async_steps}
