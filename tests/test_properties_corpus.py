"""Properties over untrusted text: mutated corpus documents and random criteria never crash us.

* Any mutation of a corpus document (``../shared/corpus``, read in place; skipped when absent),
  at the byte level (cut, repeat, flip, splice) or at the data level (a value replaced, a key
  dropped, a type changed, then written back as YAML or JSON), gives ``arazzo validate`` a
  verdict: exit 0 or 2 and diagnostics, never a traceback; ``validate --format json`` and
  ``list --json`` print strict JSON (no NaN, no ``\\x85``-style escape). The repository's own
  ``workflows/`` are mutated too, so this runs on a fresh clone without the corpus.
* A criterion of any type with any condition text compiles or raises our ExpressionError.

The SSE decoder's chunking property lives in test_sse_decoder.py and the expression parsers'
in test_expression_properties.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo_runner.cli import main
from arazzo_runner.criteria.table import compile_criterion
from arazzo_runner.document.model import Criterion
from arazzo_runner.errors import ArazzoError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"  # in every clone: never skipped
SUFFIXES = (".yaml", ".yml", ".json")
SETTINGS = settings(
    max_examples=int(os.environ.get("ARAZZO_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _corpus_documents() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = [p for p in sorted(CORPUS.rglob("*")) if p.suffix in SUFFIXES and p.is_file()]
    return [p for p in found if "arazzo" in p.name and p.stat().st_size < 200_000]


CORPUS_DOCUMENTS = _corpus_documents()
DOCUMENTS = CORPUS_DOCUMENTS + sorted(p for p in WORKFLOWS.iterdir() if p.suffix in SUFFIXES)
needs_corpus = pytest.mark.skipif(not CORPUS_DOCUMENTS, reason=f"no corpus at {CORPUS}")


def _in_process(*args: str) -> tuple[int, str, str]:
    """``arazzo ARGS`` in-process: the exit code, stdout and stderr (through the CLI's own
    terminal guard, as a user sees them)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with pytest.raises(SystemExit) as done:
            main(list(args))
    code = done.value.code
    return (code if isinstance(code, int) else -1), out.getvalue(), err.getvalue()


