"""``--until`` and ``--query``: JMESPath expressions compiled before any request is sent.

A typo is an :class:`~arazzo_runner.errors.InputError` (exit 2) quoting the option, never a
traceback after the workflow already ran. :func:`truthy` is JMESPath's own truth rule (false,
null, empty string, empty array and empty object are false; every number, ``0`` too, is true).
"""

from __future__ import annotations

from typing import Any

from arazzo_runner.errors import InputError

__all__ = ["compile_option", "truthy"]


def compile_option(text: str | None, option: str) -> Any:
    """The compiled expression (``None`` when the option was not given)."""
    if text is None:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(text)
    except JMESPathError as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(
            f"{option} {text!r} is not a JMESPath expression: {reason}",
            hint="quote it for the shell; literals go in backticks, e.g. 'partial == `false`'",
        ) from None


def truthy(value: Any) -> bool:
    """JMESPath truthiness."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True
