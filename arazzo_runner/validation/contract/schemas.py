"""One schema of an operation, compiled once: a fast yes, else the dialect's validator, which
decides and explains (JSON Pointer into the value, keyword, file:line of the keyword).

The full validators are openapi-core's schema layer (openapi-schema-validator, installed with
it and used by it): ``OAS30ReadValidator`` for 3.0 responses and ``OAS30WriteValidator`` for 3.0
requests (``nullable``, ``readOnly``/``writeOnly`` by direction), ``OAS31Validator`` and
``OAS32Validator`` (JSON Schema 2020-12 with the OpenAPI vocabulary), each with its format checker
and discriminator support. They are imported lazily, on the first value the fast path does not
accept (or the first schema it cannot compile), and built once per schema. Schemas are
validated inlined (:meth:`OpenAPIIndex.resolve_schema`); a resolver over the loaded documents is
attached so that discriminator mappings (``#/components/schemas/Cat``) resolve.
"""

from __future__ import annotations

__all__ = ["MAX_PROBLEMS", "CompiledSchema", "Problem"]

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from arazzo_runner.document.openapi import OpenAPIIndex
from arazzo_runner.pointer import escape_token
from arazzo_runner.redact import sensitive_name
from arazzo_runner.validation.contract.fast import Predicate, compile_fast

MAX_PROBLEMS = 5
_MESSAGE_CHARS = 200
_CLASSES = {  # (modern, writing) -> openapi_schema_validator class name
    ("3.0", False): "OAS30ReadValidator",
    ("3.0", True): "OAS30WriteValidator",
    ("3.1", False): "OAS31Validator",
    ("3.1", True): "OAS31Validator",
    ("3.2", False): "OAS32Validator",
    ("3.2", True): "OAS32Validator",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a value does not match: where in the value, which keyword, where it is written."""

    pointer: str
    keyword: str
    message: str
    schema: str | None  # file:line of the keyword in the description


def _minor(version: str) -> str:
    return version[:3] if version[:3] in ("3.0", "3.1", "3.2") else "3.1"


class _Formats:
    """The dialect's format test, loaded on its first use (``format`` in a fast-path schema)."""

    def __init__(self, cls_name: str) -> None:
        self.cls_name = cls_name
        self.conforms: Any = None

    def __call__(self, value: Any, name: str) -> bool:
        if self.conforms is None:
            self.conforms = _validator_class(self.cls_name).FORMAT_CHECKER.conforms
        return bool(self.conforms(value, name))


def _validator_class(name: str) -> Any:
    import openapi_schema_validator

    return getattr(openapi_schema_validator, name)


class CompiledSchema:
    """A schema of ``index`` at ``tokens`` (from the root document), compiled once."""

    def __init__(
        self,
        index: OpenAPIIndex,
        schema: Any,
        tokens: Sequence[str | int],
        *,
        writing: bool,
        inlined: bool = False,
    ) -> None:
        """``schema`` as written (``inlined``: already inlined, e.g. a part of another one)."""
        self.index = index
        self.tokens = tuple(tokens)
        self.base = index.schema_base(schema)
        if inlined:
            self.inlined = schema if isinstance(schema, dict) else index.resolve_schema(schema)
        else:
            self.inlined = index.resolve_schema(schema)
        minor = _minor(index.version)
        self.cls_name = _CLASSES[(minor, writing)]
        modern = minor != "3.0"
        self.fast: Predicate | None = compile_fast(
            self.inlined, modern=modern, formats=_Formats(self.cls_name)
        )
        self._full: Any = None

    def valid(self, value: Any) -> bool:
        fast = self.fast
        if fast is not None and fast(value):
            return True
        return not self.problems(value, limit=1)

    def problems(self, value: Any, limit: int = MAX_PROBLEMS, prefix: str = "") -> list[Problem]:
        """Up to ``limit`` problems, the most relevant first (none: the value is valid)."""
        from jsonschema.exceptions import relevance

        errors = sorted(islice(self._iter_errors(value), limit * 4), key=relevance)
        return [self._problem(e, prefix) for e in _leaves(errors)][:limit]

    def _iter_errors(self, value: Any) -> Iterator[Any]:
        if self._full is None:
            self._full = self._build()
        return self._full.iter_errors(value)  # type: ignore[no-any-return]

    def _build(self) -> Any:
        cls = _validator_class(self.cls_name)
        resolver = self.index.schema_registry().resolver(base_uri=self.base)
        return cls(self.inlined, format_checker=cls.FORMAT_CHECKER, _resolver=resolver)

    def _problem(self, error: Any, prefix: str) -> Problem:
        where = self.index.locate_schema([*self.tokens, *error.absolute_schema_path])
        message = error.message
        if any(isinstance(t, str) and sensitive_name(t) for t in error.absolute_path):
            message = f"the value does not match (keyword {error.validator}); it is not shown"
        if len(message) > _MESSAGE_CHARS:
            message = message[: _MESSAGE_CHARS - 3] + "..."
        return Problem(
            pointer=prefix + "".join("/" + escape_token(str(t)) for t in error.absolute_path),
            keyword=str(error.validator),
            message=message,
            schema=None if where is None else f"{_shown(where.file)}:{where.line}",
        )


def _shown(file: str) -> str:
    """A description file as reports show it: relative to the working directory when inside it."""
    import os

    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return file
    return file if relative.startswith("..") else relative


def _leaves(errors: list[Any]) -> list[Any]:
    """Each error, or for ``anyOf``/``oneOf`` the best of the branches it tried."""
    from jsonschema.exceptions import best_match

    found = []
    for error in errors:
        leaf = best_match([error]) if error.context else error
        found.append(leaf if leaf is not None else error)
    return found
