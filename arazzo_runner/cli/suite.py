"""A run of many for ``arazzo run``: every workflow of the files and folders given.

:func:`arazzo_files` expands the paths (a folder: every ``.yaml``/``.yml``/``.json`` file under
it, hidden folders skipped, whose text starts a top-level ``arazzo:`` key); :func:`run_many`
runs each workflow of each file in document order and returns one
:class:`~arazzo_runner.reporting.Outcome` per workflow. A file that does not load, or a
workflow whose inputs are refused, is an outcome with its error; the others still run.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from arazzo_runner.errors import ArazzoError, InputError
from arazzo_runner.reporting import Outcome

__all__ = ["arazzo_files", "is_folder", "mocked", "run_many"]

_SUFFIXES = (".yaml", ".yml", ".json")
_ARAZZO_KEY = re.compile(rb'^(?:arazzo|\s*\{?\s*"arazzo")\s*:', re.MULTILINE)
_SNIFF_BYTES = 64 * 1024

Progress = Callable[[Outcome], None]


def _is_arazzo(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return _ARAZZO_KEY.search(head) is not None


def _in_folder(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if not hidden and path.suffix.lower() in _SUFFIXES and path.is_file():
            if _is_arazzo(path):
                found.append(str(path))
    return found


def is_folder(name: str) -> bool:
    """Whether ``name`` is a directory; False, not an exception, for a name the system refuses
    (over 255 bytes, a NUL): loading it then says why, in one line."""
    try:
        return Path(name).is_dir()
    except (OSError, ValueError):
        return False


def arazzo_files(paths: Sequence[str]) -> list[str]:
    """The Arazzo files named or found under the folders named, in order, each once."""
    files: list[str] = []
    for name in paths:
        if is_folder(name):
            inside = _in_folder(Path(name))
            if not inside:
                raise InputError(
                    f"{name}: no Arazzo file in this folder",
                    hint="files ending in .yaml, .yml or .json with a top-level `arazzo:` key",
                )
            files.extend(inside)
        else:
            files.append(name)  # a missing file is reported when it is loaded
    return list(dict.fromkeys(files))


@contextlib.contextmanager
def mocked(runner: Any, workspace: Any) -> Iterator[None]:
    """Point ``runner`` at local mocks of the workspace's sources for the block (``--mock``).

    ``--server`` still wins for a source it names; the mock checks no credentials, so
    placeholders stand in for real ones, which are never sent to it.
    """
    try:
        from arazzo_runner.mock import mock_credentials, start_mocks
    except ImportError as exc:
        raise InputError(
            f"--mock needs the mock extra ({exc.name} is not installed)",
            hint="pip install 'arazzo-runner[mock]'",
        ) from exc
    servers, auth = runner.servers, runner.auth
    with start_mocks(workspace) as urls:
        runner.servers = {**urls, **servers}
        runner.auth = {**mock_credentials(workspace), **auth}
        try:
            yield
        finally:
            runner.servers, runner.auth = servers, auth


def _run_file(
    runner: Any,
    file: str,
    inputs: Mapping[str, Any],
    *,
    mock: bool,
    begin: Callable[[str], None],
) -> Iterator[Outcome]:
    try:
        workspace = runner.load(file)
    except ArazzoError as exc:
        yield Outcome(file, None, error=exc)
        return
    with mocked(runner, workspace) if mock else contextlib.nullcontext():
        for workflow in workspace.root.workflows:
            begin(f"{file}#{workflow.workflow_id}")
            try:
                result = runner.run(workspace, workflow.workflow_id, inputs)
            except ArazzoError as exc:
                yield Outcome(file, workflow.workflow_id, error=exc)
            else:
                yield Outcome(file, workflow.workflow_id, result=result)


def run_many(
    runner: Any,
    files: Sequence[str],
    inputs: Mapping[str, Any],
    *,
    mock: bool,
    begin: Callable[[str], None],
    progress: Progress,
    done: list[Outcome],
) -> list[Outcome]:
    """Run every workflow of ``files``; each outcome goes to ``done`` and ``progress`` as it
    comes (so a Ctrl-C still leaves the finished ones in ``done``)."""
    for file in files:
        for outcome in _run_file(runner, file, inputs, mock=mock, begin=begin):
            done.append(outcome)
            progress(outcome)
    return done