def validate(text: bytes, suffix: str) -> tuple[int, str]:
    """``arazzo validate`` in-process on ``text``; the exit code and everything printed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutant{suffix}"
        path.write_bytes(text)
        code, out, err = _in_process("validate", str(path), "--offline")
    return code, out + err


def _strict_json(text: str) -> object:
    """JSON as the standard has it: no NaN, no Infinity (Python's json reads those)."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _assert_json_output(text: bytes, suffix: str) -> None:
    """``validate --format json`` always prints a JSON array; ``list --json`` prints JSON when
    it can list (exit 0), else nothing on stdout; neither ever a traceback."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutant{suffix}"
        path.write_bytes(text)
        code, out, err = _in_process("validate", str(path), "--offline", "--format", "json")
        assert code in (0, 2) and "Traceback" not in out + err, out + err
        assert isinstance(_strict_json(out), list), out
        code, out, err = _in_process("list", str(path), "--json")
        assert code in (0, 2) and "Traceback" not in out + err, out + err
        if code == 0:
            assert isinstance(_strict_json(out), list), out


def _assert_verdict(text: bytes, suffix: str) -> None:
    code, printed = validate(text, suffix)
    assert code in (0, 2), printed
    assert "Traceback" not in printed
    _assert_json_output(text, suffix)


# -- byte-level mutations --------------------------------------------------------------------


@st.composite
def byte_mutants(draw: st.DrawFn) -> tuple[bytes, str]:
    source = draw(st.sampled_from(DOCUMENTS))
    data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        at = draw(st.integers(0, max(size - 1, 0)))
        end = draw(st.integers(at, min(size, at + 64)))
        kind = draw(st.sampled_from(["cut", "repeat", "flip", "insert", "truncate"]))
        if kind == "cut":
            del data[at:end]
        elif kind == "repeat":
            data[at:at] = data[at:end] * draw(st.integers(1, 5))
        elif kind == "flip" and size:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(TOKENS))
        else:
            del data[at:]
    return bytes(data), source.suffix


TOKENS = [
    b"&a ", b"*a", b"!!binary ", b"!!python/object ", b"<<: *a", b"{", b"}", b"[", b"]",
    b": ", b"- ", b"\n  ", b"\t", b"'", b'"', b"#", b"$", b"$steps.", b"$response.body#/",
    b"{$inputs.", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\r", b"---\n", b"...\n", b"? ",
    b"\x7f", b"\xc2\x85", b"\xc2\x9b", b"\\u0085", b".nan", b"1e999",
]  # fmt: skip


@SETTINGS
@given(byte_mutants())
def test_byte_mutations_get_a_verdict(mutant: tuple[bytes, str]) -> None:
    _assert_verdict(*mutant)


# -- data-level mutations --------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["$inputs.x", "$steps.a.outputs.b", "$response.body#/a", "{$url}", "$"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else data
    *parents, last = path
    holder = data
    for key in parents:
        holder = holder[key]
    if action == "drop":
        del holder[last]
    elif action == "wrap":
        holder[last] = [holder[last]]
    else:
        holder[last] = value
    return data


def _loaded(source: Path) -> Any:
    text = source.read_text(encoding="utf-8", errors="replace")
    try:
        return json.loads(text) if source.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return None


@st.composite
def data_mutants(draw: st.DrawFn) -> tuple[bytes, str]:
    source = draw(st.sampled_from(DOCUMENTS))
    data = _loaded(source)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        action = draw(st.sampled_from(["replace", "drop", "wrap"]))
        data = _mutate(data, path, action, draw(values))
    if draw(st.booleans()):
        return json.dumps(data, default=str).encode("utf-8"), ".json"
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8"), ".yaml"


@SETTINGS
@given(data_mutants())
def test_data_mutations_get_a_verdict(mutant: tuple[bytes, str]) -> None:
    _assert_verdict(*mutant)


@needs_corpus
def test_the_unmutated_corpus_gets_a_verdict_too() -> None:
    for source in CORPUS_DOCUMENTS[:: max(1, len(CORPUS_DOCUMENTS) // 25)]:
        _assert_verdict(source.read_bytes(), source.suffix)


# -- criteria --------------------------------------------------------------------------------

CRITERION_PIECES = [
    "$", "@", ".", "..", "*", "[", "]", "?", "(", ")", "==", "!=", "<", "&&", "||", "'a'",
    "1", "/", "//", "x", "@a", "[0]", "[-1:]", "?@.a", "length(", "match(", "\\", "+", "{2}",
    "(?<n>", "\\k<n>", "(?=", "$response.body", "count(", "::", "|", "$.a", "text()",
]  # fmt: skip
condition_texts = st.one_of(
    st.text(max_size=30), st.lists(st.sampled_from(CRITERION_PIECES), max_size=10).map("".join)
)
KINDS = [
    ("simple", None),
    ("regex", None),
    ("jsonpath", None),
    ("jsonpath", "draft-goessner-dispatch-jsonpath-00"),
    ("xpath", "xpath-10"),
    ("xpath", "xpath-30"),
]


@settings(max_examples=int(os.environ.get("ARAZZO_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(condition_texts, st.sampled_from(KINDS))
def test_criteria_compile_or_raise_expression_errors(
    text: str, kind: tuple[str, str | None]
) -> None:
    from arazzo_runner.document.yaml_reader import Location

    context = None if kind[0] == "simple" else "$response.body"
    criterion = Criterion(Location("p.arazzo.yaml", 1, 1), "/c", text, kind[0], kind[1], context)
    try:
        compile_criterion(criterion)
    except ArazzoError:
        pass
