"""Documents (layer 1): text to typed, located, immutable Arazzo documents and their sources.

The YAML/JSON reader keeps a line and column for every value (:mod:`.yaml_reader`,
:mod:`.yaml_events`, :mod:`.location`); :mod:`.loader` and :mod:`.fields` build the typed model
of :mod:`.model`; :mod:`.sources` fetches what a document names; :mod:`.workspace` holds the
root document with every source loaded once. The OpenAPI index is the subpackage
:mod:`.openapi`. Other packages import from here, never from the inner modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.document.inputs_schema import InputNames, input_names
    from arazzo_runner.document.loader import load_arazzo
    from arazzo_runner.document.location import Location
    from arazzo_runner.document.model import (
        Action,
        ArazzoDocument,
        Criterion,
        Parameter,
        PayloadReplacement,
        RequestBody,
        Reusable,
        Selector,
        Step,
        Workflow,
    )
    from arazzo_runner.document.reading import read_capped, read_stream
    from arazzo_runner.document.selectors import WHOLE_CONTEXT
    from arazzo_runner.document.sources import Fetcher, to_url
    from arazzo_runner.document.versions import SUPPORTED, minor_of
    from arazzo_runner.document.workspace import (
        SOURCE_PREFIX,
        OperationLookup,
        Workspace,
        document_identity,
        open_workspace,
    )
    from arazzo_runner.document.yaml_reader import MAX_DOCUMENT_BYTES, load_file, load_text

__all__ = [
    "Action",
    "ArazzoDocument",
    "Criterion",
    "Fetcher",
    "InputNames",
    "Location",
    "MAX_DOCUMENT_BYTES",
    "OperationLookup",
    "Parameter",
    "PayloadReplacement",
    "RequestBody",
    "Reusable",
    "SOURCE_PREFIX",
    "SUPPORTED",
    "Selector",
    "Step",
    "WHOLE_CONTEXT",
    "Workflow",
    "Workspace",
    "document_identity",
    "input_names",
    "load_arazzo",
    "load_file",
    "load_text",
    "minor_of",
    "open_workspace",
    "read_capped",
    "read_stream",
    "to_url",
]

if not TYPE_CHECKING:  # type checkers see the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = attach(
        __name__,
        {
            "Action": "model",
            "ArazzoDocument": "model",
            "Criterion": "model",
            "Fetcher": "sources",
            "InputNames": "inputs_schema",
            "Location": "location",
            "MAX_DOCUMENT_BYTES": "yaml_reader",
            "OperationLookup": "workspace",
            "Parameter": "model",
            "PayloadReplacement": "model",
            "RequestBody": "model",
            "Reusable": "model",
            "SOURCE_PREFIX": "workspace",
            "document_identity": "workspace",
            "SUPPORTED": "versions",
            "Selector": "model",
            "minor_of": "versions",
            "Step": "model",
            "Workflow": "model",
            "WHOLE_CONTEXT": "selectors",
            "Workspace": "workspace",
            "input_names": "inputs_schema",
            "load_arazzo": "loader",
            "load_file": "yaml_reader",
            "load_text": "yaml_reader",
            "open_workspace": "workspace",
            "read_capped": "reading",
            "read_stream": "reading",
            "to_url": "sources",
        },
    )
