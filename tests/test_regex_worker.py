"""The killable regex helper: same answers as ``re``, a bound that holds, recovery after it."""

from __future__ import annotations

import re
import threading

import pytest

from arazzo_runner._regex_worker import RegexTimeout, bounded_search

CASES = [
    (r"b+", "aabb", True),
    (r"^\d{3}$", "200", True),
    (r"^\d{3}$", "2000", False),
    (r"caf\u00e9|tea", "un caf\u00e9", True),
    (r"(?P<x>a)(?P=x)", "xaay", True),
    (r"\s*$", "line\n", True),
]


@pytest.mark.parametrize(("pattern", "text", "found"), CASES)
def test_same_answer_as_re(pattern: str, text: str, found: bool) -> None:
    compiled = re.compile(pattern, re.ASCII)
    assert bounded_search(compiled, text) is found is (compiled.search(text) is not None)


def test_a_runaway_search_is_stopped_and_the_next_one_works() -> None:
    with pytest.raises(RegexTimeout, match=r"longer than 0\.3 s"):
        bounded_search(re.compile(r"(a+)+b"), "a" * 64, 0.3)
    assert bounded_search(re.compile(r"a+b"), "aab") is True  # a fresh helper answers


def test_concurrent_searches_get_their_own_answers() -> None:
    answers: dict[int, bool] = {}

    def search(n: int) -> None:
        answers[n] = bounded_search(re.compile(rf"^x{{{n}}}$"), "x" * (n if n % 2 else n + 1))

    threads = [threading.Thread(target=search, args=(n,)) for n in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {n: bool(n % 2) for n in range(1, 21)}
