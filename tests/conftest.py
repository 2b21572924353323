"""Shared pytest setup: the ``pytester`` fixture for the plugin tests (tests/test_pytest_plugin.py,
tests/test_docs_pytest.py).

Inner pytest runs go to a subprocess: an in-process run snapshots and restores ``sys.modules``,
so the package would be imported twice and classes such as ``httpx.HTTPError`` would stop
matching for the tests that run after it in the same process (seen under pytest-xdist).

Property tests are derandomized by default (Hypothesis profile ``repeatable``): the same
examples on every run, so a fresh clone's ``scripts/check`` cannot fail on a case no earlier run
drew. ``HYPOTHESIS_PROFILE=explore`` draws new examples each run, to look for new bugs.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    config.option.runpytest = "subprocess"
