"""``--transport http|websocket``: one option for every command that sends steps.

``arazzo run`` has it; another command (``arazzo load``) adds it with the same decorator and
passes the value on as ``Runner(transport=...)``.
"""

from __future__ import annotations

__all__ = ["TRANSPORT_CHOICES", "transport_option"]

from collections.abc import Callable
from typing import Any, TypeVar

import click

TRANSPORT_CHOICES = ("http", "websocket")
_F = TypeVar("_F", bound=Callable[..., Any])


def transport_option(command: _F) -> _F:
    """Add ``--transport`` (passed to the command as ``transport``, a name of
    ``Runner(transport=...)``)."""
    return click.option(
        "--transport",
        type=click.Choice(TRANSPORT_CHOICES),
        default="http",
        show_default=True,
        help="How POST steps are carried: HTTP, or fal's HTTP over WebSockets.",
    )(command)
