"""Shared pytest setup: the ``pytester`` fixture for the plugin tests (tests/test_pytest_plugin.py,
tests/test_docs_pytest.py).

Inner pytest runs go to a subprocess: an in-process run snapshots and restores ``sys.modules``,
so the package would be imported twice and classes such as ``httpx.HTTPError`` would stop
matching for the tests that run after it in the same process (seen under pytest-xdist).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    config.option.runpytest = "subprocess"
