"""Which Arazzo version a document declares, and so which rule set it is read by.

``1.0.x`` documents keep the 1.0 rules (1.1-only fields are ``arazzo-1.1-field`` errors);
``1.1.x`` documents are read with 1.1's fields and checked against the official 1.1 JSON Schema
(:mod:`.official_schema`). Any other version is ``unsupported-version``, naming the supported ones.
"""

from __future__ import annotations

__all__ = ["SUPPORTED", "check_version", "minor_of", "rules_for"]

import re

from arazzo_runner.document.fields import Ctx

SUPPORTED = ("1.0", "1.1")
_VERSION = re.compile(r"(\d+)\.(\d+)\.\d+(-.+)?\Z")
_LOOSE = re.compile(r"(\d+)\.(\d+)(\.\d+)?(-.+)?\Z")


def minor_of(version: object) -> str | None:
    """``"1.0"`` or ``"1.1"`` for a well-formed supported version, else None."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    minor = f"{match.group(1)}.{match.group(2)}" if match else None
    return minor if minor in SUPPORTED else None


def check_version(ctx: Ctx, version: str) -> bool:
    """Report a version we do not read; False when the rest is in a format we do not know."""
    if minor_of(version) is not None:
        return True
    supported = " and ".join(f"{m}.x" for m in SUPPORTED)
    loose = _LOOSE.match(version)
    if loose and loose.group(3):
        message = f"Arazzo {version} is not supported (`arazzo: {version}`)"
        hint = f"this runner reads Arazzo {supported}"
        ctx.report("unsupported-version", ("arazzo",), message, hint)
        return False
    message = f"`arazzo: {version}` is not an Arazzo {supported} version"
    hint = "write the full version as a string, e.g. `arazzo: 1.0.1` or `arazzo: 1.1.0`"
    ctx.report("invalid-version", ("arazzo",), message, hint)
    return True


def rules_for(version: object) -> str:
    """The rule set to read with: the declared minor when we know it (``1.1`` for a sloppy
    ``arazzo: 1.1``, which is also reported), else 1.0's."""
    loose = _LOOSE.match(version) if isinstance(version, str) else None
    minor = f"{loose.group(1)}.{loose.group(2)}" if loose else "1.0"
    return minor if minor in SUPPORTED else "1.0"
