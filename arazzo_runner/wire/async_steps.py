"""AsyncAPI steps (Arazzo 1.1) on the wire: ``send`` and ``receive``, whatever the protocol.

:class:`AsyncStepExecutor` implements the engine's ``AsyncExecutor``: it finds the step's
channel (:mod:`.async_channel`), opens it with the adapter for its server's protocol
(:data:`ADAPTERS`; ``ws``/``wss`` in :mod:`.async_ws`) and keeps that connection for the rest
of the run, so a ``send`` and the ``receive`` steps after it share one connection per channel
URL. ``send`` writes the step's payload; ``receive`` reads messages until one matches the
step's ``correlationId`` (the value held at a ``correlationId.location`` of the channel's
messages equals it; messages that do not match are skipped and counted) or the time is up.

A protocol with no adapter (Kafka, MQTT, AMQP, ...) is a :class:`CannotRun` (exit 3) naming
it, raised by :meth:`AsyncStepExecutor.check` before the run sends anything. Another protocol
is one more adapter module and one more :data:`ADAPTERS` entry.
"""

from __future__ import annotations

__all__ = ["ADAPTERS", "AsyncStepExecutor"]

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from arazzo_runner._missing import MISSING
from arazzo_runner.document import SOURCE_PREFIX, ArazzoDocument, Step, Workflow
from arazzo_runner.document.openapi import SecurityScheme
from arazzo_runner.engine import AsyncExchange, OperationCall, Unset
from arazzo_runner.errors import ArazzoError, RunTimeout
from arazzo_runner.expressions import Message
from arazzo_runner.redact import Redactor
from arazzo_runner.wire.async_channel import CannotRun, Channel, channel_for, correlation_value
from arazzo_runner.wire.async_ws import WsConnection, open_ws
from arazzo_runner.wire.auth import PREFIX_EXTENSION, Credentials

ADAPTERS: dict[str, Callable[[str, Mapping[str, str], float | None], WsConnection]] = {
    "ws": open_ws,
    "wss": open_ws,
}
"""Protocol (an AsyncAPI server's ``protocol``) -> ``open(url, headers, open_timeout)``."""

HANDSHAKE_TIMEOUT = 90.0  # seconds, as for fal's gateway (a cold start happens there)


def _same(found: Any, expected: Any) -> bool:
    if found is MISSING:
        return False
    return found == expected or str(found) == str(expected)


