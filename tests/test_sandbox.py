"""The killable helper process: same answers as in-process, bounds that hold, recovery after."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from arazzo_runner.criteria import sandbox as _sandbox
from arazzo_runner.criteria.bounded import OPERATIONS, SandboxFailure, SandboxTimeout, run

CASES: list[tuple[str, tuple[Any, ...]]] = [
    ("regex", (r"b+", re.ASCII, "aabb")),
    ("regex", (r"^\d{3}$", re.ASCII, "2000")),
    ("regex", ("caf\u00e9|tea", 0, "un caf\u00e9")),
    ("regex", (r"(?P<x>a)(?P=x)", 0, "xaay")),
    ("jsonpath", ("$.a[?@ > 1]", None, {"a": [1, 2, 3]}, "$response.body")),
    ("jsonpath", ("$.b", None, {"a": 1}, "$response.body")),
    ("xpath", ("/r/x = 1", None, "<r><x>1</x></r>", "$response.body")),
    ("xpath", ("/r/y", None, b"<r><x>1</x></r>", "$response.body")),
    ("xpath", ("/r", None, "<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>", "$response.body")),
    ("xpath-compile", ("/r[", None)),
    ("xpath-compile", ("/r", "xpath-10")),
    ("xpath-compile", ("count(/r)", None)),
]


@pytest.mark.parametrize(("operation", "args"), CASES, ids=[f"{o}-{a[0]}" for o, a in CASES])
def test_same_answer_as_in_process(operation: str, args: tuple[Any, ...]) -> None:
    expected = OPERATIONS[operation](*args)
    assert run(operation, *args) == (list(expected) if isinstance(expected, tuple) else expected)


STOPPED = (SandboxTimeout,)
STOPPED_OR_OUT_OF_MEMORY = (SandboxTimeout, SandboxFailure)  # whichever bound comes first


@pytest.mark.parametrize(
    ("operation", "args", "stopped"),
    [
        ("regex", (r"(a+)+b", 0, "a" * 64), STOPPED),
        ("jsonpath", ("$[?match(@, '(a+)+b')]", None, ["a" * 64], "$response.body"), STOPPED),
        ("xpath", ("count(1 to 100000000) > 0", None, "<r/>", "$r"), STOPPED_OR_OUT_OF_MEMORY),
    ],
    ids=["regex", "jsonpath-match", "xpath-range"],
)
def test_a_runaway_operation_is_stopped_and_the_next_one_works(
    operation: str, args: tuple[Any, ...], stopped: tuple[type[Exception], ...]
) -> None:
    with pytest.raises(stopped):
        run(operation, *args, seconds=0.5)
    assert run("regex", r"a+b", 0, "aab") is True  # a fresh helper answers


def test_a_memory_bomb_fails_in_the_helper_not_here() -> None:
    with pytest.raises((SandboxFailure, SandboxTimeout)):
        run("xpath-compile", "count(1 to 100000000000) > 1", None, seconds=20)
    assert run("regex", "x", 0, "x") is True


def test_concurrent_calls_get_their_own_answers() -> None:
    answers: dict[int, bool] = {}

    def search(n: int) -> None:
        answers[n] = run("regex", rf"^x{{{n}}}$", 0, "x" * (n if n % 2 else n + 1))

    threads = [threading.Thread(target=search, args=(n,)) for n in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {n: bool(n % 2) for n in range(1, 21)}


def test_without_a_helper_operations_run_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    helper = _sandbox.Helper(OPERATIONS, "unused.py")
    monkeypatch.setattr(helper, "_unavailable", True)
    assert helper.run("regex", ("b", 0, "abc"), 1.0) is True


def test_xpath_compile_errors_in_the_parent() -> None:
    from arazzo_runner.criteria.bounded import compile_xpath
    from arazzo_runner.errors import ExpressionError

    with pytest.raises(ExpressionError, match="unknown XPath version 'xpath-99'"):
        compile_xpath("/r", "xpath-99")
    with pytest.raises(ExpressionError, match="invalid XPath") as info:
        compile_xpath("/r[", None)
    assert info.value.position is not None
    with pytest.raises(ExpressionError, match="XPath cannot be compiled"):
        compile_xpath("count(1 to 100000000000) > 1", None)


def test_no_module_beside_the_helper_script_shadows_the_standard_library() -> None:
    """The helper process runs ``criteria/bounded.py`` as a script, so until it fixes
    ``sys.path[0]`` its own folder comes first on the import path: a module there named like a
    standard-library one (``select.py``, ``selectors.py``) would be imported instead of it."""
    import sys
    from pathlib import Path

    from arazzo_runner.criteria import bounded

    folder = Path(bounded.__file__).parent
    names = {p.stem for p in folder.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert "bounded" in names
    assert names & set(sys.stdlib_module_names) == set()
