"""The fast located-YAML builder gives exactly what the original builder gave.

``tests/support/yaml_reference.py`` is the builder as it was before the fast path; every case
here is loaded by both, and the two answers must be the same: the data (types, values, and
which values are one shared object through aliases), every location and key location,
``locate``/``locate_key`` on every path and on paths that do not exist, the raw scalars, and
for bad input the same YamlError (message, file, line, column, hint).

Cases: every document of ``../shared/corpus`` (skipped when absent), ``tests/data`` and
``workflows/``; byte-level mutations of some of them (seeded, so failures repeat); hand-written
edge cases (anchors, merge keys, tags, duplicate keys, depth, styles, scalars, BOM, CRLF,
encodings, limits); and random data written as YAML in random styles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo_runner.document import yaml_events as _yaml_build
from arazzo_runner.document import yaml_reader as _yaml
from arazzo_runner.errors import YamlError
from tests.support import yaml_reference

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SUFFIXES = (".yaml", ".yml", ".json")
Load = Callable[[str | bytes, str], Any]


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def _shape(value: Any, seen: dict[int, int]) -> Any:
    """``value`` as comparable data: types kept (1, 1.0, True differ), NaN equal to itself, and
    each container numbered by first appearance, so shared (aliased) objects must match too."""
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            return ("shared", seen[id(value)])
        seen[id(value)] = len(seen)
        if isinstance(value, dict):
            return ("map", [(k, _shape(v, seen)) for k, v in value.items()])
        return ("seq", [_shape(v, seen) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _answer(load: Load, text: str | bytes, file: str) -> Any:
    try:
        doc = load(text, file)
    except YamlError as exc:
        return ("error", type(exc), exc.message, exc.file, exc.line, exc.column, exc.hint)
    return doc


def _probes(doc: Any) -> Iterator[tuple[str | int, ...]]:
    for path in [*doc.locations, *doc.key_locations]:
        yield path
        yield (*path, "no such key")
        yield (*path, 0)
        yield (*path, 10**6)
        yield path[:-1] + ("no such key",)


def assert_same(text: str | bytes, file: str = "doc.yaml") -> None:
    old = _answer(yaml_reference.load_text, text, file)
    new = _answer(_yaml.load_text, text, file)
    if isinstance(old, tuple) or isinstance(new, tuple):
        assert new == old
        return
    assert (new.file, new.text) == (old.file, old.text)
    assert _shape(new.data, {}) == _shape(old.data, {})
    assert new.locations == old.locations
    assert new.key_locations == old.key_locations
    assert new.raw_scalars == old.raw_scalars
    for path in [(), ("nope",), (0,), *_probes(old)]:
        assert new.locate(path) == old.locate(path), path
        assert new.locate_key(path) == old.locate_key(path), path
        assert new.scalar_text(path) == old.scalar_text(path), path


# --- documents on disk -----------------------------------------------------------------------

LOCAL = _files(ROOT / "tests" / "data") + _files(ROOT / "workflows")


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_local_documents(path: Path) -> None:
    assert_same(path.read_bytes(), str(path))
    assert_same(path.read_text(encoding="utf-8", errors="replace"), str(path))


@pytest.mark.corpus
def test_corpus_documents() -> None:
    files = _files(CORPUS)
    if not files:
        pytest.skip("../shared/corpus is absent")
    for path in files:
        assert_same(path.read_bytes(), str(path))


_INSERTS = [
    b":",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!int ",
    b"!!str ",
    b"!x ",
    b"{",
    b"}",
    b"[",
    b"'",
    b'"',
    b"\t",
    b"\n  ",
    b"\r\n",
    b"#",
    b"---\n",
    b"? ",
    b"|\n",
    b"\xff",
    b"\x00",
    b"\xef\xbb\xbf",
]


def _mutate(raw: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(raw) + 1)
    kind = rng.randrange(4)
    if kind == 0:
        return raw[:at] + raw[at + rng.randrange(1, 40) :]
    if kind == 1:
        return raw[:at] + rng.choice(_INSERTS) + raw[at:]
    lines = raw.split(b"\n")
    line = rng.randrange(len(lines))
    if kind == 2:
        lines.insert(line, lines[rng.randrange(len(lines))])
    else:
        lines[line] = b" " * rng.randrange(8) + lines[line].lstrip()
    return b"\n".join(lines)


def _mutation_sources() -> list[Path]:
    corpus = _files(CORPUS)
    return LOCAL + corpus[:: max(1, len(corpus) // 60)]


@pytest.mark.parametrize("seed", range(4))
def test_mutated_documents(seed: int) -> None:
    rng = random.Random(seed)
    for path in _mutation_sources():
        raw = path.read_bytes()
        if not raw or len(raw) > 200_000:
            continue
        for _ in range(6):
            raw = _mutate(raw, rng)
            assert_same(raw, str(path))


# --- hand-written edge cases -----------------------------------------------------------------


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "[" * depth + "1" + "]" * depth
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"


EDGE_CASES = {
    "anchors": "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: [*x, *x]\nf: &s text\ng: *s\n",
    "anchor-on-key": "&k a: 1\nb: &v 2\nc: *v\n",
    "anchor-sequence": "base: &b [1, 2, 3]\nmore: *b\nnested: [*b, [*b]]\n",
    "merge": "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n  z: 4\n",
    "merge-list": "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 0\n",
    "merge-inline": "c:\n  <<: {x: 1, y: 2}\n  y: 3\n",
    "merge-scalar": "c:\n  <<: 5\n  y: 3\n",
    "merge-quoted": "a: &a {x: 1}\nc:\n  '<<': *a\n  y: 3\n",
    "merge-twice": "a: &a {x: 1}\nc:\n  <<: *a\n  <<: *a\n",
    "merge-quoted-then-plain": "a: &a {x: 1}\nc:\n  '<<': *a\n  <<: *a\n",
    "merge-seq-of-scalars": "c:\n  <<: [1, 2]\n  y: 3\n",
    "merge-anchored": "a: &a {x: 1}\nc: &c\n  <<: *a\n  y: 3\nd: *c\n",
    "merge-in-list": "- &a {x: 1}\n- <<: *a\n  y: 2\n",
    "alias-as-key": "a: &a k\n*a : 1\n",
    "unknown-alias": "a: *nope\n",
    "recursive-alias": "a: &a [1, *a]\n",
    "alias-root": "*a\n",
    "anchored-root": "&r {a: 1}\n",
    "tags-ok": (
        "a: !!str 1\nb: !!int '7'\nc: !!float 1\nd: !!bool 'true'\ne: !!null ''\n"
        "f: !!map {x: 1}\ng: !!seq [1]\nh: ! plain\ni: !<tag:yaml.org,2002:str> v\n"
    ),
    "tag-int-bad": "a: !!int 1.5\n",
    "tag-int-bool": "a: !!int true\n",
    "tag-float-bad": "a: !!float x\n",
    "tag-bool-bad": "a: !!bool yes\n",
    "tag-null-bad": "a: !!null x\n",
    "tag-binary": "a: !!binary aGk=\n",
    "tag-timestamp": "a: !!timestamp 2024-01-02\n",
    "tag-custom": "a: !custom x\n",
    "tag-custom-map": "a: !custom {x: 1}\n",
    "tag-custom-seq": "a: !!set [1]\n",
    "tag-on-key": "!!str 1: a\n",
    "tag-root": "!!int 3\n",
    "duplicate": "a: 1\nb: 2\na: 3\n",
    "duplicate-quoted": "a: 1\n'a': 2\n",
    "duplicate-flow": "{a: 1, a: 2}\n",
    "duplicate-nested": "x:\n  a: 1\n  a: 2\n",
    "same-key-other-maps": "x: {a: 1}\ny: {a: 2}\nz: [{a: 1}, {a: 2}]\n",
    "duplicate-after-merge": "b: &b {x: 1}\nc:\n  <<: *b\n  x: 2\n  x: 3\n",
    "key-mapping": "? {a: 1}\n: b\n",
    "key-sequence": "? [a]\n: b\n",
    "key-complex-scalar": "? |\n  long\n: v\n",
    "key-null": ": v\n",
    "keys-typed": "200: ok\n1.5: f\ntrue: t\nnull: n\n~: t\n0x1F: h\n",
    "depth-255-block": _nested(255, False),
    "depth-256-block": _nested(256, False),
    "depth-257-block": _nested(257, False),
    "depth-255-flow": _nested(255, True),
    "depth-256-flow": _nested(256, True),
    "depth-300-flow": _nested(300, True),
    "flow-and-block": "a: {b: [1, {c: d}], e: f}\ng:\n  - h\n  - {i: [j, k]}\n  - [l, [m]]\n",
    "multi-line": (
        "lit: |\n  one\n  two\n\nfold: >\n  three\n  four\nkeep: |+\n  x\n\n"
        "strip: >-\n  y\nplain: first\n  second\nsq: 'a\n  b'\ndq: \"c\\\n  d\\te\"\n"
        "indent: |2\n   three\n"
    ),
    "scalars": (
        "a: [0o17, 0x1F, 0b1, 017, 1e3, 1E-3, .5, 5., +1, -1, +.inf, -.Inf, .NAN, .nan]\n"
        "b: [1_000, 1.0, '1.0', 1:20, 2024-01-02, yes, no, on, off, y, n]\n"
        "c: [true, True, TRUE, tRue, false, False, FALSE, null, Null, NULL, nULL, ~, '']\n"
        "d: [-, +, ., -.5, +.5e+3, 0., 00, -0, +0x1, 0o8, 0xG, .inf., -nan]\n"
        "version: 1.0\narazzo: 1.0.1\nempty:\nn: !!float 3\n"
    ),
    "root-scalar": "just text\n",
    "root-number": "42\n",
    "root-list": "- 1\n- two\n- [3]\n",
    "empty": "",
    "comment-only": "# nothing\n",
    "document-marker": "---\n",
    "explicit-document": "--- \na: 1\n...\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "two-empty-documents": "---\n---\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "tag-directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "tabs": "a:\n\tb: 1\n",
    "unclosed-quote": "a: 'open\nb: 1\n",
    "unclosed-flow": "a: [1, 2\nb: 1\n",
    "bad-indent": "a:\n  b: 1\n c: 2\n",
    "control-char": "a: \x07\n",
    "json": '{"a": [1, 2.5, true, null, "x"], "b": {"c": "d"}}',
    "json-slash-escape": '{"url": "http:\\/\\/x", "n": [1, {"m": null}]}',
    "json-slash-duplicate": '{"url": "\\/", "url": 1}',
    "json-slash-bad": '{"url": "\\/", }',
    "json-slash-list": '[1, "\\/"]',
    "json-deep-slash": "[" * 3000 + '"\\/"' + "]" * 3000,
    "json-tab-indent": '{\n\t"a": 1\n}',
    "crlf": "a: 1\r\nb:\r\n  - x\r\n  - y: z\r\nc: |\r\n  l1\r\n  l2\r\n",
    "cr-only": "a: 1\rb: 2\r",
    "unicode": "名前: 値\nemoji: '😀'\nb: é\n",
    "long-line": "a: " + "x" * 5000 + "\nb: [" + ", ".join(["1"] * 500) + "]\n",
    "many-lines": "".join(f"k{i}: {i}\n" for i in range(3000)),
}

BYTE_CASES = {
    "bom": b"\xef\xbb\xbfa: 1\nb: [x]\n",
    "bom-json": b'\xef\xbb\xbf{"a": "\\/"}',
    "latin-1": b"a: caf\xe9\n",
    "bad-utf8-late": b"a: 1\nb: 2\nc: \xc3\x28\n",
    "nul": b"a: 1\x00\n",
    "utf-16": "a: 1\n".encode("utf-16"),
    "crlf-bytes": b"a: 1\r\nb: 2\r\n",
    "empty-bytes": b"",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases(name: str) -> None:
    text = EDGE_CASES[name]
    assert_same(text)
    assert_same(text.encode("utf-8"), "edge.json" if name.startswith("json") else "edge.yaml")


@pytest.mark.parametrize("name", sorted(BYTE_CASES))
def test_byte_cases(name: str) -> None:
    assert_same(BYTE_CASES[name])


def test_alias_bomb() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    assert_same("\n".join(lines) + "\n")


@pytest.mark.parametrize("cap", [5, 6, 7, 8, 9, 10, 11, 12, 13, 20])
def test_value_cap_boundary(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    """Right at the cap on values (scalars, containers, alias expansions), both stop alike."""
    monkeypatch.setattr(yaml_reference, "MAX_EXPANDED_VALUES", cap)
    monkeypatch.setattr(_yaml_build, "MAX_EXPANDED_VALUES", cap)
    for text in (
        "a: &x [1, 2]\nb: *x\nc: *x\nd: [*x]\n",
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n",
        "a: {b: {c: {d: {e: {f: 1}}}}}\ng: 1\n",
        "- &s x\n- *s\n- *s\n- *s\n- *s\n- *s\n- *s\n- *s\n",
        "a: &m {x: 1, y: [2]}\nb:\n  <<: *m\n  z: 3\nc: *m\n",
    ):
        assert_same(text)


def test_size_limit() -> None:
    big = "a: " + "x" * _yaml.MAX_DOCUMENT_BYTES
    assert_same(big)
    assert_same(big.encode())


# --- random data in random styles ------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["<<", "1.0", "0o7", "yes", "~", "", "a: b", "- x", "&a", "*a", "#c"]),
)
_KEYS = st.one_of(st.text(max_size=8), st.sampled_from(["<<", "200", "true", "null", "1.5"]))
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_DATA,
    flow=st.sampled_from([None, True, False]),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
    share=st.booleans(),
    crlf=st.booleans(),
)
def test_random_documents(
    data: Any, flow: bool | None, style: str | None, share: bool, crlf: bool
) -> None:
    if share:
        data = {"first": data, "again": data, "list": [data, {"inner": data}]}
    text = yaml.dump(data, default_flow_style=flow, default_style=style, allow_unicode=True)
    if crlf:
        text = text.replace("\n", "\r\n")
    assert_same(text)
