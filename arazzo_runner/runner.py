"""The embeddable runner: load a workflow file, validate it, run a workflow, get a RunResult.

    from arazzo_runner import Runner
    runner = Runner(servers={"petstore": "http://127.0.0.1:8000"}, auth={"apiKey": "s3cret"})
    result = runner.run("workflows/petstore.arazzo.yaml", inputs={"username": "alice"})
    assert result.passed, result.failed_step

A document with error diagnostics is refused (:class:`~arazzo_runner.errors.ValidationFailed`,
exit 2) before any request; inputs are checked against the workflow's schema before any request
(:class:`~arazzo_runner.errors.InputError`). Everything the run decides is in the
:class:`~arazzo_runner.results.RunResult`; exceptions mean the run could not happen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .calls import StreamConsumer
from .diagnostics import Diagnostic, Severity
from .errors import InputError, ValidationFailed
from .results import RunResult

if TYPE_CHECKING:
    import httpx

    from .workspace import Workspace

__all__ = ["Runner", "load", "run", "validate"]


class Runner:
    """Run settings shared by every run: servers, credentials, HTTP client, limits."""

    def __init__(
        self,
        *,
        servers: Mapping[str, str] | None = None,
        auth: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        max_steps: int = 1000,
        timeout: float | None = None,
        offline: bool = False,
        stream_consumer: StreamConsumer | None = None,
        idle_timeout: float = 15.0,
    ) -> None:
        self.servers = dict(servers or {})
        self.auth = dict(auth or {})
        self.env = os.environ if env is None else env
        self.client = client
        self.max_steps = max_steps
        self.timeout = timeout
        self.offline = offline
        self.stream_consumer = stream_consumer
        self.idle_timeout = idle_timeout

    def load(self, path: str) -> Workspace:
        """Load and validate ``path``; raise ValidationFailed when it has errors."""
        from .validate import validate_workspace
        from .workspace import open_workspace

        workspace = open_workspace(path, offline=self.offline)
        diagnostics = validate_workspace(workspace)
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        if errors or workspace.root is None:
            first = errors[0] if errors else None
            raise ValidationFailed(
                f"{len(errors)} error(s) in the document; first: {first.message if first else ''}",
                diagnostics,
                file=first.file if first else path,
                line=first.line if first else None,
                column=first.column if first else None,
                hint="run `arazzo validate` for the full list",
            )
        return workspace

    def run(
        self,
        source: str | Workspace,
        workflow_id: str | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run one workflow (the only one when ``workflow_id`` is None) and return its result."""
        from .engine import Engine, RunLimits
        from .executor import HttpExecutor
        from .inputs import check_inputs

        workspace = self.load(source) if isinstance(source, str) else source
        document = workspace.root
        assert document is not None
        workflow = _pick_workflow(document, workflow_id)
        values = dict(inputs or {})
        check_inputs(document, workflow, values)
        executor = HttpExecutor(
            workspace,
            client=self.client,
            servers=self.servers,
            auth=self.auth,
            env=self.env,
            idle_timeout=self.idle_timeout,
        )
        try:
            engine = Engine(
                workspace,
                executor,
                limits=RunLimits(max_steps=self.max_steps, timeout=self.timeout),
                stream_consumer=self.stream_consumer,
            )
            return engine.run(workflow.workflow_id, values)
        finally:
            executor.close()


def _pick_workflow(document: Any, workflow_id: str | None) -> Any:
    ids = [w.workflow_id for w in document.workflows]
    if workflow_id is None:
        if len(ids) == 1:
            return document.workflows[0]
        raise InputError(
            f"the file has {len(ids)} workflows; choose one with -w/--workflow",
            hint="one of: " + ", ".join(ids),
        )
    workflow = document.workflow(workflow_id)
    if workflow is None:
        raise InputError(f"no workflow {workflow_id!r}", hint="one of: " + ", ".join(ids))
    return workflow


def load(path: str, *, offline: bool = False) -> Workspace:
    """Load and validate an Arazzo file with its sources (ValidationFailed on errors)."""
    return Runner(offline=offline).load(path)


def validate(path: str, *, offline: bool = False) -> list[Diagnostic]:
    """Every diagnostic for ``path`` (errors and warnings), never an exception for bad input."""
    from .validate import validate_path

    return validate_path(path, offline=offline)


def run(
    path: str,
    workflow_id: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    **settings: Any,
) -> RunResult:
    """``Runner(**settings).run(path, workflow_id, inputs)``."""
    return Runner(**settings).run(path, workflow_id, inputs)
