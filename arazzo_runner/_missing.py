"""``MISSING``: the one sentinel for "no such value", distinct from JSON ``null`` (``None``).

Shared by the model (a field the document leaves out), the expression evaluator (a runtime
expression that resolves to nothing) and the executor (a response without a body).
"""

from __future__ import annotations

from typing import Final

__all__ = ["MISSING", "Missing"]


class Missing:
    """The type of :data:`MISSING`. Falsy, a singleton, and survives pickling/copying."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"

    def __copy__(self) -> Missing:
        return self

    def __deepcopy__(self, memo: object) -> Missing:
        return self


MISSING: Final = Missing()
