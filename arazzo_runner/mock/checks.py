"""Request validation for the mock: parameters and JSON bodies against the operation's schemas.

Problems come back in fal's (and FastAPI's) validation shape, a list of
``{"loc": [...], "msg": ..., "type": ...}`` where ``loc`` starts with where the value was
(``path``, ``query``, ``header``, ``cookie``, ``body``). Parameter text is first read back by
its style (:mod:`.params`) and converted to the schema's type (``"7"`` -> 7), then checked
with ``jsonschema`` (``format`` included, for the formats jsonschema knows).
Validators are built once per operation.
"""

from __future__ import annotations

__all__ = ["OperationChecks", "Problem", "RequestParts"]

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from arazzo_runner._missing import MISSING
from arazzo_runner.document.openapi import OpenAPIIndex, Operation, ParameterSpec
from arazzo_runner.media import is_json
from arazzo_runner.media import media_type as essence
from arazzo_runner.mock.params import Raw, kinds_of, read_parameter

Problem = dict[str, Any]
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class RequestParts:
    """What the checks read from a request, already split by location."""

    path: Mapping[str, str]
    query: Callable[[str], list[str]]  # name -> every value given
    header: Mapping[str, str]  # lower-case names
    cookie: Mapping[str, str]
    body: bytes
    content_type: str | None
    query_items: Sequence[tuple[str, str]] = ()  # every query pair, in order


def _problem(loc: Iterable[str | int], msg: str, kind: str) -> Problem:
    return {"loc": list(loc), "msg": msg, "type": kind}


class _ParamCheck:
    def __init__(self, spec: ParameterSpec, schema: Mapping[str, Any], make: Any) -> None:
        self.spec = spec
        self.schema = schema
        self.kinds = kinds_of(schema)
        self.validator: Validator | None = _validator(make, schema)

    def check(self, parts: RequestParts) -> list[Problem]:
        """The problems of the first reading that has the fewest (none: the parameter is fine)."""
        spec = self.spec
        loc: list[str | int] = [spec.in_, spec.name]
        raw = Raw(texts=self._texts(parts), items=parts.query_items)
        first: list[Problem] | None = None
        for kind in self.kinds:
            try:
                value = read_parameter(spec, self.schema, raw, kind)
            except ValueError:
                problems = [_problem(loc, f"value is not a valid {kind}", f"type_error.{kind}")]
            else:
                if value is MISSING:
                    if not spec.required:
                        return []
                    return [_problem(loc, "field required", "value_error.missing")]
                problems = _schema_problems(self.validator, value, loc)
            if not problems:
                return []
            first = problems if first is None else first
        return first or []

    def _texts(self, parts: RequestParts) -> list[str]:
        name = self.spec.name
        if self.spec.in_ == "query":
            return parts.query(name)
        source = {"path": parts.path, "header": parts.header, "cookie": parts.cookie}
        found = source.get(self.spec.in_, {}).get(
            name.lower() if self.spec.in_ == "header" else name
        )
        return [] if found is None else [found]


class OperationChecks:
    """Every check one operation's requests go through, compiled once."""

    def __init__(self, index: OpenAPIIndex, operation: Operation) -> None:
        make = Draft4Validator if index.version.startswith("3.0") else Draft202012Validator
        self.params = [
            _ParamCheck(p, index.resolve_schema(p.schema), make) for p in operation.parameters
        ]
        body = operation.request_body
        self.body_required = bool(body and body.required)
        self.media: dict[str, Validator | None] = {}
        for media_type, media in (body.content if body else {}).items():
            self.media[media_type.lower()] = _validator(make, index.resolve_schema(media.schema))

    def check(self, parts: RequestParts) -> list[Problem]:
        problems: list[Problem] = []
        for param in self.params:
            problems += param.check(parts)
        problems += self._body(parts)
        return problems[:_MAX_PROBLEMS]

    def _body(self, parts: RequestParts) -> list[Problem]:
        if not parts.body:
            if self.body_required:
                return [_problem(["body"], "field required", "value_error.missing")]
            return []
        if not self.media:
            return []
        media_type = essence(parts.content_type)
        key = _match_media(media_type, self.media)
        if key is None:
            expected = ", ".join(self.media)
            msg = f"unsupported media type {media_type or '(none)'}; expected {expected}"
            return [_problem(["header", "content-type"], msg, "value_error.media_type")]
        if not is_json(key if "*" not in key else media_type):
            return []
        try:
            value = json.loads(parts.body)
        except (ValueError, UnicodeDecodeError) as exc:
            return [_problem(["body"], f"invalid JSON: {exc}", "value_error.jsondecode")]
        return _schema_problems(self.media[key], value, ["body"])


def _match_media(media_type: str, declared: Mapping[str, Any]) -> str | None:
    if media_type in declared:
        return media_type
    major = media_type.split("/")[0]
    for candidate in (f"{major}/*", "*/*"):
        if candidate in declared:
            return candidate
    return None


def _validator(make: Any, schema: Mapping[str, Any]) -> Validator | None:
    if not schema:
        return None
    try:
        make.check_schema(schema)
    except SchemaError:
        return None
    validator: Validator = make(schema, format_checker=make.FORMAT_CHECKER)
    return validator


def _schema_problems(
    validator: Validator | None, value: Any, loc: list[str | int]
) -> list[Problem]:
    if validator is None:
        return []
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
    except Unresolvable:
        return []
    return [_from_error(error, loc) for error in errors[:_MAX_PROBLEMS]]


def _from_error(error: ValidationError, loc: list[str | int]) -> Problem:
    where: list[str | int] = [*loc, *error.path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        names = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in names if n not in error.instance and repr(n) in error.message]
        if missing:
            return _problem([*where, missing[0]], "field required", "value_error.missing")
    return _problem(where, error.message, f"value_error.{error.validator}")
