"""Helpers for the report tests: run the CLI in-process, and check a HAR file's structure.

:func:`check_har` is a structural check of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/):
every object and field the spec marks required is present with the right JSON type, and the
timings add up. It returns the list of problems (empty: the file is well-formed HAR 1.2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from arazzo_runner.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``arazzo ARGS`` through the real entry point: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


_NUM = (int, float)
_PAIRS = {"name": str, "value": str}
_REQUIRED: dict[str, dict[str, Any]] = {
    "log": {"version": str, "creator": dict, "entries": list},
    "creator": {"name": str, "version": str},
    "page": {"startedDateTime": str, "id": str, "title": str, "pageTimings": dict},
    "entry": {
        "startedDateTime": str,
        "time": _NUM,
        "request": dict,
        "response": dict,
        "cache": dict,
        "timings": dict,
    },
    "request": {
        "method": str,
        "url": str,
        "httpVersion": str,
        "cookies": list,
        "headers": list,
        "queryString": list,
        "headersSize": int,
        "bodySize": int,
    },
    "response": {
        "status": int,
        "statusText": str,
        "httpVersion": str,
        "cookies": list,
        "headers": list,
        "content": dict,
        "redirectURL": str,
        "headersSize": int,
        "bodySize": int,
    },
    "content": {"size": int, "mimeType": str},
    "timings": {"send": _NUM, "wait": _NUM, "receive": _NUM},
    "postData": {"mimeType": str},
}


def _fields(kind: str, obj: Any, where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: {kind} is not an object")
        return
    for name, kind_of in _REQUIRED[kind].items():
        if name not in obj:
            problems.append(f"{where}: {kind} has no {name}")
        elif isinstance(obj[name], bool) or not isinstance(obj[name], kind_of):
            problems.append(f"{where}.{name}: wrong type {type(obj[name]).__name__}")


def _pairs(items: Any, where: str, problems: list[str]) -> None:
    for i, item in enumerate(items if isinstance(items, list) else []):
        for name, kind in _PAIRS.items():
            if not isinstance(item, dict) or not isinstance(item.get(name), kind):
                problems.append(f"{where}[{i}]: needs string {name}")


def _date(text: Any, where: str, problems: list[str]) -> None:
    try:
        parsed = datetime.fromisoformat(str(text))
    except ValueError:
        problems.append(f"{where}: not ISO 8601: {text!r}")
        return
    if parsed.tzinfo is None:
        problems.append(f"{where}: no time zone")


def _entry(entry: Any, where: str, pages: set[str], problems: list[str]) -> None:
    _fields("entry", entry, where, problems)
    if not isinstance(entry, dict):
        return
    _date(entry.get("startedDateTime"), f"{where}.startedDateTime", problems)
    request, response = entry.get("request", {}), entry.get("response", {})
    _fields("request", request, f"{where}.request", problems)
    _fields("response", response, f"{where}.response", problems)
    for part, obj in (("request", request), ("response", response)):
        for field in ("headers", "cookies") + (("queryString",) if part == "request" else ()):
            _pairs(obj.get(field), f"{where}.{part}.{field}", problems)
    _fields("content", response.get("content"), f"{where}.response.content", problems)
    if "postData" in request:
        _fields("postData", request["postData"], f"{where}.request.postData", problems)
    timings = entry.get("timings", {})
    _fields("timings", timings, f"{where}.timings", problems)
    parts = [timings.get(k, 0) for k in ("send", "wait", "receive")]
    if any(isinstance(p, _NUM) and p < 0 for p in parts):
        problems.append(f"{where}.timings: send/wait/receive must not be negative")
    if all(isinstance(p, _NUM) for p in parts) and abs(sum(parts) - entry.get("time", 0)) > 0.01:
        problems.append(f"{where}.time is not the sum of its timings")
    if "pageref" in entry and entry["pageref"] not in pages:
        problems.append(f"{where}.pageref names no page")


def check_har(doc: Any) -> list[str]:
    """Every way ``doc`` (parsed JSON) breaks HAR 1.2's required structure."""
    problems: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("log"), dict):
        return ["no log object"]
    log = doc["log"]
    _fields("log", log, "log", problems)
    if log.get("version") != "1.2":
        problems.append("log.version is not 1.2")
    _fields("creator", log.get("creator"), "log.creator", problems)
    pages = log.get("pages", [])
    for i, page in enumerate(pages):
        _fields("page", page, f"log.pages[{i}]", problems)
    ids = {p.get("id") for p in pages if isinstance(p, dict)}
    for i, entry in enumerate(log.get("entries", [])):
        _entry(entry, f"log.entries[{i}]", ids, problems)
    return problems
