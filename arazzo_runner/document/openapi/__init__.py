"""OpenAPI descriptions (layer 1, inside :mod:`arazzo_runner.document`): the operation index.

:mod:`.index` answers operations by ``operationId`` or path, with their servers, parameters,
bodies, responses and security schemes (:mod:`.model`); :mod:`.build` makes them from the
located YAML, :mod:`.refs` resolves ``$ref`` across files and :mod:`.schema` inlines schemas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.document.openapi.index import (
        MediaTypeSpec,
        OpenAPIIndex,
        Operation,
        ParameterSpec,
        ResponseSpec,
        SecurityScheme,
        load_openapi,
    )

__all__ = [
    "MediaTypeSpec",
    "OpenAPIIndex",
    "Operation",
    "ParameterSpec",
    "ResponseSpec",
    "SecurityScheme",
    "load_openapi",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "MediaTypeSpec": "index",
            "OpenAPIIndex": "index",
            "Operation": "index",
            "ParameterSpec": "index",
            "ResponseSpec": "index",
            "SecurityScheme": "index",
            "load_openapi": "index",
        },
    )
