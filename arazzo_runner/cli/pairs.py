"""``NAME=VALUE`` option values, parsed once for the command line and the pytest plugin.

``-i``/``--input``, ``-S``/``--server``, ``--auth`` and the plugin's ini lines and options all
take ``NAME=VALUE``: the name is everything before the first ``=`` (stripped), the value
everything after it (kept as given, ``=`` included). A value without ``=`` or with an empty
name is an :class:`~arazzo_runner.errors.InputError` (exit 2) naming the option; for a secret
option the message never repeats what was given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from arazzo_runner.errors import InputError

__all__ = ["input_value", "parse_input_pairs", "parse_pairs"]


def parse_pairs(
    values: Iterable[str],
    option: str,
    shape: str = "NAME=VALUE",
    *,
    secret: bool = False,
    hint: str | None = None,
) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; later pairs win."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            given = "a value without NAME=" if secret else repr(value)
            raise InputError(f"{option} expects {shape}, got {given}", hint=hint)
        found[name.strip()] = rest
    return found


def input_value(text: str) -> Any:
    """An input's value: JSON when the text parses as JSON (``42``, ``true``, ``{...}``),
    otherwise the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
    except RecursionError:  # ``[[[[...`` tens of thousands deep
        raise InputError(
            "an input value is nested too deeply to read as JSON",
            hint="pass deep values in a file with --inputs",
        ) from None


def parse_input_pairs(values: Iterable[str], option: str = "-i/--input") -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values read by :func:`input_value`)."""
    pairs = parse_pairs(values, option, hint="e.g. -i petId=42")
    return {name: input_value(text) for name, text in pairs.items()}
