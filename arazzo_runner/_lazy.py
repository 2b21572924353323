"""Lazy package faces (PEP 562): a face names what it offers; a name loads its module on use.

Every package ``__init__`` is the face other packages import from. Importing a face must not
import everything behind it (``arazzo validate`` would pay for httpx through the reporters), so a
face declares ``{name: inner module}`` and gets ``__getattr__``/``__dir__`` from :func:`attach`;
its ``TYPE_CHECKING`` block repeats the imports for type checkers. ``tests/test_layers.py``
checks that the two agree and that every name resolves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``names`` map to inner modules."""
    namespace = importlib.import_module(package).__dict__
    namespace["_LAZY_NAMES"] = dict(names)  # for tests/test_layers.py

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*names, *namespace.get("__all__", ())})

    return __getattr__, __dir__
