"""The machinery of :mod:`.loader`: field tables, readers and one generic routine.

An object type is a :class:`Spec`: a table of :class:`F` rows (spec key, model attribute,
reader, required, default). :func:`read_object` walks any table. Readers have one signature,
``(ctx, path, value, where) -> value | SKIP``, and report ``wrong-type``/``invalid-enum``/
``invalid-value`` at the value; :func:`read_object` reports ``missing-field`` and
``unknown-field`` at the key. ``SKIP`` as a result means "invalid"; as a default it means "the
object cannot be built without this field".
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.model import frozen_map
from arazzo_runner.document.yaml_reader import LocatedDocument, PathKey
from arazzo_runner.pointer import format_pointer, pointer_tokens

__all__ = [
    "SKIP",
    "builder",
    "component_map",
    "path_of",
    "Builder",
    "Ctx",
    "F",
    "Reader",
    "Spec",
    "pointer",
    "read_any",
    "read_count",
    "read_enum",
    "read_expr",
    "read_mapping",
    "read_named",
    "read_number",
    "read_object",
    "read_object_field",
    "read_objects",
    "read_str",
    "read_str_list",
    "type_name",
]

SKIP: Any = object()  # a reader's "invalid" result; as a default: "the object is unusable"
_NAME = re.compile(r"[a-zA-Z0-9.\-_]+\Z")
_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
_ENUM_HINTS = {
    "body": "`in: body` was removed in Arazzo 1.0.1; send the value in the step's `requestBody`",
    "asyncapi": "AsyncAPI sources arrive in Arazzo 1.1",
    "querystring": "`in: querystring` arrives in Arazzo 1.1",
    "retry": "`retry` is only allowed in onFailure/failureActions",
}


def pointer(path: PathKey) -> str:
    """The RFC 6901 pointer of ``path`` (``""`` for the root)."""
    return format_pointer(path)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Ctx:
    """The document being read and the diagnostics found so far."""

    def __init__(self, located: LocatedDocument, minor: str = "1.0") -> None:
        self.doc = located
        self.minor = minor  # "1.0" or "1.1": which rule set the document is read by
        self.diagnostics: list[Diagnostic] = []

    def report(
        self,
        code: str,
        path: PathKey,
        message: str,
        hint: str | None = None,
        *,
        at_key: bool = False,
        severity: Severity = Severity.ERROR,
    ) -> None:
        loc = self.doc.locate_key(path) if at_key else self.doc.locate(path)
        self.diagnostics.append(
            Diagnostic(severity, code, message, loc.file, loc.line, loc.column, pointer(path), hint)
        )

    def wrong_type(self, path: PathKey, where: str, expected: str, value: Any) -> Any:
        self.report("wrong-type", path, f"{where} must be {expected}, not {type_name(value)}")
        return SKIP

    def text(self, path: PathKey, value: Any) -> str | None:
        """A string field; a YAML number or boolean (``version: 1.0``) keeps its source text."""
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            raw = self.doc.scalar_text(path)
            if raw is not None:
                return raw
            return json.dumps(value) if isinstance(value, bool) else repr(value)
        return None


Reader = Callable[[Ctx, PathKey, Any, str], Any]
Builder = Callable[[Ctx, PathKey, Any], Any]


@dataclass(frozen=True)
class F:
    """One field: spec key, model attribute, reader, required, value when absent, example."""

    key: str
    attr: str
    read: Reader
    required: bool = False
    default: Any = None
    example: str = "..."


# --- readers: (ctx, path of the value, value, "`key` of <object>") -> value or SKIP ---------


def read_str(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    text = ctx.text(path, value)
    return ctx.wrong_type(path, where, "a string", value) if text is None else text


def read_expr(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    """A runtime expression or template: a real string, never a converted number."""
    if isinstance(value, str):
        return value
    return ctx.wrong_type(path, where, "a runtime expression (a string)", value)


def read_any(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    return value


def read_mapping(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        return ctx.wrong_type(path, where, "an object", value)
    return frozen_map(value)


def read_enum(*allowed_10: str, v11: tuple[str, ...] = ()) -> Reader:
    """One of ``allowed_10``; in an Arazzo 1.1 document also one of ``v11``."""

    def read(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
        allowed = allowed_10 + v11 if ctx.minor == "1.1" else allowed_10
        text = read_str(ctx, path, value, where)
        if text is SKIP or text in allowed:
            return text
        choices = " | ".join(allowed)
        ctx.report(
            "invalid-enum", path, f"{where} is `{text}`; use {choices}", _ENUM_HINTS.get(text)
        )
        return SKIP

    return read


def read_str_list(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    if not isinstance(value, list):
        return ctx.wrong_type(path, where, "an array of strings", value)
    items = (
        read_str(ctx, (*path, i), item, f"item {i} of {where}") for i, item in enumerate(value)
    )
    return tuple(item for item in items if item is not SKIP)


def read_number(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ctx.wrong_type(path, where, "a number of seconds", value)
    if not math.isfinite(value) or value < 0:
        ctx.report("invalid-value", path, f"{where} must be a finite number >= 0, not {value}")
        return SKIP
    return float(value)


def read_count(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        return ctx.wrong_type(path, where, "an integer", value)
    if value < 0:
        ctx.report("invalid-value", path, f"{where} must be >= 0, not {value}")
        return SKIP
    return value


def read_objects(
    build: Builder, *, min_items: int = 0, severity: Severity = Severity.ERROR
) -> Reader:
    def read(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
        if not isinstance(value, list):
            return ctx.wrong_type(path, where, "an array", value)
        if len(value) < min_items:
            ctx.report("empty-list", path, f"{where} needs at least one entry", severity=severity)
        built = []
        for i, item in enumerate(value):
            obj = build(ctx, (*path, i), item)
            if obj is not None:
                built.append(obj)
        return tuple(built)

    return read


def read_object_field(build: Builder) -> Reader:
    def read(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
        built = build(ctx, path, value)
        return SKIP if built is None else built

    return read


def read_named(item: Reader | None, code: str, what: str) -> Reader:
    """A map whose keys match ``^[a-zA-Z0-9.\\-_]+$`` (outputs, components)."""

    def read(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            return ctx.wrong_type(path, where, "an object", value)
        result: dict[str, Any] = {}
        for key, entry in value.items():
            if not _NAME.match(key):
                ctx.report(
                    code,
                    (*path, key),
                    f"{what} name `{key}` may only use letters, digits, `.`, `-` and `_`",
                    at_key=True,
                )
            built = entry if item is None else item(ctx, (*path, key), entry, f"{what} `{key}`")
            if built is not SKIP:
                result[key] = built
        return frozen_map(result)

    return read


# --- the generic routine ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """An object type: its name in messages, the key that names an instance, its fields, and
    what happens to other keys: ``keep`` x- extensions, ``allow`` them, or ``ignore`` all."""

    what: str
    id_key: str | None
    fields: tuple[F, ...]
    extras: str = "allow"
    unknown: Severity = Severity.ERROR  # the 1.0 schema forbids unknown keys almost everywhere
    later: frozenset[str] = frozenset()  # fields that arrive in Arazzo 1.1 (errors in 1.0)
    v11: tuple[F, ...] = ()  # the fields 1.1 adds, read only from a 1.1 document
    known: frozenset[str] = field(init=False, repr=False, compare=False)
    defaults: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", frozenset(f.key for f in self.fields))
        defaults = {f.attr: f.default for f in self.fields}
        object.__setattr__(self, "defaults", defaults)
        if self.v11:
            object.__setattr__(self, "later", self.later | {f.key for f in self.v11})

    def rows(self, minor: str) -> tuple[F, ...]:
        """The fields of this object type in a document of Arazzo ``minor``."""
        return self.fields + self.v11 if minor == "1.1" else self.fields

    def known_in(self, minor: str) -> frozenset[str]:
        return self.known | {f.key for f in self.v11} if minor == "1.1" else self.known


def _label(spec: Spec, path: PathKey, data: Mapping[str, Any], where: str | None = None) -> str:
    """How messages name the object at ``path``; ``where`` is its pointer when known."""
    name = data.get(spec.id_key) if spec.id_key else None
    if isinstance(name, str):
        return f"{spec.what} `{name}`"
    if not path:
        return f"the {spec.what}"
    return f"the {spec.what} at {pointer(path) if where is None else where}"


def read_object(ctx: Ctx, path: PathKey, data: Any, spec: Spec) -> dict[str, Any] | None:
    """Read ``data`` by ``spec``: the model's keyword arguments, or None if unusable."""
    if not isinstance(data, dict):
        ctx.wrong_type(path, _label(spec, path, {}), "an object", data)
        return None
    where = pointer(path)
    label = _label(spec, path, data, where)
    values: dict[str, Any] = {"loc": ctx.doc.locate(path), "pointer": where}
    values.update(spec.defaults)  # what an absent field is; present ones are read below
    values.update({f.attr: f.default for f in spec.v11})
    usable = True
    for f in spec.rows(ctx.minor):
        key = f.key
        if key in data:
            value = f.read(ctx, (*path, key), data[key], f"`{key}` of {label}")
            if value is SKIP:
                value = f.default
                usable = usable and value is not SKIP
            values[f.attr] = value
        elif f.required:
            ctx.report("missing-field", path, f"add `{key}: {f.example}` to {label}", at_key=True)
            usable = usable and f.default is not SKIP
        elif f.default is SKIP:
            usable = False
    extensions = _extras(ctx, path, data, spec, label)
    if spec.extras == "keep":
        values["extensions"] = frozen_map(extensions)
    return values if usable else None


