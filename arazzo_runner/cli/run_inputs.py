"""What ``arazzo run`` reads besides its documents: the run settings from the options, and
the ``--inputs`` file or standard input (read with the document size cap)."""

from __future__ import annotations

import sys
from typing import Any

from arazzo_runner.errors import InputError
from arazzo_runner.settings import RunSettings

__all__ = ["read_inputs", "run_settings"]


_OPTIONS = {
    "timeout": ("--timeout", "a positive number of seconds, or 0 for no bound"),
    "idle_timeout": ("--idle-timeout", "a positive number of seconds, or 0 for no bound"),
    "max_steps": ("--max-steps", "a whole number of at least 1"),
}


def run_settings(**options: Any) -> RunSettings:
    """The run's settings from the options, checked once here (exit 2 naming the option).
    A timeout of 0 means no bound."""
    for name, value in options.items():
        if name != "max_steps" and value == 0:
            options[name] = None
    try:
        return RunSettings(**options)
    except ValueError as exc:
        name = str(exc).split(" ", 1)[0]
        option, wanted = _OPTIONS[name]
        raise InputError(f"{option} must be {wanted}, got {options[name]!r}") from None


def read_inputs(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    from arazzo_runner.document import load_file, load_text

    located = load_text(_stdin_bytes(), "<stdin>") if path == "-" else load_file(path)
    if not isinstance(located.data, dict):
        raise InputError("--inputs must hold a JSON or YAML object", file=path)
    return dict(located.data)


def _stdin_bytes() -> bytes:
    """Standard input as bytes, read up to the document size limit and never past it (the
    text is decoded, and binary input refused, by the YAML reader as for a file)."""
    from arazzo_runner.document import MAX_DOCUMENT_BYTES, read_stream
    from arazzo_runner.errors import YamlError

    def fail(message: str) -> YamlError:
        return YamlError(message, file="<stdin>", hint="--inputs - reads at most 16 MiB")

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream put in place of stdin (tests, embedding)
        return sys.stdin.read(MAX_DOCUMENT_BYTES + 1).encode("utf-8", "surrogateescape")
    return read_stream(stream, MAX_DOCUMENT_BYTES, fail)
