"""The wire's side of the description checks (:mod:`arazzo_runner.validation.contract`): what a
request carries, as the ``request`` check reads it, and the checks of an open stream."""

from __future__ import annotations

__all__ = ["check_stream", "sent_values"]

from typing import Any

from arazzo_runner._missing import MISSING
from arazzo_runner.engine import Exchange
from arazzo_runner.validation.contract import OperationContract, RequestValues
from arazzo_runner.wire.request import BuiltRequest
from arazzo_runner.wire.response import header_value


def check_stream(
    checks: OperationContract | None,
    status: int,
    headers: dict[str, str],
    content_type: str,
    exchange: Exchange,
) -> Any:
    """Check a stream's status and media type (its body is not read); its per-event hook."""
    if checks is None:
        return None
    checks.response(status, headers, content_type, MISSING, exchange.findings)
    return checks.event_hook(status, content_type, exchange.findings)


def sent_values(built: BuiltRequest, exchange: Exchange) -> RequestValues:
    """What the request carries, for the ``request`` check."""
    return RequestValues(
        path=built.path_values,
        query=built.query_values,
        header=exchange.request_headers,
        cookie=dict(built.out.cookies),
        body=built.body,
        content_type=header_value(exchange.request_headers, "content-type"),
    )
