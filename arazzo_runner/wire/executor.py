"""The executor: one operation step -> one HTTP exchange (layer 5).

:class:`HttpExecutor` keeps one ``httpx.Client`` per run (connections are reused; redirects are
not followed, so a workflow can test ``$statusCode == 302``). For each
:class:`~arazzo_runner.engine.port.OperationCall` it finds the OpenAPI operation, builds the request
(:mod:`arazzo_runner.wire.request`: servers, ``--server`` overrides, parameters by
style/explode, body, credentials), sends it with ``stream=True`` and reads the answer
(:mod:`arazzo_runner.wire.response`):

* ``text/event-stream`` 2xx: the body is **not** read. The open response is wrapped in an
  :class:`~arazzo_runner.streaming.EventStream` bounded by :class:`StreamPolicy` and handed
  over in ``Exchange.stream`` (``Exchange.close()`` disconnects), unless the step carries
  ``x-arazzo-stream`` (:mod:`arazzo_runner.streaming.extension`), in which case it is consumed here.
* anything else: the body is read (at most ``max_body_bytes``) and parsed (JSON, text, bytes).
  A 2xx that is not an event stream where the operation declares only ``text/event-stream``
  sets ``Exchange.failure``.

Nothing is ever raised for a failed exchange. Nothing is re-sent, with one exception: an
idempotent request (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) whose connection broke before any
response arrived is sent once more on a new connection, since that is what a kept-alive
connection the server closed between two steps looks like (RFC 9110, 9.2.2); a POST never is.
``deadline`` (the run's ``--timeout``) caps
every request's timeouts by the time the run has left, and bounds bodies and streams too, so a
slow drip that never trips a read or idle timeout still ends. Problems land in
``Exchange.error`` (no usable response: transport, timeout, credentials, bad inputs) or
``Exchange.failure`` (a response that cannot be what the step wanted). Every message built here
goes through the run's :class:`~arazzo_runner.redact.Redactor` (``executor.redactor``), which
reporters should use too.
"""

from __future__ import annotations

__all__ = ["HttpExecutor", "StreamPolicy", "Timeouts", "describe_error_response"]

import time
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from types import TracebackType
from typing import Any

import httpx

