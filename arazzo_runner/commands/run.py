"""``arazzo run``: run one workflow and report it (terminal, or ``--json``), streaming included."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import InputError


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise InputError(f"{what} {value!r} is not NAME=VALUE")
        result[name] = rest
    return result


def _read_inputs(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    from .._yaml import load_file, load_text

    located = load_text(sys.stdin.read(), "<stdin>") if path == "-" else load_file(path)
    if not isinstance(located.data, dict):
        raise InputError("--inputs must hold a JSON or YAML object", file=path)
    return dict(located.data)


def _run_mocked(runner: Any, file: str, workflow_id: str | None, inputs: dict[str, Any]) -> Any:
    """Run against in-process mocks of every OpenAPI source (needs the ``mock`` extra).

    ``--server`` still wins for a source it names; the mock checks no credentials, so
    placeholders stand in for real ones, which are never sent to it.
    """
    try:
        from ..mock import mock_credentials, start_mocks
    except ImportError as exc:
        raise InputError(
            f"--mock needs the mock extra ({exc.name} is not installed)",
            hint="pip install 'arazzo-runner[mock]'",
        ) from exc
    workspace = runner.load(file)
    with start_mocks(workspace) as urls:
        runner.servers = {**urls, **runner.servers}
        runner.auth = {**mock_credentials(workspace), **runner.auth}
        return runner.run(workspace, workflow_id, inputs)


@click.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-w", "--workflow", "workflow_id", help="Workflow to run (optional with one).")
@click.option(
    "-i",
    "--input",
    "input_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input; VALUE is JSON when it parses, else a string.",
)
@click.option("--inputs", "inputs_path", metavar="PATH|-", help="Inputs from a JSON/YAML file.")
@click.option(
    "-S",
    "--server",
    "server_pairs",
    multiple=True,
    metavar="SOURCE=URL",
    help="Send a source description's operations to another base URL.",
)
@click.option(
    "--auth",
    "auth_pairs",
    multiple=True,
    metavar="SCHEME=VALUE",
    help="A credential for an OpenAPI security scheme.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--stream", is_flag=True, help="Print SSE events as they arrive.")
@click.option("--until", metavar="JMESPATH", help="Stop a stream when this is true on an event.")
@click.option("--query", metavar="JMESPATH", help="Apply JMESPath to the JSON result.")
@click.option("--max-steps", default=1000, show_default=True, help="Global step budget.")
@click.option("--timeout", type=float, help="Overall deadline for the run, in seconds.")
@click.option(
    "--idle-timeout",
    type=float,
    default=15.0,
    show_default=True,
    help="Longest silence allowed inside a stream, in seconds.",
)
@click.option("--offline", is_flag=True, help="Never fetch remote source descriptions.")
@click.option(
    "--mock",
    is_flag=True,
    help="Serve every OpenAPI source from its examples on 127.0.0.1 and run against that.",
)
def command(
    file: str,
    workflow_id: str | None,
    input_pairs: tuple[str, ...],
    inputs_path: str | None,
    server_pairs: tuple[str, ...],
    auth_pairs: tuple[str, ...],
    as_json: bool,
    stream: bool,
    until: str | None,
    query: str | None,
    max_steps: int,
    timeout: float | None,
    idle_timeout: float,
    offline: bool,
    mock: bool,
) -> int:
    """Run a workflow from FILE. Exit 0 passed, 1 failed, 2 bad input, 3 could not run."""
    from ..inputs import parse_input_pairs
    from ..runner import Runner
    from ._output import StreamPrinter, print_result

    inputs = _read_inputs(inputs_path)
    inputs.update(parse_input_pairs(input_pairs))
    auth = _pairs(auth_pairs, "--auth")
    printer = StreamPrinter(as_json=as_json, until=until, secrets=list(auth.values()))
    runner = Runner(
        servers=_pairs(server_pairs, "--server"),
        auth=auth,
        max_steps=max_steps,
        timeout=timeout,
        offline=offline,
        stream_consumer=printer if stream else None,
        idle_timeout=idle_timeout,
    )
    try:
        result = (
            _run_mocked(runner, file, workflow_id, inputs)
            if mock
            else runner.run(file, workflow_id, inputs)
        )
    except KeyboardInterrupt:
        click.echo(f"interrupted after {printer.count} event(s); connection closed", err=True)
        return 130
    print_result(result, as_json=as_json, query=query, secrets=list(auth.values()), streamed=stream)
    if not as_json and result.error:
        click.echo(f"error: {result.error}", err=True)
    return result.exit_code
