"""The layer table of the design (``../shared/DESIGN.md``), kept true by reading imports.

A module imports only from its own layer or below. Every module of the package is mapped to a
layer below; a new module must be added here (the test says so). Private modules (``_x.py``)
sit in the layer of the public module they serve. Every import counts: module level, inside a
function (lazy) and under ``TYPE_CHECKING``, because each is a dependency all the same.

====  ===========================================================================================
0     errors, the MISSING sentinel
1     the model: Arazzo objects, results, diagnostics
2     expressions/ (runtime expressions, conditions, templates)
3     criteria (with its JSONPath and XML helpers), the SSE decoder and its event iterators
4     loading: YAML, sources, the Arazzo loader, the OpenAPI index, validation rules, inputs
5     one step on the wire: executor (with its request/response/stream parts), auth, redaction,
      parameter serialization, bodies, URLs, the engine/executor seam (calls), transports
6     the engine (control flow) and its scope
7     the facade: ``arazzo_runner`` itself and the runner behind it
8     the faces: cli, commands/, reporting/, report_diagnostics, mock/, the pytest plugin
====  ===========================================================================================

Known violations are listed in ALLOWED with a reason each; an allowance that is no longer
needed fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "arazzo_runner"
NAME = PACKAGE.name

# Exact module names (without the ``arazzo_runner.`` prefix; "" is the package itself).
LAYERS: dict[str, int] = {
    # 0 -- errors
    "errors": 0,
    "_missing": 0,
    "_location": 0,
    "redact": 0,  # stdlib only; inputs (4) and errors' users mask with it
    # 1 -- model
    "model": 1,
    "results": 1,
    "diagnostics": 1,
    # 3 -- criteria and SSE
    "criteria": 3,
    "_stream_spec": 3,
    "_sandbox": 3,
    "_jsonpath": 3,
    "_xml": 3,
    "sse": 3,
    "event_stream": 3,
    "_stream_bounds": 3,
    # 4 -- loading and validation
    "_yaml": 4,
    "_yaml_build": 4,
    "sources": 4,
    "loader": 4,
    "_loader_fields": 4,
    "workspace": 4,
    "openapi": 4,
    "_openapi_build": 4,
    "_openapi_model": 4,
    "_openapi_refs": 4,
    "_openapi_schema": 4,
    "validate": 4,
    "_rules_context": 4,
    "_rules_expressions": 4,
    "_rules_structure": 4,
    "_rules_targets": 4,
    "_rules_extensions": 4,
    "inputs": 4,
    # 5 -- one step on the wire
    "executor": 5,
    "_exec_request": 5,
    "_exec_response": 5,
    "_exec_stream": 5,
    "auth": 5,
    "serialize": 5,
    "bodies": 5,
    "urls": 5,
    "calls": 5,
    "_transport": 5,
    # 6 -- control flow
    "engine": 6,
    "_engine_scope": 6,
    # 7 -- the facade
    "": 7,
    "runner": 7,
    "streaming_run": 7,
    "_excerpt": 7,
    # 8 -- the faces
    "__main__": 8,
    "cli": 8,
    "report_diagnostics": 8,
    "pytest_plugin": 8,
    "_pytest_items": 8,
    "_pytest_options": 8,
}

# Whole subpackages (the package module and everything inside it).
SUBPACKAGES: dict[str, int] = {
    "expressions": 2,
    "commands": 8,
    "reporting": 8,
    "mock": 8,
}

# (importer, imported) -> why it is tolerated for now.
ALLOWED: dict[tuple[str, str], str] = {}

# Layer rules the design states beyond the table.
NO_HTTPX = ("engine", "_engine_scope", "expressions")


def layer_of(module: str) -> int | None:
    if module in LAYERS:
        return LAYERS[module]
    head = module.split(".", 1)[0]
    return SUBPACKAGES.get(head)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, path: Path, node: ast.ImportFrom, known: set[str]) -> list[str]:
    """The package modules a ``from ... import ...`` statement depends on."""
    if node.level:
        package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join(p for p in [*package, node.module or ""] if p)
    elif node.module == NAME or (node.module or "").startswith(NAME + "."):
        base = (node.module or "")[len(NAME) + 1 :]
    else:
        return []
    targets = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}" if base else alias.name
        targets.append(submodule if submodule in known else base)
    return targets


def imports(importer: str, path: Path, known: set[str]) -> set[str]:
    """Every package module ``importer`` imports (any statement, anywhere in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(importer, path, node, known))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == NAME or alias.name.startswith(NAME + "."):
                    found.add(alias.name[len(NAME) + 1 :])
    found.discard(importer)
    return found


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def _violations() -> set[tuple[str, str]]:
    modules = _modules()
    known = set(modules)
    found = set()
    for importer, path in modules.items():
        own = layer_of(importer)
        assert own is not None
        for imported in imports(importer, path, known):
            theirs = layer_of(imported)
            assert theirs is not None, f"{importer} imports {imported!r}, which is not a module"
            if theirs > own:
                found.add((importer, imported))
    return found


def test_every_module_has_a_layer() -> None:
    unmapped = sorted(m or NAME for m in _modules() if layer_of(m) is None)
    assert unmapped == [], "add these modules to LAYERS (or SUBPACKAGES) in tests/test_layers.py"


def test_no_module_imports_from_a_higher_layer() -> None:
    if any(layer_of(m) is None for m in _modules()):
        return  # reported by test_every_module_has_a_layer
    unexpected = sorted(
        f"{a or NAME} (layer {layer_of(a)}) imports {b or NAME} (layer {layer_of(b)})"
        for a, b in _violations() - set(ALLOWED)
    )
    assert unexpected == []


def test_allowances_are_still_needed() -> None:
    if any(layer_of(m) is None for m in _modules()):
        return
    stale = sorted(set(ALLOWED) - _violations())
    assert stale == [], "these ALLOWED entries no longer happen: remove them"


def test_control_flow_and_expressions_do_not_import_httpx() -> None:
    modules = _modules()
    offenders = sorted(
        name
        for name, path in modules.items()
        if name.split(".", 1)[0] in NO_HTTPX and {"httpx", "httpcore"} & _third_party(path)
    )
    assert offenders == []


def test_the_checker_sees_relative_absolute_and_lazy_imports(tmp_path: Path) -> None:
    known = {"errors", "expressions", "expressions.parser", "model", "sse", "engine", "openapi"}
    known |= {"mock", "mock.app"}
    top = tmp_path / "sample.py"
    top.write_text(
        "from . import errors\n"
        "from .expressions import parser\n"
        "from .model import Step\n"
        "import arazzo_runner.sse\n"
        "def later():\n"
        "    from arazzo_runner.engine import Engine\n",
        encoding="utf-8",
    )
    assert imports("sample", top, known) == {
        "errors",
        "expressions.parser",
        "model",
        "sse",
        "engine",
    }
    (tmp_path / "mock").mkdir()
    init = tmp_path / "mock" / "__init__.py"
    init.write_text("from .app import make_app\n", encoding="utf-8")
    assert imports("mock", init, known) == {"mock.app"}
    inner = tmp_path / "mock" / "app.py"
    inner.write_text("from ..openapi import Operation\nfrom . import app\n", encoding="utf-8")
    assert imports("mock.app", inner, known) == {"openapi"}
