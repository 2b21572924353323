"""Diagnostics as text for people and CI: pure functions from diagnostics to a string.

``render(fmt, results)`` takes ``results``, a mapping from each validated file (as the user
named it) to its diagnostics, and returns the whole output for one of :data:`FORMATS`:

* ``text``   ``file:line:col: error CODE message``, the source line with a caret under the
  column, the hint, and a summary line;
* ``json``   one array of diagnostic objects (each with its ``input`` file);
* ``github`` GitHub Actions workflow commands (``::error file=...,line=...,col=...::...``);
* ``junit``  JUnit XML, one testcase per validated file, a ``failure`` per error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .diagnostics import Diagnostic, Severity

__all__ = ["FORMATS", "Results", "render", "summary"]

Results = Mapping[str, Sequence[Diagnostic]]


def _source_line(file: str, line: int, cache: dict[str, list[str]]) -> str | None:
    if file not in cache:
        try:
            cache[file] = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[file] = []
    lines = cache[file]
    return lines[line - 1] if 0 < line <= len(lines) else None


def _frame(d: Diagnostic, cache: dict[str, list[str]]) -> list[str]:
    text = _source_line(d.file, d.line, cache)
    if text is None:
        return []
    gutter = f"{d.line:>5} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * max(d.column - 1, 0) + "^"
    return [gutter + text, caret]


def summary(results: Results) -> str:
    """``N errors, M warnings in K files`` (``ok`` when there is nothing to report)."""
    every = [d for ds in results.values() for d in ds]
    errors = sum(d.severity is Severity.ERROR for d in every)
    warnings = sum(d.severity is Severity.WARNING for d in every)
    files = len(results)
    noun = "file" if files == 1 else "files"
    if not errors and not warnings:
        return f"ok: {files} {noun} valid"
    return f"{errors} error(s), {warnings} warning(s) in {files} {noun}"


def render_text(results: Results) -> str:
    cache: dict[str, list[str]] = {}
    out: list[str] = []
    for diagnostics in results.values():
        for d in diagnostics:
            first, *rest = d.message.splitlines() or [""]
            out.append(f"{d.file}:{d.line}:{d.column}: {d.severity.value} {d.code} {first}")
            out.extend("    " + line for line in rest)
            out.extend(_frame(d, cache))
            if d.hint:
                out.append(f"  hint: {d.hint}")
    out.append(summary(results))
    return "\n".join(out) + "\n"


def render_json(results: Results) -> str:
    items = [{"input": name, **d.to_dict()} for name, ds in results.items() for d in ds]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(results: Results) -> str:
    out: list[str] = []
    for diagnostics in results.values():
        for d in diagnostics:
            props = f"file={_github_escape(d.file, prop=True)},line={d.line},col={d.column}"
            props += f",title={_github_escape(d.code, prop=True)}"
            message = d.message + (f" ({d.hint})" if d.hint else "")
            out.append(f"::{_GITHUB_LEVEL[d.severity]} {props}::{_github_escape(message)}")
    out.append(summary(results))
    return "\n".join(out) + "\n"


def _testcase(name: str, diagnostics: Sequence[Diagnostic]) -> list[str]:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    head = f'  <testcase classname="arazzo.validate" name={quoteattr(name)}'
    if not errors:
        return [head + "/>"]
    lines = [head + ">"]
    for d in errors:
        text = f"{d.file}:{d.line}:{d.column}: {d.message}" + (f" ({d.hint})" if d.hint else "")
        lines.append(
            f"    <failure type={quoteattr(d.code)} message={quoteattr(d.message)}>"
            f"{escape(text)}</failure>"
        )
    lines.append("  </testcase>")
    return lines


def render_junit(results: Results) -> str:
    failures = sum(any(d.severity is Severity.ERROR for d in ds) for ds in results.values())
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append(
        f'<testsuite name="arazzo validate" tests="{len(results)}" failures="{failures}" '
        'errors="0">'
    )
    for name, diagnostics in results.items():
        out.extend(_testcase(name, diagnostics))
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


FORMATS: Mapping[str, Callable[[Results], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
}


def render(fmt: str, results: Results) -> str:
    """The whole output of ``arazzo validate --format fmt``."""
    return FORMATS[fmt](results)
