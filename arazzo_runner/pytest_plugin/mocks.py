"""``--arazzo-mock``: each test process serves the sources of a file once, from their examples.

The mocks of a file start on the first item of that file that runs in this process and stop
when the session ends (``pytest_unconfigure``). Under pytest-xdist every worker is its own
process with its own :class:`Mocks`, so each worker serves its own mocks on its own free ports
of 127.0.0.1: nothing is shared between workers, no file is written. ``--arazzo-server`` still
wins for a source it names; placeholder credentials stand in for the schemes the mock serves
(it checks none), and ``--arazzo-auth`` still wins.
"""

from __future__ import annotations

__all__ = ["MOCKS", "Mocks"]

import contextlib
from typing import Any

import pytest


class Mocks:
    """The mocks this process started, by document URL: (servers, credentials)."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._started: dict[str, tuple[dict[str, str], dict[str, str]]] = {}

    def for_workspace(self, workspace: Any) -> tuple[dict[str, str], dict[str, str]]:
        """``({source: base URL}, {scheme: placeholder})`` for the workspace's root document."""
        key = workspace.root.url
        if key not in self._started:
            try:
                from arazzo_runner.mock import mock_credentials, start_mocks
            except ImportError as exc:
                raise pytest.UsageError(
                    f"--arazzo-mock needs the mock extra ({exc.name} is not installed): "
                    "pip install 'arazzo-runner[mock]'"
                ) from None
            urls = self._stack.enter_context(start_mocks(workspace))
            self._started[key] = (dict(urls), mock_credentials(workspace))
        return self._started[key]

    @property
    def started(self) -> int:
        """How many documents' mocks this process serves."""
        return len(self._started)

    def close(self) -> None:
        self._stack.close()
        self._started.clear()


MOCKS = pytest.StashKey[Mocks]()
