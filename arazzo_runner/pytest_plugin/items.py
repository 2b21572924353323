"""The pytest plugin's collection: one :class:`ArazzoFile` per workflow file, one
:class:`ArazzoItem` per workflow in it.

A file is loaded and validated once, at collection; a document with errors is a collection
error listing each diagnostic as ``file:line:col``. A failed workflow is reported with
:meth:`~arazzo_runner.results.RunResult.explain` (failed steps with their ``file:line``, each
criterion and why it failed, a redacted excerpt of the exchange), never a traceback.
"""

from __future__ import annotations

__all__ = ["ArazzoFile", "ArazzoItem", "WorkflowFailed", "is_arazzo_file", "runner_for"]

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import ArazzoError, InputError, Runner, RunResult, StepResult, ValidationFailed
from arazzo_runner.pytest_plugin.mocks import MOCKS
from arazzo_runner.pytest_plugin.options import SETTINGS, Settings, inputs_file, read_inputs_file

_TOP_LEVEL_ARAZZO = re.compile(r"""^(["']?)arazzo\1[ \t]*:""", re.MULTILINE)
_SNIFF_BYTES = 64 * 1024
_MAX_DIAGNOSTICS = 20


def is_arazzo_file(path: Path) -> bool:
    """The file has a top-level ``arazzo`` key (a cheap look, not a parse, for YAML)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix != ".json":
        return _TOP_LEVEL_ARAZZO.search(head) is not None
    if '"arazzo"' not in head:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # let the loader report where the JSON breaks
    return isinstance(data, dict) and "arazzo" in data


def runner_for(settings: Settings) -> Runner:
    return Runner(
        servers=settings.servers,
        auth=settings.auth,
        timeout=settings.timeout,
        severity=settings.severity,
        transport=settings.transport,
    )


def _shown(file: str) -> str:
    """``file`` relative to the current directory when it is under it."""
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return file
    return file if relative.startswith("..") or "://" in file else relative


class WorkflowFailed(Exception):
    """A collected workflow ran and did not pass."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.error or "failed")
        self.result = result


class ArazzoFile(pytest.File):
    """An Arazzo document: loaded and validated once, then one item per workflow."""

    def collect(self) -> Iterator[ArazzoItem]:
        try:
            workspace = Runner().load(self.path)
            sidecar = inputs_file(self.path)
            given = read_inputs_file(sidecar) if sidecar is not None else {}
        except ValidationFailed as exc:
            raise self.CollectError(_diagnostics(exc)) from None
        except ArazzoError as exc:
            raise self.CollectError(_error(exc)) from None
        document = workspace.root
        assert document is not None
        for workflow in document.workflows:
            yield ArazzoItem.from_parent(
                self,
                name=workflow.workflow_id,
                workspace=workspace,
                workflow=workflow,
                given=given.get(workflow.workflow_id, {}),
            )


class ArazzoItem(pytest.Item):
    """One workflow of a collected file, run against the configured servers."""

    def __init__(self, *, workspace: Any, workflow: Any, given: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.workflow = workflow
        self.given = dict(given)
        self.result: RunResult | None = None
        self.add_marker("arazzo")

    def runtest(self) -> None:
        settings = self.config.stash[SETTINGS]
        ids = [w.workflow_id for w in self.workspace.root.workflows]
        workflow_id = self.workflow.workflow_id
        inputs = settings.inputs_for(workflow_id, self.workflow.inputs, ids, self.given)
        runner = runner_for(settings)
        if settings.mock:
            servers, auth = self.config.stash[MOCKS].for_workspace(self.workspace)
            self.user_properties.extend((f"arazzo.mock.{k}", v) for k, v in servers.items())
            runner.servers = {**servers, **runner.servers}  # --arazzo-server wins
            runner.auth = {**auth, **runner.auth}
        self.result = runner.run(self.workspace, workflow_id, inputs)
        if not self.result.passed:
            raise WorkflowFailed(self.result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        error = excinfo.value
        if isinstance(error, WorkflowFailed):
            return error.result.explain(self._locate)
        if isinstance(error, InputError):
            name = self.workflow.workflow_id
            error.hint = None  # the command line's hint; ours follows
            return (
                f"{_error(error)}\n"
                f"give inputs with --arazzo-input {name}.NAME=VALUE, ini arazzo_inputs, "
                f"or {self.path.name.rsplit('.', 1)[0]}.inputs.yaml beside the file"
            )
        if isinstance(error, ArazzoError):
            return f"{type(error).__name__}: {_error(error)}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.workflow.loc.line - 1, f"workflow {self.workflow.workflow_id}"

    def _locate(self, step: StepResult) -> str | None:
        for document in self.workspace.documents.values():
            workflow = document.workflow(step.workflow_id)
            found = workflow.step(step.step_id) if workflow is not None else None
            if found is not None:
                return f"{_shown(found.loc.file)}:{found.loc.line}"
        return None


def _error(exc: ArazzoError) -> str:
    if exc.file is not None:
        exc.file = _shown(exc.file)
    return str(exc)


def _diagnostics(exc: ValidationFailed) -> str:
    errors = [d for d in exc.diagnostics if d.severity.value == "error"]
    lines = [f"{len(errors)} error(s) in the Arazzo document:"]
    for d in errors[:_MAX_DIAGNOSTICS]:
        hint = f" ({d.hint})" if d.hint else ""
        lines.append(f"{_shown(d.file)}:{d.line}:{d.column}: {d.code}: {d.message}{hint}")
    if len(errors) > _MAX_DIAGNOSTICS:
        lines.append(f"... and {len(errors) - _MAX_DIAGNOSTICS} more (run `arazzo validate`)")
    return "\n".join(lines)