from arazzo_runner.document.openapi import Operation
from arazzo_runner.engine import Exchange, OperationCall
from arazzo_runner.errors import ArazzoError, InputError, RunTimeout
from arazzo_runner.expressions import ExpressionContext, Message
from arazzo_runner.media import EVENT_STREAM, media_type
from arazzo_runner.redact import Redactor
from arazzo_runner.settings import DEFAULT_FIRST_BYTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, RunSettings
from arazzo_runner.streaming import DEFAULT_MAX_EVENT_BYTES, EventStream, StreamSpec, consume
from arazzo_runner.validation.contract import Contract, OperationContract
from arazzo_runner.wire.auth import Authenticator, Credentials
from arazzo_runner.wire.checks import check_stream, sent_values
from arazzo_runner.wire.client import Timeouts, make_client
from arazzo_runner.wire.request import BuiltRequest, Targets, build_request
from arazzo_runner.wire.response import (
    MAX_BODY_BYTES,
    decode_body,
    describe_error_response,
    header_value,
    headers_dict,
    parse_retry_after,
    read_body,
    sse_only_declared,
    transport_error,
)

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""Failures before any response byte that a dropped keep-alive connection produces."""


@dataclass(frozen=True)
class StreamPolicy:
    """Bounds of an event stream (see :mod:`arazzo_runner.streaming.event_stream`)."""

    first_byte_timeout: float | None = DEFAULT_FIRST_BYTE_TIMEOUT
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT
    deadline: float | None = None
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES

    @classmethod
    def from_settings(cls, settings: RunSettings) -> StreamPolicy:
        return cls(settings.first_byte_timeout, settings.idle_timeout)


class HttpExecutor:
    """Sends operation steps over one ``httpx.Client``; see the module docstring."""

    def __init__(
        self,
        workspace: Any,
        *,
        client: httpx.Client | None = None,
        servers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        timeouts: Timeouts | None = None,
        stream_policy: StreamPolicy | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        redactor: Redactor | None = None,
        auth: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        settings: RunSettings | None = None,
        due: float | None = None,
        contract: Contract | None = None,
    ) -> None:
        """``auth``/``env`` build the credentials when ``credentials`` is not given (the
        environment is only read when passed). ``settings`` gives the stream bounds (unless
        ``stream_policy`` is given) and the run's overall deadline, which bounds every request,
        body and stream that follows: ``due`` on the ``time.monotonic`` clock when the caller
        fixed it (the runner does, for the engine too), else ``settings.timeout`` from now.
        ``contract`` checks each request, response and event against the description
        (``validation.contract``; None checks nothing)."""
        settings = settings or RunSettings()
        self.workspace = workspace
        self.deadline = settings.timeout
        self._due = due if due is not None else settings.due(time.monotonic())
        self.servers = dict(servers or {})
        self.timeouts = timeouts or Timeouts()
        self.stream_policy = stream_policy or StreamPolicy.from_settings(settings)
        if credentials is None:
            credentials = Credentials.from_sources(auth or {}, env or {})
        self.max_body_bytes = max_body_bytes
        self.redactor = redactor or Redactor()
        self._owns_client = client is None
        self.client = client or make_client(self.timeouts)
        self.auth = Authenticator(credentials, self.redactor, self.client)
        self._targets = Targets(workspace)
        self.contract = contract

    def close(self) -> None:
        """Close the client (when this executor created it)."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> HttpExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- one call ----------------------------------------------------------------------------

    def execute(self, call: OperationCall) -> Exchange:
        found = self._targets.operation(call)
        if found is None:
            return Exchange("", "", error=self._not_found(call))
        source, operation = found
        exchange = Exchange(operation.method.upper(), "")
        try:
            spec = self._targets.stream_spec(call)
            base = self._base_url(source, operation)
            exchange.url = base + operation.path
            schemes = source.openapi.security_schemes if source.openapi is not None else {}
            built = build_request(call, operation, base, self.auth, schemes)
            request = self._request(built, exchange)
        except ArazzoError as exc:
            exchange.error = self._redacted(exc, call)
            return exchange
        checks = None
        if self.contract is not None:
            checks = self.contract.operation(source.openapi, operation)
            if checks is not None and not checks.request(
                sent_values(built, exchange), exchange.findings
            ):
                return exchange  # the description forbids it: not sent
        try:
            self._bound(request)
            sent = time.monotonic()
            response = self._send(request)
        except ArazzoError as exc:  # RunTimeout from _bound; a transport's own errors
            exchange.error = self._redacted(exc, call)
            return exchange
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.TimeoutException) and self._expired():
                exchange.error = self._redacted(self._late("waiting for the answer"), call)
                return exchange
            resent = request.method in _IDEMPOTENT and isinstance(exc, _DROPPED)
            exchange.error = self._redacted(transport_error(exc, request, resent=resent), call)
            return exchange
        self._receive(call, operation, spec, response, exchange, checks, sent)
        return exchange

    def _base_url(self, source: Any, operation: Operation) -> str:
        """Where the operation is sent (a transport may change the scheme or host)."""
        return self._targets.base_url(source, operation, self.servers)

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send once; an idempotent request whose connection broke before any answer (a kept-alive
        connection the server had closed) is sent once more, on a new connection."""
        try:
            return self.client.send(request, stream=True)
        except _DROPPED:
            if request.method not in _IDEMPOTENT:
                raise  # a POST may already have started (and billed) work: never re-sent
        return self.client.send(request, stream=True)

    def _request(self, built: BuiltRequest, exchange: Exchange) -> httpx.Request:
        exchange.url = url = built.url
        exchange.request_headers = built.headers()
        for name, value in exchange.request_headers.items():
            self.redactor.add_sent(name, value)
        for name, value in built.query_values.items():
            if isinstance(value, str):
                self.redactor.add_sent(name, value)
        exchange.request_query = built.query_values
        exchange.request_path = built.path_values
        exchange.request_body = built.body
        exchange.notes = built.notes
        try:
            return httpx.Request(
                built.method, url, headers=exchange.request_headers, content=built.content
            )
        except (UnicodeEncodeError, httpx.InvalidURL) as exc:
            raise InputError(f"cannot build the request: {exc}") from exc

    def _receive(
        self,
        call: OperationCall,
        operation: Operation,
        spec: StreamSpec | None,
        response: httpx.Response,
        exchange: Exchange,
        checks: OperationContract | None,
        sent: float,
    ) -> None:
        exchange.status_code = status = response.status_code
        exchange.response_headers = headers = headers_dict(response.headers.multi_items())
        exchange.retry_after = parse_retry_after(header_value(headers, "retry-after"))
        content_type = header_value(headers, "content-type") or ""
        is_stream = media_type(content_type) == EVENT_STREAM
        success = response.is_success
        if checks is not None:
            response.extensions["arazzo.checks"] = exchange.findings  # the HAR reads them
        if is_stream:
            hook = check_stream(checks, status, headers, content_type, exchange)
            if success:
                self._stream(call, spec, response, exchange, hook, sent)
            else:
                response.close()  # an error status announced as a stream: nothing to read
            return
        raw = self._read(call, response, exchange)
        if raw is None:
            return
        exchange.response_body = decode_body(raw, content_type)
        if checks is not None:
            checks.response(
                status, headers, content_type, exchange.response_body, exchange.findings
            )
        if not success:
            described = describe_error_response(
                response.status_code, exchange.response_headers, exchange.response_body
            )
            exchange.problem = self.redactor.redact_text(described)
        if success and (spec is not None or sse_only_declared(operation, response.status_code)):
            got = media_type(content_type) or "no Content-Type"
            exchange.failure = f"expected {EVENT_STREAM}, got {got}"

    def _read(
        self, call: OperationCall, response: httpx.Response, exchange: Exchange
    ) -> bytes | None:
        """The bounded body, or None with ``exchange.error`` set."""
        late = None if self._due is None else self._late("reading the body")
        try:
            return read_body(response, self.max_body_bytes, until=self._due, late=late)
        except httpx.HTTPError as exc:
            error = (
                late
                if late is not None and isinstance(exc, httpx.TimeoutException) and self._expired()
                else transport_error(exc, response.request)
            )
            exchange.error = self._redacted(error, call)
        except ArazzoError as exc:
            exchange.error = self._redacted(exc, call)
        return None

    def _stream(
        self,
        call: OperationCall,
        spec: StreamSpec | None,
        response: httpx.Response,
        exchange: Exchange,
        inspect: Any,
        sent: float,
    ) -> None:
        policy = self.stream_policy
        remaining = self._remaining()
        limits = [d for d in (policy.deadline, remaining) if d is not None]
        if spec is not None and spec.timeout is not None:
            limits.append(spec.timeout)
        deadline = max(min(limits), 0.001) if limits else None
        stream = EventStream(
            response,
            first_byte_timeout=policy.first_byte_timeout,
            idle_timeout=policy.idle_timeout,
            deadline=deadline,
            max_event_bytes=policy.max_event_bytes,
            inspect=inspect,
            sent_at=sent,
        )
        exchange.figures = stream.figures
        if spec is None:
            exchange.stream, exchange.closer = stream, stream.close
            return
        context = ExpressionContext(
            url=exchange.url,
            method=exchange.method,
            status_code=exchange.status_code,
            request=Message(headers=exchange.request_headers, body=exchange.request_body),
        )
        try:
            outcome = consume(stream, spec, context, exchange.response_headers)
        finally:
            stream.close()
        exchange.response_body, exchange.events = outcome.body, outcome.events
        if outcome.failure is not None and not _stopped_by_a_check(exchange):
            exchange.failure = self.redactor.redact_text(outcome.failure)
        if isinstance(outcome.error, RunTimeout) and self._expired():
            outcome.error = self._late(f"the stream (after {outcome.events} events)")
        if outcome.error is not None:
            exchange.error = self._redacted(outcome.error, call)

    # -- the run's deadline ------------------------------------------------------------------

    def _remaining(self) -> float | None:
        return None if self._due is None else self._due - time.monotonic()

    def _expired(self) -> bool:
        return self._due is not None and time.monotonic() >= self._due - 0.01

    def _late(self, during: str) -> RunTimeout:
        return RunTimeout(
            f"the run deadline of {self.deadline:g} s passed during {during}",
            hint="raise --timeout if the server is slow; the request was not re-sent",
        )

    def _bound(self, request: httpx.Request) -> None:
        """Cap the request's timeouts by the time left (RunTimeout when none is left)."""
        remaining = self._remaining()
        if remaining is None:
            return
        if remaining <= 0:
            raise self._late("the steps before this request")
        timeouts = self.timeouts
        capped = Timeouts(
            *(remaining if t is None else min(t, remaining) for t in astuple(timeouts))
        )
        request.extensions["timeout"] = capped.for_httpx().as_dict()

    # -- helpers -----------------------------------------------------------------------------

    def _not_found(self, call: OperationCall) -> InputError:
        step = call.step
        target = step.operation_id or step.operation_path or "(no operation)"
        status = "unknown"
        resolve = getattr(self.workspace, "resolve_operation", None)
        if resolve is not None:
            status = resolve(call.document, step).status
        return InputError(
            f"step {step.step_id}: operation {target} cannot be used ({status})",
            file=step.loc.file,
            line=step.loc.line,
            step_id=step.step_id,
            hint="run `arazzo validate` for details",
        )

    def _redacted(self, exc: ArazzoError, call: OperationCall) -> ArazzoError:
        exc.message = self.redactor.redact_text(exc.message)
        exc.args = (exc.message,)
        if exc.hint:
            exc.hint = self.redactor.redact_text(exc.hint)
        if exc.step_id is None:
            exc.step_id = call.step.step_id
        return exc


def _stopped_by_a_check(exchange: Exchange) -> bool:
    """Did an event that failed its ``event-schema`` check end the stream? (Then that is the
    reason, not the ``until`` the stream no longer reached.)"""
    return any(f.check == "event-schema" and f.severity == "error" for f in exchange.findings)
