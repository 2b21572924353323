"""The Arazzo 1.0.x document model: frozen dataclasses, one per spec object.

Text is parsed once at the edge (:mod:`arazzo_runner.document.loader`) into these values; nothing
downstream reads raw dicts. Every object carries ``loc`` (file, line, column) and ``pointer``
(its JSON pointer in the file) so any later finding can name the exact place.

Field values are kept as the author wrote them: runtime expressions and conditions stay strings
here and are compiled by the layers that use them. A field the document leaves out is ``None``
(or an empty tuple/mapping for lists and maps), except payloads and parameter values, where
``MISSING`` tells "absent" apart from JSON ``null``. Names follow the spec's camelCase fields in
snake_case (``in`` becomes ``in_``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from arazzo_runner._missing import MISSING, MissingType
from arazzo_runner.document.location import Location

__all__ = [
    "Action",
    "ArazzoDocument",
    "Components",
    "Criterion",
    "Info",
    "MISSING",
    "MissingType",
    "Parameter",
    "PayloadReplacement",
    "RequestBody",
    "Reusable",
    "Selector",
    "SourceDescription",
    "Step",
    "Workflow",
    "frozen_map",
]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def frozen_map(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only view of ``data`` (empty when None)."""
    return MappingProxyType(dict(data)) if data else _EMPTY


@dataclass(frozen=True, slots=True)
class Node:
    """Where an object came from."""

    loc: Location
    pointer: str


@dataclass(frozen=True, slots=True)
class Info(Node):
    title: str
    version: str
    summary: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class SourceDescription(Node):
    name: str
    url: str
    type: Literal["openapi", "arazzo", "asyncapi"] | None = None


@dataclass(frozen=True, slots=True)
class Reusable(Node):
    """``{reference: $components.<map>.<key>, value?: ...}``."""

    reference: str
    value: Any = MISSING


@dataclass(frozen=True, slots=True)
class Parameter(Node):
    name: str
    in_: Literal["path", "query", "querystring", "header", "cookie", "channel"] | None
    value: Any


@dataclass(frozen=True, slots=True)
class Criterion(Node):
    """``type`` is ``simple``, ``regex``, ``jsonpath`` or ``xpath``; ``version`` comes from a
    Criterion Expression Type object (``type: {type: jsonpath, version: ...}``). ``rules`` is
    the document's Arazzo minor version (``"1.0"`` or ``"1.1"``): which condition semantics
    apply (docs/arazzo-1.1.md)."""

    condition: str
    type: Literal["simple", "regex", "jsonpath", "xpath"] = "simple"
    version: str | None = None
    context: str | None = None
    rules: str = "1.0"


@dataclass(frozen=True, slots=True)
class Action(Node):
    """A Success Action (``end``/``goto``) or Failure Action (``end``/``goto``/``retry``)."""

    name: str
    type: Literal["end", "goto", "retry"]
    kind: Literal["success", "failure"]
    workflow_id: str | None = None
    step_id: str | None = None
    retry_after: float | None = None
    retry_limit: int | None = None
    criteria: tuple[Criterion, ...] = ()
    parameters: tuple[Parameter | Reusable, ...] = ()  # 1.1: inputs for a workflowId target


@dataclass(frozen=True, slots=True)
class Selector(Node):
    """Arazzo 1.1 Selector Object: ``selector`` (of ``type``/``version``) applied to the value
    of the runtime expression ``context``; allowed as an output, parameter or payload value."""

    context: str
    selector: str
    type: Literal["jsonpath", "xpath", "jsonpointer"]
    version: str | None = None

    def __str__(self) -> str:
        """How messages name it: ``jsonpath $.items[0].id on $response.body``."""
        return f"{self.type} {self.selector} on {self.context}"


@dataclass(frozen=True, slots=True)
class PayloadReplacement(Node):
    target: str
    value: Any
    target_type: str | None = None  # 1.1 targetSelectorType: jsonpointer | jsonpath | xpath
    target_version: str | None = None


@dataclass(frozen=True, slots=True)
class RequestBody(Node):
    content_type: str | None = None
    payload: Any = MISSING
    replacements: tuple[PayloadReplacement, ...] = ()


@dataclass(frozen=True, slots=True)
class Step(Node):
    step_id: str
    description: str | None = None
    operation_id: str | None = None
    operation_path: str | None = None
    workflow_id: str | None = None
    parameters: tuple[Parameter | Reusable, ...] = ()
    request_body: RequestBody | None = None
    success_criteria: tuple[Criterion, ...] = ()
    on_success: tuple[Action | Reusable, ...] = ()
    on_failure: tuple[Action | Reusable, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    extensions: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    depends_on: tuple[str, ...] = ()  # 1.1: steps that must have run first
    channel_path: str | None = None  # 1.1 AsyncAPI steps (loaded and validated; not run)
    action: Literal["send", "receive"] | None = None
    correlation_id: Any = None
    timeout: int | None = None

    @property
    def target_kind(self) -> Literal["operation", "workflow", "async", "none"]:
        """``async`` (1.1): an AsyncAPI step, one with an ``action`` or a ``channelPath``."""
        if self.action is not None or self.channel_path is not None:
            return "async"
        if self.workflow_id is not None:
            return "workflow"
        if self.operation_id is not None or self.operation_path is not None:
            return "operation"
        return "none"


@dataclass(frozen=True, slots=True)
class Workflow(Node):
    workflow_id: str
    steps: tuple[Step, ...]
    summary: str | None = None
    description: str | None = None
    inputs: Mapping[str, Any] | None = None
    depends_on: tuple[str, ...] = ()
    success_actions: tuple[Action | Reusable, ...] = ()
    failure_actions: tuple[Action | Reusable, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    parameters: tuple[Parameter | Reusable, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def step(self, step_id: str) -> Step | None:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        return None


@dataclass(frozen=True, slots=True)
class Components(Node):
    inputs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    parameters: Mapping[str, Parameter] = field(default_factory=lambda: _EMPTY)
    success_actions: Mapping[str, Action] = field(default_factory=lambda: _EMPTY)
    failure_actions: Mapping[str, Action] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class ArazzoDocument(Node):
    """One Arazzo file. ``url`` is its absolute location (a ``file://`` or ``http(s)://`` URL),
    against which relative source URLs resolve; ``raw`` is the parsed data, for JSON Schema
    checks of ``inputs`` and for reporting."""

    arazzo: str
    info: Info
    source_descriptions: tuple[SourceDescription, ...]
    workflows: tuple[Workflow, ...]
    url: str
    components: Components | None = None
    extensions: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    self_uri: str | None = None  # 1.1 `$self`: the document's identity and base URI
    raw: Any = field(default=None, repr=False, compare=False)

    def workflow(self, workflow_id: str) -> Workflow | None:
        for workflow in self.workflows:
            if workflow.workflow_id == workflow_id:
                return workflow
        return None

    def source(self, name: str) -> SourceDescription | None:
        for source in self.source_descriptions:
            if source.name == name:
                return source
        return None
