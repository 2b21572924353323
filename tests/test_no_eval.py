"""No module of the package calls the ``eval``/``exec``/``compile`` builtins (or aliases them).

Methods that share the name (``re.compile``, ``self.compile``) are fine: only bare names and
``builtins.<name>`` attribute calls count, plus any reference that could smuggle them out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import arazzo_runner

FORBIDDEN = frozenset({"eval", "exec", "compile", "__import__"})
PACKAGE = Path(next(iter(arazzo_runner.__path__)))


def forbidden_uses(source: str, filename: str) -> list[str]:
    """``file:line name`` for every bare use of a forbidden builtin in ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.append(f"{filename}:{node.lineno} {node.id}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in FORBIDDEN
            and isinstance(node.value, ast.Name)
            and node.value.id in {"builtins", "__builtins__"}
        ):
            found.append(f"{filename}:{node.lineno} builtins.{node.attr}")
    return found


def test_detector_finds_builtins_and_ignores_methods() -> None:
    bad = "eval('1')\nx = exec\nimport builtins\nbuiltins.compile('', '', 'exec')\n"
    assert len(forbidden_uses(bad, "bad.py")) == 3
    assert forbidden_uses("import re\nre.compile('a')\nobj.eval()\n", "ok.py") == []


def test_package_never_uses_eval_exec_or_compile() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert files, f"no sources under {PACKAGE}"
    found = [hit for path in files for hit in forbidden_uses(path.read_text("utf-8"), str(path))]
    assert found == []
