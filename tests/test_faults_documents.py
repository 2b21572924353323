"""Document faults through the real ``arazzo`` process: hostile or broken files fail fast, clearly.

Each row of :data:`FAULTS` writes files into a fresh directory, runs ``arazzo validate`` and
``arazzo run`` on the root file in a subprocess (``timeout`` is only a hang guard) and checks
the exit code, a fragment of the message, and that no traceback escaped. The loader's own unit
tests (test_loader.py, test_sources.py) cover the pieces; here the whole command is the unit.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.asgi_server import serve
from tests.support.cli import HANG_GUARD, PYTHON, arazzo

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /json:
    get:
      operationId: getJson
      responses: {'200': {description: ok}}
"""


def arazzo_doc(source: str = "./api.openapi.yaml", steps: int = 1, extra: str = "") -> str:
    body = "".join(f"      - stepId: s{n}\n        operationId: getJson\n" for n in range(steps))
    return (
        "arazzo: 1.0.1\n"
        "info: {title: t, version: '1'}\n"
        "sourceDescriptions:\n"
        f"  - {{name: api, url: '{source}', type: openapi}}\n"
        f"{extra}"
        "workflows:\n"
        "  - workflowId: w\n"
        "    steps:\n"
        f"{body}"
    )


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 10):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _block_nesting(depth: int) -> str:
    return "".join(f"{'  ' * n}k{n}:\n" for n in range(depth)) + f"{'  ' * depth}leaf: 1\n"


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (a device, say)."""

    target: str


class Fifo:
    """A named pipe: opening it for reading waits for a writer that never comes."""


FIFO = Fifo()
LONG_NAME = "a" * 300 + ".yaml"  # over the 255 bytes a file name may have
Files = Mapping[str, str | bytes | Link | Fifo | None]  # None: a directory


@dataclass(frozen=True)
class Fault:
    name: str
    files: Files
    validate: tuple[int, str]  # exit code, message fragment
    run: tuple[int, str] | None = None  # None: the same as validate
    root: str = "doc.arazzo.yaml"


FAULTS = [
    Fault("alias-bomb", {"doc.arazzo.yaml": _alias_bomb()}, (2, "a YAML alias bomb?")),
    Fault("recursive-alias", {"doc.arazzo.yaml": "a: &a [*a]\n"}, (2, "recursive alias *a")),
    Fault(
        "deep-flow-nesting",
        {"doc.arazzo.yaml": "arazzo: " + "[" * 100_000 + "]" * 100_000 + "\n"},
        (2, "nesting depth"),
    ),
    Fault(
        "deep-flow-mapping",
        {"doc.arazzo.yaml": "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"},
        (2, "nesting deeper than 256 levels"),
    ),
    Fault(
        "deep-block-nesting",
        {"doc.arazzo.yaml": _block_nesting(300)},
        (2, "nesting deeper than 256 levels"),
    ),
    Fault(
        "document-over-the-size-limit",
        {"doc.arazzo.yaml": arazzo_doc() + "#" * (17 * MIB) + "\n"},
        (2, "over the 16777216-byte limit"),
    ),
    Fault(
        "latin-1-text",
        {"doc.arazzo.yaml": "arazzo: 1.0.1\ninfo: {title: caf\xe9}\n".encode("latin-1")},
        (2, "text is not valid UTF-8"),
    ),
    Fault(
        "binary-file",
        {"doc.arazzo.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
        (2, "this is a binary file, not YAML or JSON text"),
    ),
    Fault(
        "utf-16-text",
        {"doc.arazzo.yaml": "arazzo: 1.0.1\n".encode("utf-16")},
        (2, "binary file"),
    ),
    Fault(
        "directory",
        {"doc.arazzo.yaml": None},
        (2, "is a directory, not a file"),
        (2, "no Arazzo file in this folder"),
    ),
    Fault("missing-file", {}, (2, "file not found")),
    Fault(
        "endless-device",
        {"doc.arazzo.yaml": Link("/dev/zero")},
        (2, "this is a character device, not a file"),
    ),
    Fault("named-pipe", {"doc.arazzo.yaml": FIFO}, (2, "this is a named pipe (FIFO), not a file")),
    Fault("file-name-over-255-bytes", {}, (2, "File name too long"), root=LONG_NAME),
    Fault("empty-file", {"doc.arazzo.yaml": ""}, (2, "must be an object, not null")),
    Fault(
        "duplicate-keys",
        {"doc.arazzo.yaml": "arazzo: 1.0.1\ninfo: {title: a}\ninfo: {title: b}\n"},
        (2, "duplicate key 'info'"),
    ),
    Fault(
        "python-tag",
        {"doc.arazzo.yaml": 'arazzo: !!python/object/apply:os.system ["echo pwned"]\n'},
        (2, "unsupported YAML tag"),
    ),
    Fault(
        "raw-control-character",
        {"doc.arazzo.yaml": "arazzo: 1.0.1\ninfo: {title: \x1b[2J}\n"},
        (2, "control characters are not allowed"),
    ),
    Fault(
        "xpath-that-fills-the-memory-when-compiled",
        {
            "doc.arazzo.yaml": arazzo_doc().replace(
                "        operationId: getJson\n",
                "        operationId: getJson\n        successCriteria:\n"
                "          - {context: $response.body, type: xpath,"
                " condition: 'count(1 to 100000000000) > 1'}\n",
            ),
            "api.openapi.yaml": OPENAPI,
        },
        (2, "XPath cannot be compiled"),
    ),
    # -- sources: validation warns (its checks are skipped); a run refuses before any request:
    # 2 for a local file (the document must change), 3 for a remote one it could not fetch --
    Fault(
        "source-over-the-size-limit",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": OPENAPI + "#" * (17 * MIB)},
        (0, "over the 16777216-byte limit"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "binary-source",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": b"\x00\x01\x02\x03"},
        (0, "this is a binary file"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-is-a-directory",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": None},
        (0, "is a directory, not a file"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-is-a-named-pipe",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": FIFO},
        (0, "this is a named pipe (FIFO), not a file"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-is-a-device",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": Link("/dev/zero")},
        (0, "this is a character device, not a file"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-file-name-over-255-bytes",
        {"doc.arazzo.yaml": arazzo_doc(f"./{LONG_NAME}")},
        (0, "File name too long"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-alias-bomb",
        {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": _alias_bomb()},
        (0, "a YAML alias bomb?"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-other-scheme",
        {"doc.arazzo.yaml": arazzo_doc("ftp://example.com/api.yaml")},
        (0, "unsupported URL scheme `ftp:`"),
        (2, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "remote-source-offline",
        {"doc.arazzo.yaml": arazzo_doc("https://example.com/api.yaml")},
        (0, "remote sources are disabled (--offline)"),
        (3, "source description 'api' cannot be loaded: "),
    ),
    Fault(
        "source-cycle",
        {
            "doc.arazzo.yaml": arazzo_doc(
                extra="  - {name: other, url: ./other.arazzo.yaml, type: arazzo}\n"
            ),
            "api.openapi.yaml": OPENAPI,
            "other.arazzo.yaml": arazzo_doc(
                extra="  - {name: back, url: ./doc.arazzo.yaml, type: arazzo}\n"
            ),
        },
        (0, "ok: 1 file valid"),
        (3, "could not connect to 127.0.0.1:9"),  # it loaded, then ran into the closed port
    ),
    Fault(
        "thousands-of-steps",
        {"doc.arazzo.yaml": arazzo_doc(steps=5000), "api.openapi.yaml": OPENAPI},
        (0, "ok: 1 file valid"),
        (3, "could not connect to 127.0.0.1:9"),
    ),
]


def write(folder: Path, files: Files) -> None:
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir()
        elif isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


COMMANDS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "validate": lambda path: ("validate", path, "--offline"),
    "run": lambda path: ("run", path, "--offline", "-S", "api=http://127.0.0.1:9"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_document_fault(tmp_path: Path, fault: Fault, command: str) -> None:
    write(tmp_path, fault.files)
    code, fragment = fault.validate if command == "validate" or fault.run is None else fault.run
    done = arazzo(*COMMANDS[command](str(tmp_path / fault.root)))
    assert done.code == code, done.text[:2000]
    assert fragment in done.text
    assert "Traceback" not in done.text


# -- what is not a regular file is refused before it is read --------------------------------

GIB = 1024 * MIB


_CAPPED = (
    "import resource, runpy, sys\n"
    "limit = int(sys.argv.pop(1))\n"
    "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
    "sys.argv[0] = 'arazzo'\n"
    "runpy.run_module('arazzo_runner', run_name='__main__')\n"
)


def _arazzo_capped(*args: str, stdin: int | None = None) -> tuple[int, str]:
    """``arazzo ARGS`` with its address space capped at 2 GiB (set by the child itself, no
    ``preexec_fn``): reading without a bound runs out of memory (a traceback) instead of
    filling the machine."""
    done = subprocess.run(
        [PYTHON, "-c", _CAPPED, str(2 * GIB), *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("special", "what"),
    [(Link("/dev/zero"), "a character device"), (FIFO, "a named pipe (FIFO)")],
    ids=["device", "fifo"],
)
@pytest.mark.parametrize("command", ["list", "run --inputs"])
def test_list_and_inputs_refuse_what_is_not_a_file(
    tmp_path: Path, special: Link | Fifo, what: str, command: str
) -> None:
    write(tmp_path, {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": OPENAPI, "x": special})
    doc, odd = str(tmp_path / "doc.arazzo.yaml"), str(tmp_path / "x")
    args = ("list", odd) if command == "list" else ("run", doc, "--inputs", odd)
    code, text = _arazzo_capped(*args)
    assert code == 2, text
    assert f"this is {what}, not a file" in text and "Traceback" not in text


def test_inputs_from_an_endless_stdin_stop_at_the_size_limit(tmp_path: Path) -> None:
    write(tmp_path, {"doc.arazzo.yaml": arazzo_doc(), "api.openapi.yaml": OPENAPI})
    with open("/dev/zero", "rb") as zeros:
        code, text = _arazzo_capped(
            "run", str(tmp_path / "doc.arazzo.yaml"), "--inputs", "-", stdin=zeros.fileno()
        )
    assert code == 2, text[:2000]
    assert "<stdin>: more than 16777216 bytes" in text and "Traceback" not in text


# -- the alias cap counts only what aliases produce --------------------------------------------


def test_a_long_list_without_aliases_is_not_an_alias_bomb() -> None:
    """Real descriptions under the size limit can hold more than a million plain values."""
    from arazzo_runner.document.yaml_reader import load_text

    count = 1_000_001
    located = load_text("items: [" + ",".join(["0"] * count) + "]\nsmall: &s [1, 2]\nagain: *s\n")
    assert len(located.data["items"]) == count and located.data["again"] == [1, 2]


def test_aliases_are_still_capped_after_many_plain_values() -> None:
    from arazzo_runner.document.yaml_reader import load_text
    from arazzo_runner.errors import YamlError

    with pytest.raises(YamlError, match="a YAML alias bomb"):
        load_text("plain: [" + ",".join(["0"] * 1000) + "]\n" + _alias_bomb())


# -- terminal safety ---------------------------------------------------------------------------


def test_escape_sequences_from_a_document_never_reach_the_terminal(tmp_path: Path) -> None:
    """An OSC sequence (set the terminal title) survives click's ANSI filter; we show it."""
    doc = arazzo_doc().replace("workflowId: w", 'workflowId: "w\\e]0;t\\a"')
    doc = doc.replace("url: './api.openapi.yaml'", 'url: "./x\\e]0;pwned\\a.yaml"')
    write(tmp_path, {"doc.arazzo.yaml": doc})
    for args in (("validate",), ("list",), ("run", "-S", "api=http://127.0.0.1:9")):
        done = arazzo(*args, str(tmp_path / "doc.arazzo.yaml"))
        assert "Traceback" not in done.text
        assert "\x1b" not in done.text and "\x07" not in done.text, args
    assert "\\x1b]0;pwned\\x07" in arazzo("validate", str(tmp_path / "doc.arazzo.yaml")).text


