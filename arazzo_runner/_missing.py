"""``MISSING``: the one sentinel for "no such value", distinct from JSON ``null`` (``None``).

Shared by the model (a field the document leaves out), the expression evaluator (a runtime
expression that resolves to nothing) and the executor (a response without a body). An enum
member, so it survives copy and pickle as itself.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["MISSING", "MissingType"]


class MissingType(enum.Enum):
    """Type of the :data:`MISSING` sentinel."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = MissingType.MISSING
