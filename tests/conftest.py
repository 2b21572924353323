"""Shared pytest setup: the ``pytester`` fixture for the plugin tests (tests/test_pytest_plugin.py,
tests/test_docs_pytest.py)."""

pytest_plugins = ["pytester"]
