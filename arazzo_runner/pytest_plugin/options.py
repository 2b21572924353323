"""The pytest plugin's settings: command-line options and ini keys, read once per session.

Inputs, weakest first: the per-file inputs file (``<name>.inputs.yaml`` beside a workflow file),
ini ``arazzo_inputs``, ``--arazzo-input``; inside each, ``WORKFLOW.NAME=VALUE`` (WORKFLOW a
workflowId of the file) beats ``NAME=VALUE``. Plain ``NAME=VALUE`` inputs go to every
workflow whose ``inputs`` schema lists ``NAME`` under ``properties`` (or lists no properties),
so a shared input never breaks a workflow with ``additionalProperties: false``.
``--arazzo-server`` beats ``arazzo_servers`` for the same source name.
"""

from __future__ import annotations

__all__ = ["SETTINGS", "Settings", "add_options", "inputs_file", "matches", "read_inputs_file"]

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import InputError

INPUT_SUFFIXES = (".inputs.yaml", ".inputs.yml", ".inputs.json")
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")
TRANSPORT_NAMES = ("http", "websocket")  # Runner(transport=...): a test keeps the lists equal


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("arazzo", "Arazzo workflows (arazzo-runner)")
    group.addoption(
        "--arazzo-server",
        action="append",
        default=[],
        metavar="SOURCE=URL",
        help="send a source description's operations to URL (repeatable)",
    )
    group.addoption(
        "--arazzo-input",
        action="append",
        default=[],
        metavar="[WORKFLOW.]NAME=VALUE",
        help="a workflow input; VALUE is JSON when it parses as JSON (repeatable)",
    )
    group.addoption(
        "--arazzo-auth",
        action="append",
        default=[],
        metavar="SCHEME=VALUE",
        help="a credential for a security scheme (repeatable; never shown in reports)",
    )
    group.addoption(
        "--arazzo-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="overall deadline of each collected workflow run",
    )
    group.addoption(
        "--arazzo-severity",
        action="append",
        default=[],
        metavar="CHECK=LEVEL",
        help="level of a description check: error, warn or off (repeatable; e.g. schema=warn)",
    )
    group.addoption(
        "--arazzo-mock",
        action="store_true",
        default=None,
        help="run every collected workflow against mocks of its sources (one set per process)",
    )
    group.addoption(
        "--arazzo-transport",
        choices=TRANSPORT_NAMES,
        default="http",
        help="how POST steps are carried: http, or websocket (fal's HTTP over WebSockets)",
    )
    parser.addini(
        "arazzo_files",
        type="linelist",
        default=[],
        help="globs of Arazzo files to collect as tests, e.g. *.arazzo.yaml or workflows/*.yaml",
    )
    parser.addini("arazzo_servers", type="linelist", default=[], help="SOURCE=URL lines")
    parser.addini("arazzo_inputs", type="linelist", default=[], help="[WORKFLOW.]NAME=VALUE lines")
    parser.addini("arazzo_timeout", default="", help="overall deadline of each workflow run (s)")
    parser.addini("arazzo_severity", type="linelist", default=[], help="CHECK=LEVEL lines")
    parser.addini("arazzo_mock", type="bool", default=False, help="like --arazzo-mock")


