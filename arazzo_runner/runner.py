"""The embeddable runner: load a workflow file, validate it, run a workflow, get a RunResult.

    from arazzo_runner import Runner
    runner = Runner(servers={"petstore": "http://127.0.0.1:8000"}, auth={"apiKeyAuth": "s3cret"})
    result = runner.run("workflows/petstore.arazzo.yaml", inputs={"username": "alice"})
    assert result.passed, result.explain()

A document with error diagnostics is refused (:class:`~arazzo_runner.errors.ValidationFailed`,
exit 2) before any request; inputs are checked against the workflow's schema before any request
(:class:`~arazzo_runner.errors.InputError`). Everything the run decides is in the
:class:`~arazzo_runner.results.RunResult`; exceptions mean the run could not happen.

HTTP goes through one ``httpx.Client`` per run, made by the runner, unless the caller injects
``client=`` (used as is, never closed) or ``transport=`` (an ``httpx.BaseTransport`` the
runner's client sends through, never closed by the runner); ``transport="websocket"`` carries
POST steps over fal's HTTP over WebSockets instead. Each step that sent a request keeps
a redacted :class:`~arazzo_runner.results.Excerpt` of it, and failure reasons are redacted too.

Async callers use :meth:`Runner.arun` / :func:`arun` (and :func:`aload`, :func:`avalidate`):
they run the same sync engine in a worker thread (``anyio.to_thread.run_sync``), so the event
loop stays free while a workflow runs; the stream consumer is called in that thread.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.engine import Exchange, OperationCall, StepListener, StreamConsumer
from arazzo_runner.errors import InputError, ValidationFailed
from arazzo_runner.redact import Redactor
from arazzo_runner.results import Excerpt, RunResult, partial_result
from arazzo_runner.settings import RunSettings
from arazzo_runner.wire import excerpt

if TYPE_CHECKING:
    import httpx

    from arazzo_runner.document import Workspace
    from arazzo_runner.streaming import StreamingRun
    from arazzo_runner.validation.contract import CheckSettings
    from arazzo_runner.wire import AsyncStepExecutor, HttpExecutor, SocketPool

__all__ = ["Runner", "aload", "arun", "avalidate", "load", "run", "validate"]

PathLike = str | os.PathLike[str]
TRANSPORT_NAMES = ("http", "websocket")
"""``Runner(transport=NAME)``: the ways a step can be carried (``--transport``)."""
_T = TypeVar("_T")


_UNSET: Any = object()  # a setting the caller did not give (None is a value: no bound)


class Runner:
    """Run settings shared by every run: servers, credentials, HTTP client, limits.

    ``servers`` maps source description names to base URLs; ``auth`` maps security scheme
    names to credentials (``env`` is where ``ARAZZO_AUTH_<SCHEME>``/``FAL_KEY`` are looked up,
    ``os.environ`` by default); ``settings`` (:class:`~arazzo_runner.settings.RunSettings`) holds
    the bounds of each run, and ``max_steps`` (the step budget), ``timeout`` (the overall
    deadline in seconds), ``idle_timeout`` and ``first_byte_timeout`` (stream bounds) override
    its fields (``None`` for a timeout: no bound; an invalid value raises ValueError);
    ``stream_consumer(step_id, event_stream)`` receives the open
    :class:`~arazzo_runner.streaming.event_stream.EventStream` of each streaming step that passed;
    ``redactor`` (optional) is a :class:`~arazzo_runner.redact.Redactor` the run adds every
    secret it learns to, so the caller can mask its own output with it; ``excerpts=False``
    leaves ``StepResult.excerpt`` ``None`` (a caller that never shows them, such as
    ``arazzo run``, saves building one per request); ``listener`` (a
    :class:`~arazzo_runner.engine.StepListener`) is told when each step starts and ends;
    ``reveal_outputs=True`` hands back workflow and step outputs as the workflow produced them;
    by default a known secret inside an output (a token the run sent, a key echoed by a server
    and then extracted) is masked there too, as everywhere else in a ``RunResult``;
    ``severity`` sets the level of each
    description check (``{"schema": "warn", "status-code": "off"}`` or ``["schema=warn"]``;
    every check is ``error`` by default, see ``docs/checks.md``).
    ``transport`` is an ``httpx.BaseTransport`` for the runner's client, or the name of a way
    to carry steps: ``"http"`` (the default) or ``"websocket"`` (POST steps over fal's HTTP over
    WebSockets, :class:`~arazzo_runner.wire.WebSocketExecutor`). Used as a context manager, the
    runner keeps its WebSocket connections from one run to the next until the block ends.
    """

    def __init__(
        self,
        *,
        servers: Mapping[str, str] | None = None,
        auth: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | str | None = None,
        settings: RunSettings | None = None,
        max_steps: Any = _UNSET,
        timeout: Any = _UNSET,
        idle_timeout: Any = _UNSET,
        first_byte_timeout: Any = _UNSET,
        offline: bool = False,
        stream_consumer: StreamConsumer | None = None,
        redactor: Redactor | None = None,
        excerpts: bool = True,
        reveal_outputs: bool = False,
        listener: StepListener | None = None,
        severity: Mapping[str, str] | Iterable[str] | CheckSettings | None = None,
    ) -> None:
        self.carrier = "http"  # which executor carries the steps (wire.TRANSPORTS)
        if isinstance(transport, str):
            if transport not in TRANSPORT_NAMES:
                raise ValueError(f"transport must be one of {', '.join(TRANSPORT_NAMES)}")
            self.carrier, transport = transport, None
        if client is not None and transport is not None:
            raise ValueError("pass client= or transport=, not both")
        self.servers = dict(servers or {})
        self.auth = dict(auth or {})
        self.env = os.environ if env is None else env
        self.client = client
        self.transport = transport
        given = {
            "max_steps": max_steps,
            "timeout": timeout,
            "idle_timeout": idle_timeout,
            "first_byte_timeout": first_byte_timeout,
        }
        overrides = {name: value for name, value in given.items() if value is not _UNSET}
        self.settings = replace(settings or RunSettings(), **overrides)
        self.offline = offline
        self.stream_consumer = stream_consumer
        self.redactor = redactor
        self.excerpts = excerpts
        self.reveal_outputs = reveal_outputs
        self.listener = listener
        from arazzo_runner.validation.contract import parse_severity

        self.severity = parse_severity(severity)
        self._pool: SocketPool | None = None  # WebSocket connections kept between runs

    @property
    def max_steps(self) -> int:
        return self.settings.max_steps

    @max_steps.setter
    def max_steps(self, value: int) -> None:
        self.settings = replace(self.settings, max_steps=value)

    @property
    def timeout(self) -> float | None:
        return self.settings.timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self.settings = replace(self.settings, timeout=value)

    def __enter__(self) -> Runner:
        """Inside ``with``, WebSocket connections outlive a run: the next run (another
        workflow) to the same endpoint reuses them; leaving the block closes them."""
        from arazzo_runner.wire import SocketPool

        if self._pool is None:
            self._pool = SocketPool()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the WebSocket connections kept between runs (nothing else is kept)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def load(self, path: PathLike) -> Workspace:
        """Load and validate ``path``; raise ValidationFailed when it has errors."""
        from arazzo_runner.document import open_workspace
        from arazzo_runner.validation import validate_workspace

        path = os.fspath(path)
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
        _refuse_unloaded_sources(workspace)
        return workspace

    def run(
        self,
        source: PathLike | Workspace,
        workflow_id: str | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run one workflow (the only one when ``workflow_id`` is None) and return its result."""
        from arazzo_runner.engine import Engine, RunLimits
        from arazzo_runner.validation import check_inputs
        from arazzo_runner.wire import masked_http_logs

        workspace = self.load(source) if isinstance(source, (str, os.PathLike)) else source
        document = workspace.root
        assert document is not None
        workflow = _pick_workflow(document, workflow_id)
        values = dict(inputs or {})
        check_inputs(document, workflow, values)
        due = self.settings.due(time.monotonic())  # one deadline for the engine and the wire
        channels = self._channels(workspace, workflow)
        executor, own_client = self._executor(workspace, due)
        recorder = _Recorder(executor, excerpts=self.excerpts, reveal_outputs=self.reveal_outputs)
        if channels is not None:
            channels.redactor = executor.redactor
        try:
            engine = Engine(
                workspace,
                recorder,
                limits=RunLimits(self.settings, due=due),
                stream_consumer=self.stream_consumer,
                listener=self.listener,
                async_executor=channels,
            )
            with masked_http_logs(executor.redactor):
                result = engine.run(workflow.workflow_id, values)
        except KeyboardInterrupt as interrupt:
            partial = partial_result(interrupt)
            if partial is not None:
                recorder.attach(partial)  # excerpts and redaction, as for a finished run
            raise
        finally:
            executor.close()
            if channels is not None:
                channels.close()
            if own_client is not None:
                own_client.close()
        recorder.attach(result)
        return result

    def stream(
        self,
        source: PathLike | Workspace,
        workflow_id: str | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> StreamingRun:
        """Start :meth:`run` in a worker thread and iterate its stream events as they arrive:
        ``for step_id, event in runner.stream(...)``, then ``.result``
        (:class:`~arazzo_runner.streaming.StreamingRun`; replaces ``stream_consumer``)."""
        import copy

        from arazzo_runner.streaming import StreamingRun

        def start(consumer: StreamConsumer) -> RunResult:
            worker = copy.copy(self)
            worker.stream_consumer = consumer
            return worker.run(source, workflow_id, inputs)

        return StreamingRun(start)

    async def aload(self, path: PathLike) -> Workspace:
        """:meth:`load` in a worker thread."""
        return await _in_thread(self.load, path)

    async def arun(
        self,
        source: PathLike | Workspace,
        workflow_id: str | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """:meth:`run` in a worker thread (``anyio.to_thread.run_sync``): the event loop keeps
        running meanwhile. Cancelling the awaiting task waits for the run to end (its HTTP
        timeouts, ``timeout`` and ``max_steps`` bound it); the stream consumer, if any, is
        called in the worker thread."""
        return await _in_thread(self.run, source, workflow_id, inputs)

    def _channels(self, workspace: Workspace, workflow: Any) -> AsyncStepExecutor | None:
        """The run's AsyncAPI step executor when the document has AsyncAPI steps (1.1);
        a step it cannot carry (an unsupported protocol, AsyncAPI 2.x) is exit 3 here,
        before anything is sent."""
        document = workspace.root
        assert document is not None
        if not any(s.target_kind == "async" for w in document.workflows for s in w.steps):
            return None
        from arazzo_runner.wire import AsyncStepExecutor

        channels = AsyncStepExecutor(workspace, servers=self.servers, auth=self.auth, env=self.env)
        channels.check(document, workflow)
        return channels

    def _executor(
        self, workspace: Workspace, due: float | None
    ) -> tuple[HttpExecutor, httpx.Client | None]:
        """The run's executor (``wire.TRANSPORTS[transport]``), and the client made here around
        ``transport`` (to close)."""
        from arazzo_runner.validation.contract import Contract
        from arazzo_runner.wire import TRANSPORTS, make_client

        own = None if self.transport is None else make_client(transport=self.transport)
        carrier = {"pool": self._pool} if self.carrier == "websocket" else {}
        executor = TRANSPORTS[self.carrier](
            workspace,
            **carrier,
            client=own or self.client,
            servers=self.servers,
            auth=self.auth,
            env=self.env,
            settings=self.settings,
            due=due,
            redactor=self._redactor(),
            contract=Contract(self.severity),
        )
        return executor, own

    def _redactor(self) -> Redactor:
        """The run's redactor: the caller's (which then learns every secret the run sends, such
        as a token fetched mid-run, for its own output) or a new one, plus every ``auth`` value."""
        redactor = self.redactor if self.redactor is not None else Redactor()
        for secret in self.auth.values():
            redactor.add_forms(secret)
        return redactor


class _Recorder:
    """Wraps the executor: keeps a redacted excerpt of every exchange, in the order sent.

    The engine records ``method``/``url`` on a StepResult exactly when the executor was called
    for it, so the excerpts pair with those steps in order (checked by step id).
    """

    def __init__(
        self, executor: HttpExecutor, *, excerpts: bool = True, reveal_outputs: bool = False
    ) -> None:
        self.executor = executor
        self.excerpts = excerpts
        self.reveal_outputs = reveal_outputs
        self.sent: list[tuple[str, Excerpt | None]] = []

    def execute(self, call: OperationCall) -> Exchange:
        exchange = self.executor.execute(call)
        made = excerpt(exchange, self.executor.redactor) if self.excerpts else None
        self.sent.append((call.step.step_id, made))
        return exchange

    def attach(self, result: RunResult) -> None:
        """Put the excerpts on their steps; mask every known secret (and its derived forms) in
        reasons, URLs (a key sent in the query string), the run error and, unless the caller
        asked for them as produced (``reveal_outputs``), the step and workflow outputs."""
        redactor = self.executor.redactor
        redact = redactor.redact_text
        sent = iter(self.sent)
        for step in result.steps:
            if step.method is not None:
                step_id, found = next(sent, ("", None))
                step.excerpt = found if step_id == step.step_id else None
            step.failures = [replace(f, reason=redact(f.reason)) for f in step.failures]
            step.warnings = [replace(f, reason=redact(f.reason)) for f in step.warnings]
            if step.url is not None:  # a key sent in the query string is part of the URL
                step.url = redact(step.url)
            if not self.reveal_outputs:
                step.outputs = redactor.redact_data(step.outputs)
        if result.error is not None:
            result.error = redact(result.error)
        if not self.reveal_outputs:
            result.outputs = redactor.redact_data(result.outputs)


async def _in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


def _refuse_unloaded_sources(workspace: Workspace) -> None:
    """``validate`` warns about a source it cannot load; a run cannot use it: exit 2 for a
    local file (the document must change), 3 for a remote one that could not be fetched."""
    from arazzo_runner.errors import RunError, SourceError

    root = workspace.root
    assert root is not None
    for source in workspace.sources(root).values():
        if source.error is None:
            continue
        declared = root.source(source.name)
        remote = source.url.startswith(("http://", "https://"))
        error = RunError if remote else SourceError
        raise error(
            f"source description {source.name!r} cannot be loaded: {source.error}",
            file=declared.loc.file if declared else None,
            line=declared.loc.line if declared else None,
            hint="check its url (and the network, or drop --offline)"
            if remote
            else "fix its url or the file it names",
        )


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


def load(path: PathLike, *, offline: bool = False) -> Workspace:
    """Load and validate an Arazzo file with its sources (ValidationFailed on errors)."""
    return Runner(offline=offline).load(path)


def validate(path: PathLike, *, offline: bool = False) -> list[Diagnostic]:
    """Every diagnostic for ``path`` (errors and warnings), never an exception for bad input."""
    from arazzo_runner.validation import validate_path

    return validate_path(os.fspath(path), offline=offline)


def run(
    path: PathLike | Workspace,
    workflow_id: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    **settings: Any,
) -> RunResult:
    """``Runner(**settings).run(path, workflow_id, inputs)``."""
    return Runner(**settings).run(path, workflow_id, inputs)


async def aload(path: PathLike, *, offline: bool = False) -> Workspace:
    """:func:`load` in a worker thread."""
    return await _in_thread(load, path, offline=offline)


async def avalidate(path: PathLike, *, offline: bool = False) -> list[Diagnostic]:
    """:func:`validate` in a worker thread."""
    return await _in_thread(validate, path, offline=offline)


async def arun(
    path: PathLike | Workspace,
    workflow_id: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    **settings: Any,
) -> RunResult:
    """``await Runner(**settings).arun(path, workflow_id, inputs)``; see :meth:`Runner.arun`."""
    return await Runner(**settings).arun(path, workflow_id, inputs)
