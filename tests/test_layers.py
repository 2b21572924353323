"""The layer table of the design (``../shared/DESIGN.md``), kept true by reading imports.

The folder tree is the layer table: every top-level module and every package has a row, and a
module imports only from its own layer or below. Every import counts: module level, inside a
function (lazy) and under ``TYPE_CHECKING``, because each is a dependency all the same.

====  ===========================================================================================
0     the base: errors, results, diagnostics, redact, pointer, media, MISSING, lazy faces
1     document/ (YAML reader, Arazzo model, sources, workspace, openapi/), expressions/
2     criteria/, streaming/
3     validation/, engine/
4     wire/
5     runner and the facade (``arazzo_runner`` itself)
6     the faces: cli/, reporting/, mock/, pytest_plugin/, loadtest/, ``__main__``
====  ===========================================================================================

Three more rules:

* a package is entered only through its face: a module outside package P (or subpackage
  P.Q) imports ``P`` (or ``P.Q``) itself, never ``P.inner``;
* no top-level module has the name of a facade attribute (``import arazzo_runner.validate``
  would otherwise shadow the function ``validate``);
* the faces (layer 6) use the facade, the base and the package faces, never ``runner``.

And the import graph the interpreter walks (module-level statements, not lazy imports or
``TYPE_CHECKING`` blocks) has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "arazzo_runner"
NAME = PACKAGE.name

# Top-level modules and packages (a package's row covers everything inside it).
LAYERS: dict[str, int] = {
    "errors": 0,
    "results": 0,
    "diagnostics": 0,
    "redact": 0,
    "pointer": 0,
    "_missing": 0,
    "_lazy": 0,
    "media": 0,
    "settings": 0,
    "document": 1,
    "expressions": 1,
    "criteria": 2,
    "streaming": 2,
    "validation": 3,
    "engine": 3,
    "wire": 4,
    "runner": 5,
    "": 5,
    "__main__": 6,
    "cli": 6,
    "reporting": 6,
    "mock": 6,
    "pytest_plugin": 6,
    "loadtest": 6,
}
IN_A_CHILD = {"loadtest"}  # its names import Locust, which patches the process for gevent
# (tests/test_load.py resolves them in a child process)
BASE = {name for name, layer in LAYERS.items() if layer == 0}
FACES = {name for name, layer in LAYERS.items() if layer == 6} - {"__main__"}

# Layer rules the design states beyond the table.
NO_HTTPX = ("engine", "expressions")
STDLIB_ONLY = BASE


def layer_of(module: str) -> int | None:
    return LAYERS.get(module.split(".", 1)[0])


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}


def _packages(modules: dict[str, Path]) -> set[str]:
    return {name for name, path in modules.items() if path.name == "__init__.py"}


def _resolve(importer: str, path: Path, node: ast.ImportFrom, known: set[str]) -> list[str]:
    """The package modules a ``from ... import ...`` statement depends on."""
    if node.level:
        package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
        package = [p for p in package if p]
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


def _statements(tree: ast.Module, runtime_only: bool) -> list[ast.stmt]:
    """Every import statement; with ``runtime_only``, those run when the module is imported."""
    if not runtime_only:
        return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    found: list[ast.stmt] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    return found


def imports(importer: str, path: Path, known: set[str], runtime_only: bool = False) -> set[str]:
    """The package modules ``importer`` imports (every statement, or only those run at import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in _statements(tree, runtime_only):
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


def _owner(module: str, packages: set[str]) -> str:
    """The innermost package that holds ``module`` ("" for a top-level module)."""
    parts = module.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in packages:
            return candidate
    return ""


def face_violations(root: Path = PACKAGE) -> list[str]:
    """Imports of a package's inner module from outside that package."""
    modules = _modules(root)
    known, packages = set(modules), _packages(modules)
    found = []
    for importer, path in modules.items():
        for imported in imports(importer, path, known):
            owner = _owner(imported, packages)
            if imported in packages or not owner:
                continue  # a package face, or a top-level module
            if importer == owner or importer.startswith(owner + "."):
                continue  # inside the package itself
            found.append(f"{importer or NAME} imports {imported}: use {NAME}.{owner}")
    return sorted(found)


def layer_violations(root: Path = PACKAGE) -> list[str]:
    modules = _modules(root)
    known = set(modules)
    found = []
    for importer, path in modules.items():
        own = layer_of(importer)
        for imported in imports(importer, path, known):
            theirs = layer_of(imported)
            if own is not None and theirs is not None and theirs > own:
                found.append(
                    f"{importer or NAME} (layer {own}) imports {imported or NAME} (layer {theirs})"
                )
    return sorted(found)


def face_use_violations(root: Path = PACKAGE) -> list[str]:
    """Faces use the facade, the base and package faces only."""
    modules = _modules(root)
    known, packages = set(modules), _packages(modules)
    allowed = {""} | BASE | packages
    found = []
    for importer, path in modules.items():
        face = importer.split(".", 1)[0]
        if face not in FACES:
            continue
        for imported in imports(importer, path, known):
            if imported.split(".", 1)[0] == face or imported in allowed:
                continue
            found.append(f"{importer} (a face) imports {imported or NAME}")
    return sorted(found)


def runtime_cycles(root: Path = PACKAGE) -> list[list[str]]:
    """Cycles among the imports that run when a module is imported."""
    modules = _modules(root)
    known = set(modules)
    graph = {m: imports(m, p, known, runtime_only=True) & known for m, p in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


# -- the rules on the package -----------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    unmapped = sorted(m or NAME for m in _modules() if layer_of(m) is None)
    assert unmapped == [], "add these top-level modules or packages to LAYERS"


def test_at_most_twelve_top_level_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top


def test_no_module_imports_from_a_higher_layer() -> None:
    assert layer_violations() == []


def test_packages_are_entered_through_their_face() -> None:
    assert face_violations() == []


def test_faces_use_only_the_facade_the_base_and_package_faces() -> None:
    assert face_use_violations() == []


def test_no_top_level_module_has_the_name_of_a_facade_attribute() -> None:
    import arazzo_runner

    top = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.parent.name for p in PACKAGE.glob("*/__init__.py")
    }
    assert sorted(top & set(arazzo_runner.__all__)) == []


def test_no_import_cycle_at_run_time() -> None:
    assert runtime_cycles() == []


def test_the_base_imports_only_the_standard_library() -> None:
    modules = _modules()
    for name in STDLIB_ONLY:
        outside = _third_party(modules[name]) - {"__future__", NAME}
        import sys

        assert outside <= set(sys.stdlib_module_names), (name, outside)


def test_control_flow_and_expressions_do_not_import_httpx() -> None:
    modules = _modules()
    offenders = sorted(
        name
        for name, path in modules.items()
        if name.split(".", 1)[0] in NO_HTTPX and {"httpx", "httpcore"} & _third_party(path)
    )
    assert offenders == []


def _faces() -> dict[str, Path]:
    modules = _modules()
    return {name: modules[name] for name in sorted(_packages(modules)) if name}


def _type_checking_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    found.update(alias.asname or alias.name for alias in stmt.names)
    return found


def test_every_face_name_resolves_and_the_lazy_table_matches_the_type_checking_block() -> None:
    import importlib

    for name, path in _faces().items():
        if name in IN_A_CHILD:
            continue
        face = importlib.import_module(f"{NAME}.{name}")
        exported = list(face.__all__)
        assert exported == sorted(exported), name
        for attribute in exported:
            assert getattr(face, attribute) is not None, (name, attribute)
        if hasattr(face, "_LAZY_NAMES"):  # a lazy face (arazzo_runner._lazy)
            assert set(face._LAZY_NAMES) == _type_checking_names(path), name


def test_no_face_name_is_also_the_name_of_an_inner_module() -> None:
    import importlib

    modules = set(_modules())
    for name in _faces():
        face = importlib.import_module(f"{NAME}.{name}")
        clashes = sorted(a for a in face.__all__ if f"{name}.{a}" in modules)
        assert clashes == [], f"{name} exports {clashes}, which are also its modules' names"


# -- the checker itself, on small trees ---------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_sees_relative_absolute_and_lazy_imports(tmp_path: Path) -> None:
    known = {"errors", "expressions", "expressions.parser", "document", "streaming.sse", "engine"}
    known |= {"mock", "mock.app"}
    top = tmp_path / "sample.py"
    top.write_text(
        "from . import errors\n"
        "from .expressions import parser\n"
        "from .document import Step\n"
        "import arazzo_runner.streaming.sse\n"
        "def later():\n"
        "    from arazzo_runner.engine import Engine\n",
        encoding="utf-8",
    )
    assert imports("sample", top, known) == {
        "errors",
        "expressions.parser",
        "document",
        "streaming.sse",
        "engine",
    }
    assert imports("sample", top, known, runtime_only=True) == {
        "errors",
        "expressions.parser",
        "document",
        "streaming.sse",
    }
    (tmp_path / "mock").mkdir()
    init = tmp_path / "mock" / "__init__.py"
    init.write_text("from .app import make_app\n", encoding="utf-8")
    assert imports("mock", init, known) == {"mock.app"}


def test_the_face_rule_catches_a_face_importing_an_inner_module(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / NAME,
        {
            "__init__.py": "",
            "errors.py": "",
            "streaming/__init__.py": "from .sse import Decoder\n",
            "streaming/sse.py": "from arazzo_runner import errors\n",
            "cli/__init__.py": "from arazzo_runner.streaming import Decoder\n",
            "cli/run.py": "from arazzo_runner.streaming.sse import Decoder\n",
        },
    )
    assert face_violations(root) == [
        "cli.run imports streaming.sse: use arazzo_runner.streaming",
    ]
    assert face_use_violations(root) == ["cli.run (a face) imports streaming.sse"]


def test_the_layer_rule_and_the_cycle_check_catch_their_cases(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / NAME,
        {
            "__init__.py": "",
            "errors.py": "from arazzo_runner import runner\n",
            "runner.py": "from arazzo_runner import errors\n",
            "engine/__init__.py": "def later():\n    from arazzo_runner.wire import go\n",
            "wire/__init__.py": "from arazzo_runner.engine import port\n",
        },
    )
    assert layer_violations(root) == [
        "engine (layer 3) imports wire (layer 4)",
        "errors (layer 0) imports runner (layer 5)",
    ]
    assert runtime_cycles(root) == [["errors", "runner", "errors"]]
