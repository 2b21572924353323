"""Hypothesis strategies for redaction tests: JSON-like data and redactors whose secrets are
often pieces of that data's own strings (so the masking paths are really taken)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from arazzo_runner._missing import MISSING
from arazzo_runner.redact import Redactor

__all__ = ["ANY_DATA", "JSON_DATA", "TEXT", "data_and_redactor", "strings"]

# Text with the characters JSON escapes (quote, backslash, controls) and some that it does not.
TEXT = st.text(alphabet=st.sampled_from('ab"\\\n\x01é✓ -:/'), max_size=12)
KEYS = st.one_of(TEXT, st.sampled_from(["token", "apiKey", "password", "name", "Cookie"]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
# Data an excerpt may be given: non-str keys, tuples, bytes and MISSING too.
ANY_KEYS = st.one_of(KEYS, st.integers(), st.booleans(), st.none())
ANY_DATA = st.recursive(
    st.one_of(SCALARS, st.binary(max_size=6), st.just(MISSING)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(ANY_KEYS, inner, max_size=4),
    ),
    max_leaves=12,
)


def strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from strings(item)


@st.composite
def data_and_redactor(draw: st.DrawFn, data: st.SearchStrategy[Any]) -> tuple[Any, Redactor]:
    """Data and a redactor whose secrets are often pieces of the data's own strings."""
    value = draw(data)
    pieces = [s[i : i + 4 + n] for s in strings(value) for i in range(len(s)) for n in (0, 2)]
    secrets = draw(st.lists(st.one_of(TEXT, st.sampled_from(pieces or ["none"])), max_size=3))
    return value, Redactor(secrets)