def _extras(
    ctx: Ctx, path: PathKey, data: Mapping[str, Any], spec: Spec, label: str
) -> dict[str, Any]:
    """The x- extensions of ``data``; warns about other unknown keys."""
    extensions: dict[str, Any] = {}
    known_keys = spec.known_in(ctx.minor)
    if spec.extras == "ignore" or known_keys.issuperset(data):
        return extensions
    known = [f.key for f in spec.rows(ctx.minor)]
    for key, value in data.items():
        if key in known_keys:
            continue
        if key.startswith("x-"):
            extensions[key] = value
            continue
        if key in spec.later and ctx.minor == "1.0":
            message = f"`{key}` in {label} is an Arazzo 1.1 field; this is an Arazzo 1.0 document"
            hint = "remove it, or declare the document `arazzo: 1.1.0`"
            ctx.report("arazzo-1.1-field", (*path, key), message, hint, at_key=True)
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "extensions must start with `x-`"
        message = f"unknown field `{key}` in {label}"
        ctx.report("unknown-field", (*path, key), message, hint, at_key=True, severity=spec.unknown)
    return extensions


# --- building ---------------------------------------------------------------------------------


def builder(spec: Spec, cls: Callable[..., Any], **fixed: Any) -> Builder:
    """A builder that reads ``spec`` and calls ``cls`` (None when the object is unusable)."""

    def build(ctx: Ctx, path: PathKey, data: Any) -> Any:
        values = read_object(ctx, path, data, spec)
        return None if values is None else cls(**values, **fixed)

    return build


def path_of(pointer: str) -> PathKey:
    """The path behind a :func:`pointer` made of field names and array indexes only."""
    return tuple(int(p) if p.isdigit() else p for p in pointer_tokens(pointer))


def component_map(key: str, attr: str, build: Builder, what: str) -> F:
    """A Components field: a map of named objects, keys checked against the name pattern."""

    def item(ctx: Ctx, path: PathKey, value: Any, where: str) -> Any:
        built = build(ctx, path, value)
        return SKIP if built is None else built

    return F(key, attr, read_named(item, "invalid-component-name", what), default=frozen_map(None))
