"""Which answer a request gets: the response (by status) and the named example.

A request may steer the mock with a ``Prefer`` header (RFC 7240), as other OpenAPI mock
servers accept: ``Prefer: code=404`` answers with the response declared for 404 (or ``4XX``,
or ``default``), ``Prefer: example=fluxSchnell`` with that named example of the media type.

Without ``Prefer: example=``, a named example whose ``x-arazzo-mock-when`` matches the request
is chosen: a mapping of parameter name to value (or to a list of accepted values), where every
name must be a path, query, header or cookie parameter of the request with that value, compared
as text. So one ``streamRequest`` can answer an LLM's events for ``model_name: any-llm`` and an
image model's progress events for ``model_name: flux/schnell``. Examples with a
``x-arazzo-mock-when`` are never the default answer.
"""

from __future__ import annotations

__all__ = ["Preference", "choose_example", "parse_prefer", "pick_response", "text_of"]

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arazzo_runner.document.openapi import MediaTypeSpec, Operation, ResponseSpec
from arazzo_runner.mock.checks import RequestParts

WHEN = "x-arazzo-mock-when"


@dataclass(frozen=True)
class Preference:
    """What a ``Prefer`` header asked for (each part None when not asked)."""

    code: str | None = None
    example: str | None = None


def parse_prefer(values: list[str]) -> Preference:
    """``Prefer: code=404, example="x"`` (several headers allowed) -> ``Preference``."""
    found: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            name, sep, rest = item.strip().partition("=")
            if sep:
                found.setdefault(name.strip().lower(), rest.strip().strip('"'))
    return Preference(code=found.get("code"), example=found.get("example"))


def text_of(value: Any) -> str:
    """How a value reads in a header, a path or a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _status_key(code: str) -> int:
    return int(code.upper().replace("XX", "00")) if code[:1] == "2" else 999


def pick_response(operation: Operation, code: str | None) -> tuple[int, ResponseSpec | None] | None:
    """The status and response to answer with; None when ``code`` names no declared response.

    Without ``code``: the lowest declared 2xx, else ``default`` (as 200), else an empty 200.
    """
    responses = operation.responses
    if code is None:
        success = sorted((c for c in responses if c[:1] == "2"), key=_status_key)
        if success:
            return _status_key(success[0]), responses[success[0]]
        return 200, responses.get("default")
    if not (code.isdigit() and len(code) == 3 and code[0] in "12345"):
        return None
    for key in (code, f"{code[0]}XX", f"{code[0]}xx", "default"):
        if key in responses:
            return int(code), responses[key]
    return None


def _request_value(name: str, parts: RequestParts) -> str | None:
    if name in parts.path:
        return parts.path[name]
    query = parts.query(name)
    if query:
        return query[0]
    return parts.header.get(name.lower(), parts.cookie.get(name))


def _matches(when: Any, parts: RequestParts) -> bool:
    if not isinstance(when, Mapping) or not when:
        return False
    for name, wanted in when.items():
        accepted = wanted if isinstance(wanted, list) else [wanted]
        if _request_value(str(name), parts) not in {text_of(v) for v in accepted}:
            return False
    return True


def choose_example(
    media: MediaTypeSpec, parts: RequestParts, preferred: str | None
) -> Mapping[str, Any] | None:
    """The named Example Object this request gets, or None for the media type's default."""
    examples = media.examples
    if preferred is not None and isinstance(examples.get(preferred), Mapping):
        chosen: Mapping[str, Any] = examples[preferred]
        return chosen
    for example in examples.values():
        if isinstance(example, Mapping) and _matches(example.get(WHEN), parts):
            return example
    return None
