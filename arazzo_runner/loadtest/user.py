"""A Locust user that runs an Arazzo workflow in a loop: :class:`ArazzoUser`.

Subclass it in a locustfile and set the workflow (see ``docs/load.md``)::

    from arazzo_runner.loadtest import ArazzoUser

    class Checkout(ArazzoUser):
        workflow_file = "workflows/petstore.arazzo.yaml"
        workflow_id = "login-list-get"
        inputs = {"username": "alice", "password": "wonderland"}
        servers = {"petstore": "http://127.0.0.1:8000"}

Each iteration runs the whole workflow with :meth:`arazzo_runner.Runner.run` and then reports
to Locust, one request per step that ran, named ``workflowId/stepId`` (its type is the HTTP
method; a step that did not pass is a failure whose message is the step's first reason), plus
``TTFB`` and ``TTFE`` entries for each streaming step (time to first byte and to first event). A run
that cannot start (its inputs are refused, a source is missing) is one failed ``WORKFLOW``
entry named after the workflow. Steps are reported when the run ends, with the
durations the runner measured. A stream that the step does not consume itself (no
``x-arazzo-stream``) is read to its end, as ``arazzo run --stream`` reads it, so its first
event and gaps are measured too. The document is loaded and validated once per process; each
virtual user keeps its own HTTP client (its own keep-alive connections) for its lifetime.

Importing this module imports Locust, which patches the standard library for gevent.
"""

from __future__ import annotations

__all__ = ["ArazzoUser", "StepFailed", "loaded", "report_result"]

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from locust import User, constant, task

from arazzo_runner import Runner
from arazzo_runner.errors import ArazzoError
from arazzo_runner.results import RunResult
from arazzo_runner.streaming import event_value, reported_error, reports_no_error

_LOADED: dict[tuple[str, bool], Any] = {}
_LOADING = threading.Lock()


class StepFailed(Exception):
    """What Locust records for a step that did not pass (the message is the step's reason)."""

    def __repr__(self) -> str:  # Locust's failure table shows repr(): the reason alone reads best
        return str(self)


def _drain(step_id: str, stream: Any) -> str | None:
    """Read a handed-over stream to its end; an event with a JSON ``error`` fails the step."""
    for seen, event in enumerate(stream, 1):
        if reports_no_error(event.data):
            continue
        message = reported_error(event_value(event))
        if message is not None:
            return f"the stream reported an error in event {seen}: {message}"
    return None


def loaded(path: str, offline: bool = False) -> Any:
    """The loaded, validated workspace of ``path``, once per process (virtual users share it;
    ``arazzo load`` calls it before any user starts, so none pays for loading)."""
    key = (path, offline)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = Runner(offline=offline).load(path)
        return _LOADED[key]


def report_result(fire: Callable[..., Any], result: RunResult) -> None:
    """Fire one Locust request event per step of ``result`` (and per stream figure)."""
    for step in result.steps:
        name = f"{step.workflow_id}/{step.step_id}"
        failed = None
        if step.status != "passed":
            reason = step.failures[0].reason if step.failures else step.status
            failed = StepFailed(reason)
        kind = step.method or "STEP"
        fire(
            request_type=kind,
            name=name,
            response_time=step.duration_ms,
            response_length=0,
            exception=failed,
            context={},
            url=step.url,
        )
        figures = step.stream
        if figures is not None:
            for label, value in (("TTFB", figures.first_byte_ms), ("TTFE", figures.first_event_ms)):
                if value is not None:
                    fire(
                        request_type=label,
                        name=name,
                        response_time=value,
                        response_length=0,
                        exception=None,
                        context={},
                    )


class ArazzoUser(User):
    """Runs ``workflow_id`` of ``workflow_file`` over and over; see the module docstring.

    ``servers`` maps source names to base URLs (Locust's ``host``, when set and the document
    has one source, is that source's URL); ``auth`` maps security schemes to credentials (the
    environment's ``ARAZZO_AUTH_<SCHEME>``/``FAL_KEY`` are read too); ``settings`` holds other
    :class:`~arazzo_runner.Runner` settings (``timeout``, ``idle_timeout``, ``max_steps``,
    ``offline``, ``transport``; over ``"websocket"`` each user keeps its connections from one
    iteration to the next). ``wait_time`` is Locust's (none by default: the next iteration
    starts at once).
    """

    abstract = True
    wait_time = constant(0)
    workflow_file: ClassVar[str] = ""
    workflow_id: ClassVar[str | None] = None
    inputs: ClassVar[Mapping[str, Any]] = {}
    servers: ClassVar[Mapping[str, str]] = {}
    auth: ClassVar[Mapping[str, str]] = {}
    settings: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        from arazzo_runner.wire import make_client

        cls = type(self)
        if not cls.workflow_file:
            raise TypeError(f"{cls.__name__}.workflow_file is not set")
        settings = dict(cls.settings)
        offline = bool(settings.pop("offline", False))
        self.workspace = loaded(cls.workflow_file, offline)
        self.client = make_client()
        self.runner = Runner(
            servers=self._servers(),
            auth=cls.auth,
            client=self.client,
            offline=offline,
            stream_consumer=_drain,
            excerpts=False,
            **settings,
        )
        self.runner.__enter__()  # WebSocket connections kept for the user's next iterations

    def _servers(self) -> dict[str, str]:
        servers = dict(type(self).servers)
        sources = self.workspace.root.source_descriptions
        if self.host and not servers and len(sources) == 1:
            servers[sources[0].name] = self.host
        return servers

    @task
    def run_workflow(self) -> None:
        """One iteration: the whole workflow, then its steps reported to Locust."""
        fire = self.environment.events.request.fire
        try:
            result = self.runner.run(self.workspace, type(self).workflow_id, type(self).inputs)
        except ArazzoError as exc:
            name = type(self).workflow_id or type(self).workflow_file
            fire(
                request_type="WORKFLOW",
                name=name,
                response_time=0,
                response_length=0,
                exception=StepFailed(str(exc)),
                context={},
            )
            return
        report_result(fire, result)

    def on_stop(self) -> None:
        self.runner.close()
        self.client.close()