def test_json_output_keeps_the_exact_text(tmp_path: Path) -> None:
    doc = arazzo_doc().replace("workflowId: w", 'workflowId: "w\\e]0;t\\a"')
    write(tmp_path, {"doc.arazzo.yaml": doc, "api.openapi.yaml": OPENAPI})
    done = arazzo("list", str(tmp_path / "doc.arazzo.yaml"), "--json")
    assert done.code == 0, done.text
    assert '"w\\u001b]0;t\\u0007"' in done.out  # JSON escapes it; nothing is lost


def test_json_output_stays_json_with_del_and_c1_characters(tmp_path: Path) -> None:
    """DEL and U+0080..U+009F are not escaped by JSON; the terminal guard's escape for them
    must be a JSON one (``\\u0085``), never ``\\x85``."""
    odd = "w\x7f\x85\x9b"
    doc = arazzo_doc().replace("workflowId: w", 'workflowId: "w\\x7f\\x85\\x9b"')
    broken = arazzo_doc().replace("operationId: getJson", 'operationId: "nope\\x85"')
    files = {"doc.arazzo.yaml": doc, "broken.arazzo.yaml": broken, "api.openapi.yaml": OPENAPI}
    write(tmp_path, files)
    path = str(tmp_path / "doc.arazzo.yaml")
    listed = arazzo("list", path, "--json")
    assert listed.code == 0, listed.text
    assert json.loads(listed.out)[0]["workflowId"] == odd
    ran = arazzo("run", path, "--json", "-S", "api=http://127.0.0.1:9")
    assert ran.code == 3, ran.text
    assert json.loads(ran.out)["workflowId"] == odd
    checked = arazzo("validate", str(tmp_path / "broken.arazzo.yaml"), "--format", "json")
    assert checked.code == 2, checked.text
    [found] = json.loads(checked.out)
    assert "operationId 'nope" in found["message"]


