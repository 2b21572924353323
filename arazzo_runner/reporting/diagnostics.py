"""Diagnostics as text for people and CI: pure functions from diagnostics to a string.

``render(fmt, results)`` takes ``results``, a mapping from each validated file (as the user
named it) to its diagnostics, and returns the whole output for one of :data:`FORMATS`:

* ``text``   ``file:line:col: error CODE message``, the source line with a caret under the
  column, the hint, and a summary line;
* ``json``   one array of diagnostic objects (each with its ``input`` file);
* ``github`` GitHub Actions workflow commands (``::error file=...,line=...,col=...::...``);
* ``junit``  JUnit XML, one testcase per validated file; a file with errors (with ``strict``,
  warnings too) has one ``failure`` listing them all, other diagnostics go to ``system-out``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.document import MAX_DOCUMENT_BYTES, read_capped
from arazzo_runner.errors import ArazzoError, YamlError

__all__ = ["FORMATS", "Results", "render", "summary", "xml_safe"]

Results = Mapping[str, Sequence[Diagnostic]]


def _unreadable(message: str) -> ArazzoError:
    return YamlError(message)


def _source_line(file: str, line: int, cache: dict[str, list[str]]) -> str | None:
    if file not in cache:
        try:  # bounded, and only a regular file: never /dev/zero, never a FIFO that blocks
            raw = read_capped(file, MAX_DOCUMENT_BYTES, _unreadable)
        except ArazzoError:
            raw = b""
        cache[file] = raw.decode("utf-8", errors="replace").splitlines()
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


def render_text(results: Results, strict: bool = False) -> str:
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


def render_json(results: Results, strict: bool = False) -> str:
    items = [{"input": name, **d.to_dict()} for name, ds in results.items() for d in ds]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(results: Results, strict: bool = False) -> str:
    out: list[str] = []
    for diagnostics in results.values():
        for d in diagnostics:
            props = f"file={_github_escape(d.file, prop=True)},line={d.line},col={d.column}"
            props += f",title={_github_escape(d.code, prop=True)}"
            message = d.message + (f" ({d.hint})" if d.hint else "")
            out.append(f"::{_GITHUB_LEVEL[d.severity]} {props}::{_github_escape(message)}")
    out.append(summary(results))
    return "\n".join(out) + "\n"


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold (NUL, most C0 controls) as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _located(d: Diagnostic) -> str:
    text = f"{d.file}:{d.line}:{d.column}: {d.severity.value} {d.code} {d.message}"
    return text + (f" ({d.hint})" if d.hint else "")


def _testcase(suite: ET.Element, name: str, found: Sequence[Diagnostic], strict: bool) -> bool:
    """One testcase; True when it failed. One ``failure`` (strict JUnit consumers accept no
    more) carries the first failing diagnostic as ``type``/``message`` and all of them as text;
    warnings that do not fail are listed in ``system-out``."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    bad = [d for d in found if d.severity in failing]
    case = ET.SubElement(suite, "testcase", classname="arazzo.validate", name=xml_safe(name))
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        failure = ET.SubElement(
            case, "failure", type=xml_safe(bad[0].code), message=xml_safe(bad[0].message + more)
        )
        failure.text = xml_safe("\n".join(_located(d) for d in bad))
    rest = [d for d in found if d not in bad]
    if rest:
        ET.SubElement(case, "system-out").text = xml_safe("\n".join(map(_located, rest)) + "\n")
    return bool(bad)


def render_junit(results: Results, strict: bool = False) -> str:
    """One ``testsuite``, a testcase per validated file; with ``strict`` warnings fail too."""
    suite = ET.Element("testsuite", name="arazzo validate", tests=str(len(results)))
    failures = sum(_testcase(suite, name, ds, strict) for name, ds in results.items())
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


FORMATS: Mapping[str, Callable[[Results, bool], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
}


def render(fmt: str, results: Results, *, strict: bool = False) -> str:
    """The whole output of ``arazzo validate --format fmt`` (``strict``: warnings fail)."""
    return FORMATS[fmt](results, strict)
