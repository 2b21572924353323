"""httpx's own log lines, masked: ``HTTP Request: GET https://...?api_key=***``.

httpx logs every request at INFO on the ``httpx`` logger, URL included, so a key sent in the
query string reaches any handler a caller (or pytest's log capture) has set up. For the length
of a run, :func:`masked_http_logs` adds a filter to that logger that rewrites each record with
the run's :class:`~arazzo_runner.redact.Redactor`. It configures nothing: no handler, no level;
records that hold no secret pass untouched, and the filter is removed when the run ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from arazzo_runner.redact import Redactor

__all__ = ["HTTP_LOGGERS", "masked_http_logs"]

HTTP_LOGGERS = ("httpx", "httpcore")


class _Masking(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit: leave it be
            return True
        masked = self.redactor.redact_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


@contextlib.contextmanager
def masked_http_logs(redactor: Redactor) -> Iterator[None]:
    """Mask the run's secrets in httpx's (and httpcore's) log records while the block runs."""
    masking = _Masking(redactor)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(masking)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(masking)