# -- local sources stay inside the workflow's repository -----------------------------------------


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "workflows").mkdir()
    (repo / "openapi").mkdir()
    (repo / "openapi" / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (tmp_path / "outside.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    return repo


@pytest.mark.parametrize(
    ("source", "code", "fragment"),
    [
        ("../openapi/api.openapi.yaml", 0, "ok: 1 file valid"),
        ("../../outside.openapi.yaml", 0, "outside the repository"),
        ("file:///etc/passwd", 0, "outside the repository"),
        ("../openapi/link.openapi.yaml", 0, "outside the repository"),  # a symlink out
    ],
    ids=["inside", "dot-dot-out", "absolute-file-url", "symlink-out"],
)
def test_local_sources_are_confined_to_the_repository(
    repository: Path, source: str, code: int, fragment: str
) -> None:
    link = repository / "openapi" / "link.openapi.yaml"
    link.symlink_to(repository.parent / "outside.openapi.yaml")
    doc = repository / "workflows" / "doc.arazzo.yaml"
    doc.write_text(arazzo_doc(source), encoding="utf-8")
    done = arazzo("validate", str(doc), "--offline")
    assert done.code == code, done.text
    assert fragment in done.text
    assert "root:" not in done.text  # no line of /etc/passwd in a code frame


@pytest.fixture()
def remote_documents(tmp_path: Path) -> Iterator[str]:
    local = tmp_path / "local.openapi.yaml"
    local.write_text(OPENAPI, encoding="utf-8")

    async def document(request: Request) -> Response:
        return PlainTextResponse(arazzo_doc(local.as_uri()), media_type="application/yaml")

    with serve(Starlette(routes=[Route("/doc.arazzo.yaml", document)])) as url:
        yield url


def test_a_remote_document_cannot_read_local_files(remote_documents: str) -> None:
    done = arazzo("validate", remote_documents + "/doc.arazzo.yaml")
    assert done.code == 0, done.text  # the source is skipped with a warning
    assert "cannot read local files" in done.text
