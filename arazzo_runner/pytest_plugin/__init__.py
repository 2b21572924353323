"""pytest plugin (entry point ``pytest11: arazzo``): Arazzo workflows as tests, and a fixture.

Collection is opt-in: a file becomes a test module only when it matches a glob of the ini key
``arazzo_files`` (or is named on the command line) *and* has a top-level ``arazzo`` key; each
workflow in it is one item (``path::workflowId``, marked ``arazzo``). Servers, inputs and
credentials come from ``--arazzo-server``, ``--arazzo-input``, ``--arazzo-auth`` and the ini keys
``arazzo_servers``/``arazzo_inputs`` (see :mod:`arazzo_runner.pytest_plugin.options` and
``docs/pytest.md``). The ``arazzo`` fixture hands hand-written tests a
:class:`~arazzo_runner.Runner` with the same servers, credentials and timeout.

Only the small options module is imported when pytest starts; the runner loads when a file is
collected or the fixture is used.
"""

from __future__ import annotations

__all__ = [
    "arazzo",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_unconfigure",
]

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from arazzo_runner.pytest_plugin.options import SETTINGS, Settings, add_options, matches

if TYPE_CHECKING:
    from arazzo_runner import Runner
    from arazzo_runner.pytest_plugin.items import ArazzoFile

_DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "arazzo: an Arazzo workflow collected by arazzo-runner")
    config.stash[SETTINGS] = settings = Settings.from_config(config)
    if settings.mock:
        from arazzo_runner.pytest_plugin.mocks import MOCKS, Mocks

        config.stash[MOCKS] = Mocks()


def pytest_unconfigure(config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS, None)
    if settings is not None and settings.mock:
        from arazzo_runner.pytest_plugin.mocks import MOCKS

        mocks = config.stash.get(MOCKS, None)
        if mocks is not None:
            mocks.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ArazzoFile | None:
    settings = parent.config.stash[SETTINGS]
    wanted = matches(file_path, parent.config.rootpath, settings.globs) or (
        file_path.suffix in _DOCUMENT_SUFFIXES and parent.session.isinitpath(file_path)
    )
    if not wanted:
        return None
    from arazzo_runner.pytest_plugin.items import ArazzoFile, is_arazzo_file

    if not is_arazzo_file(file_path):
        return None
    collected: ArazzoFile = ArazzoFile.from_parent(parent, path=file_path)
    return collected


@pytest.fixture
def arazzo(pytestconfig: pytest.Config) -> Runner:
    """A :class:`~arazzo_runner.Runner` configured from ``--arazzo-server``/``--arazzo-auth``/
    ``--arazzo-timeout`` and the ini keys; change its attributes (``servers``...) freely."""
    from arazzo_runner.pytest_plugin.items import runner_for

    return runner_for(pytestconfig.stash[SETTINGS])