class AsyncStepExecutor:
    """Sends and receives the messages of AsyncAPI steps; one connection per channel URL."""

    def __init__(
        self,
        workspace: Any,
        *,
        servers: Mapping[str, str] | None = None,
        auth: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
        handshake_timeout: float | None = HANDSHAKE_TIMEOUT,
    ) -> None:
        self.workspace = workspace
        self.servers = dict(servers or {})
        self.redactor = redactor or Redactor()
        self.credentials = Credentials.from_sources(auth or {}, env or {})
        self.handshake_timeout = handshake_timeout
        self._open: dict[str, WsConnection] = {}

    # -- before the run ----------------------------------------------------------------

    def check(self, document: ArazzoDocument, workflow: Workflow) -> None:
        """Every AsyncAPI step of ``workflow`` can be carried, or :class:`CannotRun`."""
        for step in workflow.steps:
            if step.target_kind == "async":
                self._channel(document, step, None)

    # -- the engine's port -------------------------------------------------------------

    def send(self, call: OperationCall, until: float | None) -> AsyncExchange:
        channel, exchange = self._prepare(call)
        if exchange.error is not None:
            return exchange
        payload = call.payload if call.payload is not MISSING else ""
        try:
            self._connection(channel, call, until, exchange.notes).send(payload)
        except ArazzoError as exc:
            self._drop(channel)
            exchange.error = exc
            return exchange
        exchange.sent = payload
        return exchange

    def receive(self, call: OperationCall, correlation: Any, until: float | None) -> AsyncExchange:
        """The next message (matching ``correlation`` unless it is MISSING) before ``until``
        (``time.monotonic``); ``timed_out`` when none came."""
        channel, exchange = self._prepare(call)
        if exchange.error is not None:
            return exchange
        if correlation is not MISSING and not channel.locations:
            exchange.error = CannotRun(
                f"step {call.step.step_id} has a correlationId, but no message of channel"
                f" {channel.name!r} declares a correlationId location",
                hint="add correlationId: {location: $message.payload#/...} to the messages",
            )
            return exchange
        try:
            connection = self._connection(channel, call, until, exchange.notes)
            for message in _messages(connection, until):
                if correlation is MISSING or any(
                    _same(correlation_value(where, message.payload, message.headers), correlation)
                    for where in channel.locations
                ):
                    exchange.message = Message(headers=message.headers, body=message.payload)
                    return exchange
                exchange.skipped += 1
        except RunTimeout:
            exchange.timed_out = True
        except ArazzoError as exc:
            self._drop(channel)
            exchange.error = exc
        else:
            exchange.timed_out = True
        return exchange

    def close(self) -> None:
        connections, self._open = list(self._open.values()), {}
        for connection in connections:
            connection.close()

    # -- helpers -----------------------------------------------------------------------

    def _prepare(self, call: OperationCall) -> tuple[Channel, AsyncExchange]:
        values = {name: v for name, where, v in call.parameters if where in ("path", "channel")}
        try:
            channel = self._channel(call.document, call.step, values)
        except ArazzoError as exc:
            return Channel("", "", "", ""), AsyncExchange(url="", error=exc)
        query = {
            name: str(v)
            for name, where, v in call.parameters
            if where == "query" and not isinstance(v, Unset)
        }
        exchange = AsyncExchange(url=channel.url + (("?" + urlencode(query)) if query else ""))
        for name in query:
            if channel.query_names and name not in channel.query_names:
                exchange.notes.append(f"query {name} is not declared by channel {channel.name!r}")
        return replace(channel, url=exchange.url), exchange

    def _channel(
        self, document: ArazzoDocument, step: Step, values: Mapping[str, Any] | None
    ) -> Channel:
        name = _source_name(document, step, self.workspace)
        source = self.workspace.sources(document).get(name or "")
        if source is None or source.asyncapi is None:
            raise CannotRun(f"step {step.step_id}: its AsyncAPI source {name!r} is not loaded")
        channel = channel_for(
            source.asyncapi,
            step,
            source.name,
            override=self.servers.get(source.name),
            address_values=values,
        )
        if channel.protocol not in ADAPTERS:
            raise CannotRun(
                f"cannot run step {step.step_id}: protocol {channel.protocol or '(none)'} is not"
                f" supported (supported: {', '.join(sorted(ADAPTERS))})",
                hint=f"channel {channel.name!r} of source {source.name!r}",
            )
        return channel

    def _connection(
        self, channel: Channel, call: OperationCall, until: float | None, notes: list[str]
    ) -> WsConnection:
        headers = {
            name: str(v)
            for name, where, v in call.parameters
            if where == "header" and not isinstance(v, Unset)
        }
        for name in headers:
            if channel.header_names and name not in channel.header_names:
                notes.append(f"header {name} is not declared by channel {channel.name!r}")
        found = self._open.get(channel.url)
        if found is not None:
            if headers:
                notes.append(f"the connection to {channel.url} was already open: headers not sent")
            return found
        headers.update(self._credentials(channel, headers, notes))
        limit = self.handshake_timeout
        if until is not None:
            left = max(until - time.monotonic(), 0.001)
            limit = left if limit is None else min(limit, left)
        for value in headers.values():
            if _secret_like(value):
                self.redactor.add_forms(value)
        connection = ADAPTERS[channel.protocol](channel.url, headers, limit)
        self._open[channel.url] = connection
        return connection

    def _credentials(
        self, channel: Channel, given: Mapping[str, str], notes: list[str]
    ) -> dict[str, str]:
        """The handshake headers of the server's security schemes (``--auth SCHEME=VALUE``,
        ``ARAZZO_AUTH_<SCHEME>``, ``FAL_KEY`` for a fal scheme on fal's hosts and loopback);
        a header the step gives itself wins."""
        host = urlsplit(channel.url).hostname
        out: dict[str, str] = {}
        for key, header, raw in channel.security:
            if any(name.lower() == header.lower() for name in given):
                continue
            extensions = {k: v for k, v in raw.items() if str(k).startswith("x-")}
            scheme = SecurityScheme(
                key, "apiKey", location="header", param_name=header, extensions=extensions
            )
            value = self.credentials.lookup(scheme, host)
            if value is None:
                notes.append(f"no credential for {key} ({self.credentials.how_to_give(scheme)})")
                continue
            prefix = str(extensions.get(PREFIX_EXTENSION, "")).strip()
            self.redactor.add_forms(value)
            out[header] = f"{prefix} {value}" if prefix else value
            self.redactor.add_forms(out[header])
        return out

    def _drop(self, channel: Channel) -> None:
        connection = self._open.pop(channel.url, None)
        if connection is not None:
            connection.close()


def _secret_like(value: str) -> bool:
    """An ``Authorization`` style value: masked in everything the run reports."""
    scheme = value.split(None, 1)[0].lower() if value.strip() else ""
    return scheme in ("key", "bearer", "basic", "token")


def _messages(connection: WsConnection, until: float | None) -> Iterator[Any]:
    """Messages until ``until``; RunTimeout when the time is up."""
    while True:
        wait = None if until is None else until - time.monotonic()
        if wait is not None and wait <= 0:
            raise RunTimeout("the receive timeout passed")
        yield connection.receive(wait)


def _source_name(document: ArazzoDocument, step: Step, workspace: Any) -> str | None:
    from arazzo_runner.wire.async_channel import _CHANNEL_PATH

    if step.channel_path is not None:
        match = _CHANNEL_PATH.match(step.channel_path)
        return match.group(1) if match else None
    if step.operation_id is not None and step.operation_id.startswith(SOURCE_PREFIX):
        return step.operation_id[len(SOURCE_PREFIX) :].partition(".")[0]
    names = [s.name for s in workspace.sources(document).values() if s.kind == "asyncapi"]
    return names[0] if len(names) == 1 else None
