"""docs/pytest.md, run as written: its files make a project, its ``pytest`` commands run there.

A fenced block whose first line is ``# <path>`` is a file of the project (besides copies of
``workflows/petstore.arazzo.yaml`` and its description). Each ``pytest`` line of a ``sh`` block
is run with ``pytester`` (in a subprocess when it uses ``-n``); when a ``text`` block follows,
the run must print its lines in that order (``...`` skips lines, a duration matches any
duration), else it must pass. ``http://127.0.0.1:8000`` is the pet store app on a free port.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apps import make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "pytest.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
WRITTEN_URL = "http://127.0.0.1:8000"
DURATION = re.compile(r"\d+\.\d+s")
FILE_LINE = re.compile(r"# ([\w./-]+\.(?:ini|py|yaml|yml|json))\Z")


def blocks() -> list[tuple[str, str]]:
    return FENCE.findall(PAGE.read_text(encoding="utf-8"))


def project_files() -> dict[str, str]:
    found = {}
    for _lang, body in blocks():
        named = FILE_LINE.match(body.splitlines()[0])
        if named:
            found[named.group(1)] = body
    return found


def commands() -> list[tuple[str, str | None]]:
    """``(command, expected output or None)`` for each ``pytest`` line of the page."""
    found: list[tuple[str, str | None]] = []
    page = blocks()
    for index, (lang, body) in enumerate(page):
        if lang != "sh":
            continue
        following = page[index + 1] if index + 1 < len(page) else ("", "")
        expected = following[1] if following[0] == "text" else None
        found += [(line, expected) for line in body.splitlines() if line.startswith("pytest ")]
    return found


def pattern(line: str) -> re.Pattern[str]:
    pieces = DURATION.split(line.rstrip())
    return re.compile(r"\d+\.\d+s".join(re.escape(piece) for piece in pieces))


def assert_prints(output: list[str], expected: str) -> None:
    """Each expected line (but ``...``) is found in ``output``, in order."""
    position = 0
    for line in expected.splitlines():
        if line.strip() == "...":
            continue
        wanted = pattern(line)
        while position < len(output) and not wanted.search(output[position]):
            position += 1
        assert position < len(output), f"not printed (in order): {line!r}\n" + "\n".join(output)
        position += 1


@pytest.fixture(scope="module")
def petstore() -> Iterator[str]:
    with serve(make_petstore_app()) as url:
        yield url


@pytest.fixture
def project(pytester: pytest.Pytester, petstore: str) -> pytest.Pytester:
    for folder in ("workflows", "openapi"):
        (pytester.path / folder).mkdir()
    shutil.copy(ROOT / "workflows" / "petstore.arazzo.yaml", pytester.path / "workflows")
    shutil.copy(ROOT / "openapi" / "petstore.openapi.yaml", pytester.path / "openapi")
    for name, text in project_files().items():
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace(WRITTEN_URL, petstore), encoding="utf-8")
    return pytester


def test_output_matcher_wants_lines_in_order() -> None:
    assert_prints(
        ["collected 2 items", "x", "2 passed in 0.31s"], "collected 2 items\n...\n2 passed in 9.99s"
    )
    with pytest.raises(AssertionError, match="not printed"):
        assert_prints(["b", "a"], "a\nb")


def test_the_page_has_files_and_commands() -> None:
    assert {"pytest.ini", "workflows/petstore.arazzo.inputs.yaml", "tests/test_petstore.py"} <= set(
        project_files()
    )
    assert len(commands()) >= 4
    assert sum(expected is not None for _, expected in commands()) >= 3


@pytest.mark.parametrize(("command", "expected"), commands(), ids=[c for c, _ in commands()])
def test_command(
    project: pytest.Pytester, petstore: str, command: str, expected: str | None
) -> None:
    args = shlex.split(command.replace(WRITTEN_URL, petstore))[1:]
    if "-n" in args:
        result = project.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)
    else:
        result = project.runpytest(*args)
    if expected is None:
        assert result.ret == 0, result.stdout.str()
    else:
        assert_prints(result.outlines, expected.replace(WRITTEN_URL, petstore))