def _pairs(lines: Iterable[str], what: str, example: str) -> list[tuple[str, str]]:
    from arazzo_runner.cli import parse_pairs

    try:
        return list(parse_pairs(lines, what, example).items())
    except InputError as exc:
        raise pytest.UsageError(exc.message) from None


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told, parsed."""

    globs: tuple[str, ...] = ()
    servers: Mapping[str, str] = field(default_factory=dict)
    auth: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[tuple[tuple[str, Any], ...], ...] = ()  # layers: ini, then command line
    timeout: float | None = None
    severity: tuple[str, ...] = ()  # CHECK=LEVEL: ini lines, then the options (later wins)
    mock: bool = False
    transport: str = "http"

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        from arazzo_runner.cli import input_value

        servers = dict(_pairs(config.getini("arazzo_servers"), "arazzo_servers", "SOURCE=URL"))
        servers.update(_pairs(config.getoption("arazzo_server"), "--arazzo-server", "SOURCE=URL"))
        layers = tuple(
            tuple((k, input_value(v)) for k, v in _pairs(lines, what, "[WORKFLOW.]NAME=VALUE"))
            for lines, what in (
                (config.getini("arazzo_inputs"), "arazzo_inputs"),
                (config.getoption("arazzo_input"), "--arazzo-input"),
            )
        )
        auth = dict(_pairs(config.getoption("arazzo_auth"), "--arazzo-auth", "SCHEME=VALUE"))
        timeout = config.getoption("arazzo_timeout")
        if timeout is None and config.getini("arazzo_timeout"):
            try:
                timeout = float(config.getini("arazzo_timeout"))
            except ValueError:
                raise pytest.UsageError("arazzo_timeout must be a number of seconds") from None
        severity = (*config.getini("arazzo_severity"), *config.getoption("arazzo_severity"))
        _check_severity(severity)
        mock = config.getoption("arazzo_mock")
        mock = bool(config.getini("arazzo_mock")) if mock is None else mock
        files = tuple(config.getini("arazzo_files"))
        transport = config.getoption("arazzo_transport")
        return cls(files, servers, auth, layers, timeout, severity, mock, transport)

    def inputs_for(
        self, workflow_id: str, schema: Any, workflow_ids: Iterable[str], base: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One workflow's inputs: ``base`` (its inputs file), then each layer (ini, options).

        In a layer, ``WORKFLOW.NAME`` (WORKFLOW one of ``workflow_ids``) beats ``NAME``.
        """
        ids = set(workflow_ids)
        names = schema.get("properties") if isinstance(schema, Mapping) else None
        values = dict(base)
        for layer in self.inputs:
            specific = {}
            for key, value in layer:
                target, dot, name = key.partition(".")
                if dot and target in ids:
                    if target == workflow_id:
                        specific[name] = value
                elif not isinstance(names, Mapping) or key in names:
                    values[key] = value
            values.update(specific)
        return values


def _check_severity(pairs: Iterable[str]) -> None:
    """Bad ``CHECK=LEVEL`` settings stop the session with one line naming the setting."""
    from arazzo_runner.validation.contract import parse_severity

    try:
        parse_severity(pairs, option="--arazzo-severity/arazzo_severity")
    except InputError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise pytest.UsageError(f"{exc.message}{hint}") from None


SETTINGS = pytest.StashKey[Settings]()


def matches(path: Path, rootdir: Path, globs: Iterable[str]) -> bool:
    """``path`` matches a glob: by file name when the glob has no ``/``, else by its path
    relative to ``rootdir`` (``*`` also crosses ``/``; a leading ``**/`` may match nothing)."""
    if not path.name.endswith(DOCUMENT_SUFFIXES) or path.name.endswith(INPUT_SUFFIXES):
        return False
    try:
        relative = path.relative_to(rootdir).as_posix()
    except ValueError:
        relative = path.as_posix()
    for glob in globs:
        if "/" not in glob:
            if fnmatch.fnmatchcase(path.name, glob):
                return True
        elif fnmatch.fnmatchcase(relative, glob) or (
            glob.startswith("**/") and fnmatch.fnmatchcase(relative, glob[3:])
        ):
            return True
    return False


def inputs_file(path: Path) -> Path | None:
    """The per-file inputs beside ``path``: ``petstore.arazzo.yaml`` ->
    ``petstore.arazzo.inputs.yaml`` (or ``.inputs.yml``/``.inputs.json``), if it exists."""
    stem = path.name.rsplit(".", 1)[0]
    for suffix in INPUT_SUFFIXES:
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def read_inputs_file(path: Path) -> dict[str, dict[str, Any]]:
    """``{workflowId: {name: value}}`` from an inputs file (YAML 1.2 or JSON, located errors).

    The one import below the facade: the located YAML 1.2 reader has no public name.
    """
    from arazzo_runner.document import load_file

    located = load_file(path)
    data = located.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            "an inputs file maps workflow ids to objects of inputs",
            file=str(path),
            line=1,
            hint="e.g. `login-list-get: {username: alice}`",
        )
    for workflow_id, values in data.items():
        if not isinstance(values, dict):
            loc = located.locate((workflow_id,))
            raise InputError(
                f"the inputs of workflow {workflow_id!r} are not an object",
                file=str(path),
                line=loc.line,
                column=loc.column,
                hint="write NAME: VALUE pairs under the workflow id",
            )
    return data
