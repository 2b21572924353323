"""How a parsed runtime expression reads its value: one closure per node, built once.

Lookups never raise for absent data: anything not there is ``MISSING``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from arazzo_runner.errors import ExpressionError
from arazzo_runner.expressions.context import MISSING, ExpressionContext, Message
from arazzo_runner.pointer import parse_pointer, resolve_tokens

__all__ = ["Getter", "Parts", "build_getter"]

Getter = Callable[[ExpressionContext], Any]


class Parts(NamedTuple):
    """The parsed fields of a runtime expression that a getter needs (see ``RuntimeExpression``
    in :mod:`.runtime`, which builds its getter from them: this module never sees the node)."""

    source: str
    root: str
    target: str | None
    section: str | None
    name: str | None
    pointer: str | None


def _lookup(mapping: Any, name: str) -> Any:
    """Exact key first; then, for dotted names, nested keys and list indexes (notes table C
    #11): ``list.0.name`` reads ``list[0]["name"]`` (digits index a list, as in a pointer)."""
    if type(mapping) is not dict and not isinstance(mapping, Mapping):
        return MISSING
    value = mapping.get(name, MISSING)
    if value is not MISSING or "." not in name:
        return value
    return resolve_tokens(mapping, tuple(name.split(".")))


def _scalar(attribute: str) -> Callable[[Parts], Getter]:
    def build(parts: Parts) -> Getter:
        def get(context: ExpressionContext) -> Any:
            value = getattr(context, attribute)
            return MISSING if value is None else value

        return get

    return build


def _message_getter(parts: Parts) -> Getter:
    attribute, section, name = parts.root, parts.section, parts.name or ""

    def message(context: ExpressionContext) -> Message | None:
        found: Message | None = getattr(context, attribute)
        return found

    if section == "header":
        return lambda c: MISSING if (m := message(c)) is None else m.header(name)
    if section == "body":
        return lambda c: MISSING if (m := message(c)) is None else m.body
    return lambda c: (
        MISSING if (m := message(c)) is None else getattr(m, str(section)).get(name, MISSING)
    )


def _async_message_getter(parts: Parts) -> Getter:
    """``$message``: the AsyncAPI message of the step (issue 20 fills ``context.message``)."""
    if parts.section == "header":
        name = parts.name or ""
        return lambda c: MISSING if c.message is None else c.message.header(name)
    return lambda c: MISSING if c.message is None else c.message.body


def _named_getter(parts: Parts) -> Getter:
    attribute, name = parts.root, parts.name or ""
    return lambda c: _lookup(getattr(c, attribute), name)


def _steps_getter(parts: Parts) -> Getter:
    target, name = parts.target or "", parts.name or ""
    return lambda c: _lookup(c.steps.get(target, MISSING), name)


def _workflows_getter(parts: Parts) -> Getter:
    target, section, name = parts.target or "", parts.section or "", parts.name or ""

    def get(context: ExpressionContext) -> Any:
        workflow = context.workflows.get(target, MISSING)
        part = workflow.get(section, MISSING) if isinstance(workflow, Mapping) else MISSING
        return _lookup(part, name)

    return get


def _keyed_getter(attribute: str, key: str) -> Callable[[Parts], Getter]:
    def build(parts: Parts) -> Getter:
        outer, inner = getattr(parts, key) or "", parts.name or ""

        def get(context: ExpressionContext) -> Any:
            group = getattr(context, attribute).get(outer, MISSING)
            return group.get(inner, MISSING) if isinstance(group, Mapping) else MISSING

        return get

    return build


_GETTERS: dict[str, Callable[[Parts], Getter]] = {
    "url": _scalar("url"),
    "method": _scalar("method"),
    "statusCode": _scalar("status_code"),
    "request": _message_getter,
    "response": _message_getter,
    "inputs": _named_getter,
    "outputs": _named_getter,
    "steps": _steps_getter,
    "workflows": _workflows_getter,
    "sourceDescriptions": _keyed_getter("source_descriptions", "target"),
    "components": _keyed_getter("components", "section"),
    "message": _async_message_getter,
    "self": _scalar("self_uri"),
}


def build_getter(parts: Parts) -> Getter:
    """The closure that evaluates the expression of ``parts``: root lookup, then the pointer."""
    if parts.root not in _GETTERS:
        raise ExpressionError(
            f"unknown expression root {parts.root!r}", expression=parts.source, position=0
        )
    base = _GETTERS[parts.root](parts)
    tokens = parse_pointer(parts.pointer) if parts.pointer else ()
    if not tokens:
        return base
    return lambda c: resolve_tokens(base(c), tokens)
