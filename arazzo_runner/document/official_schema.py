"""The official Arazzo 1.1 JSON Schema check for ``arazzo: 1.1.x`` documents.

The schema is vendored as package data (``schemas/arazzo-1.1-2026-04-15.json``, published at
:data:`SCHEMA_URL`); nothing is fetched at run time. A schema error is reported as
``schema-1.1`` at the failing value, unless the loader already reported an error at that place
or inside it (one problem, one message: the loader's is the more specific).
"""

from __future__ import annotations

__all__ = ["SCHEMA_URL", "schema_errors"]

import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document.fields import Ctx, pointer
from arazzo_runner.document.yaml_reader import PathKey

SCHEMA_URL = "https://spec.openapis.org/arazzo/1.1/schema/2026-04-15"
_FILE = "arazzo-1.1-2026-04-15.json"


@cache
def _validator() -> jsonschema.protocols.Validator:
    text = (
        resources.files("arazzo_runner.document")
        .joinpath("schemas")
        .joinpath(_FILE)
        .read_text("utf-8")
    )
    schema = json.loads(text)
    assert schema["$id"] == SCHEMA_URL
    return jsonschema.Draft202012Validator(schema)


def _flat(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    if not error.context:
        yield error
    for sub in error.context:
        yield from _flat(sub)


def _noise(error: jsonschema.ValidationError) -> bool:
    """Errors that only say a branch did not match (the Reusable branch, unevaluated keys)."""
    return error.validator == "unevaluatedProperties" or "'reference'" in error.message


def _leaves(errors: Iterable[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """The most specific error of each top error: the deepest one inside a oneOf, where the
    document went wrong, preferring a real reason over branch noise."""
    for error in errors:
        leaves = list(_flat(error))
        depth = max(len(e.absolute_path) for e in leaves)
        deepest = [e for e in leaves if len(e.absolute_path) == depth]
        yield next((e for e in deepest if not _noise(e)), deepest[0])


def _covered(path: PathKey, seen: list[str]) -> bool:
    where = pointer(path)
    return any(where == p or p.startswith(where + "/") or where.startswith(p + "/") for p in seen)


def schema_errors(ctx: Ctx, data: Any) -> None:
    """Report what the official 1.1 schema rejects and the loader has not already said."""
    seen = [d.pointer for d in ctx.diagnostics if d.severity is Severity.ERROR]
    found: dict[str, Diagnostic] = {}
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    for error in _leaves(errors):
        path: PathKey = tuple(error.absolute_path)
        if _covered(path, seen) or pointer(path) in found:
            continue
        message = f"Arazzo 1.1 schema: {_short(error)}"
        loc = ctx.doc.locate(path)
        where = pointer(path)
        hint = f"checked against {SCHEMA_URL}"
        found[where] = Diagnostic(
            Severity.ERROR, "schema-1.1", message, loc.file, loc.line, loc.column, where, hint
        )
    ctx.diagnostics.extend(found.values())


def _short(error: jsonschema.ValidationError) -> str:
    text = error.message
    return text if len(text) <= 160 else text[:157] + "..."
