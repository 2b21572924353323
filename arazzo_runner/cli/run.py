"""``arazzo run``: run one workflow, or every workflow of files and folders, and report them.

One workflow (``arazzo run FILE [-w ID]``): the step list, or ``--json``. Several (``--all``,
a folder, or more than one file): each workflow's lines as it finishes, then a summary table
(``--json``: one list); the exit code is the most serious one among them (2, then 3, then 1).
``--report-json``, ``--junit-xml``, ``--har`` and ``--html`` write report files (this command
is the only place that writes files a user named); they are written even when a run fails or
cannot start.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from arazzo_runner.cli.options import report_paths as report_paths_checked
from arazzo_runner.cli.options import server_urls, unknown_names
from arazzo_runner.cli.pairs import parse_input_pairs, parse_pairs
from arazzo_runner.cli.reports import Reports
from arazzo_runner.cli.run_inputs import read_inputs, run_settings
from arazzo_runner.cli.transport_option import transport_option
from arazzo_runner.errors import ArazzoError, InputError, Interrupted
from arazzo_runner.redact import Redactor
from arazzo_runner.reporting import Outcome, suite_exit_code
from arazzo_runner.results import RunResult, partial_result
from arazzo_runner.settings import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_STEPS

if TYPE_CHECKING:
    from arazzo_runner import Runner
    from arazzo_runner.cli.output import StreamPrinter
    from arazzo_runner.cli.progress import LiveProgress


def _many_wanted(paths: Sequence[str], run_all: bool, workflow_id: str | None) -> bool:
    from arazzo_runner.cli.suite import is_folder

    if any(not p for p in paths):  # '' would mean the current folder to pathlib
        raise InputError("PATH is empty ('')", hint="name an Arazzo file or a folder, e.g. .")
    many = run_all or len(paths) > 1 or any(is_folder(p) for p in paths)
    if many and workflow_id is not None:
        raise InputError(
            "-w/--workflow picks one workflow of one file",
            hint="leave it out to run every workflow (--all, a folder or several files)",
        )
    return many


@click.command("run")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-w", "--workflow", "workflow_id", help="Workflow to run (optional with one).")
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run every workflow of every PATH (implied by a folder or several files).",
)
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
@click.option(
    "--severity",
    "severity_pairs",
    multiple=True,
    metavar="CHECK=LEVEL",
    help="Level of a description check: error, warn or off (e.g. schema=warn, all=off).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--stream", is_flag=True, help="Print SSE events as they arrive.")
@click.option(
    "--until",
    metavar="JMESPATH",
    help="Stop a stream at the first event whose JSON data makes this true (implies --stream).",
)
@click.option("--query", metavar="JMESPATH", help="Apply JMESPath to the JSON result.")
@click.option(
    "--max-steps", default=DEFAULT_MAX_STEPS, show_default=True, help="Global step budget."
)
@click.option("--timeout", type=float, help="Overall deadline for the run, in seconds.")
@click.option(
    "--idle-timeout",
    type=float,
    default=DEFAULT_IDLE_TIMEOUT,
    show_default=True,
    help="Longest silence allowed inside a stream, in seconds (0: no bound).",
)
@click.option("--offline", is_flag=True, help="Never fetch remote source descriptions.")
@click.option(
    "--mock",
    is_flag=True,
    help="Serve every OpenAPI source from its examples on 127.0.0.1 and run against that.",
)
@transport_option
@click.option("--report-json", metavar="PATH", help="Write the --json result to PATH.")
@click.option("--junit-xml", metavar="PATH", help="Write a JUnit XML report to PATH.")
@click.option("--har", metavar="PATH", help="Write every HTTP exchange (HAR 1.2) to PATH.")
@click.option(
    "--html", metavar="PATH", help="Write a self-contained HTML report (timeline, graph) to PATH."
)
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    metavar="N",
    help="Run up to N workflows at once (a run of many; dependsOn still waits).",
)
def command(
    paths: tuple[str, ...],
    workflow_id: str | None,
    run_all: bool,
    input_pairs: tuple[str, ...],
    inputs_path: str | None,
    server_pairs: tuple[str, ...],
    auth_pairs: tuple[str, ...],
    severity_pairs: tuple[str, ...],
    as_json: bool,
    stream: bool,
    until: str | None,
    query: str | None,
    max_steps: int,
    timeout: float | None,
    idle_timeout: float,
    offline: bool,
    mock: bool,
    jobs: int,
    transport: str,
    **report_paths: str | None,
) -> int:
    """Run a workflow of PATH, or (--all, a folder, several files) every workflow.

    Exit 0 passed, 1 failed, 2 invalid document or inputs, 3 could not run.
    """
    from arazzo_runner import Runner
    from arazzo_runner.cli.jmespath_options import compile_option
    from arazzo_runner.cli.output import cli_redactor

    until_expression = compile_option(until, "--until")
    query_expression = compile_option(query, "--query")
    stream = stream or until_expression is not None
    many = _many_wanted(paths, run_all, workflow_id)
    if jobs != 1:
        from arazzo_runner.cli.parallel import check_jobs

        check_jobs(jobs, stream=stream, har=report_paths.get("har"), html=report_paths.get("html"))
    inputs = {**read_inputs(inputs_path), **parse_input_pairs(input_pairs)}  # -i wins
    auth = parse_pairs(
        auth_pairs,
        "--auth",
        "SCHEME=VALUE",
        secret=True,
        hint="SCHEME is a key of components.securitySchemes",
    )
    redactor = cli_redactor(auth, os.environ)
    quiet = as_json or query_expression is not None or jobs > 1  # --jobs: lines in order only
    progress = _live_progress(quiet, many, redactor)
    printer = _printer(as_json, until_expression, redactor, progress)
    reports = Reports(report_paths_checked(report_paths), redactor)
    client = reports.client(progress)
    runner = Runner(
        servers=server_urls(parse_pairs(server_pairs, "-S/--server", "SOURCE=URL")),
        auth=auth,
        settings=run_settings(timeout=timeout, idle_timeout=idle_timeout, max_steps=max_steps),
        offline=offline,
        stream_consumer=printer if stream else None,
        client=client,
        redactor=redactor,
        excerpts=reports.html_path is not None,  # only the HTML report shows them
        listener=progress,
        severity=severity_pairs,
        transport=transport,
    )
    session = _Session(
        runner, inputs, mock, reports, printer, as_json, query_expression, stream, redactor, jobs
    )
    try:
        # WebSocket connections are reused from one workflow to the next inside `with runner`
        with runner, progress if progress is not None else contextlib.nullcontext():
            return _run_many(session, paths) if many else _run_one(session, paths[0], workflow_id)
    finally:
        if client is not None:
            client.close()


def _printer(
    as_json: bool, until: Any, redactor: Redactor, progress: LiveProgress | None
) -> StreamPrinter:
    """The ``--stream`` printer; on a terminal it clears the status line before each event."""
    from arazzo_runner.cli.output import StreamPrinter

    return StreamPrinter(as_json=as_json, until=until, redactor=redactor, status=progress)


def _live_progress(quiet: bool, many: bool, redactor: Redactor) -> LiveProgress | None:
    """A status line per running step when stderr is a terminal, never with ``--json`` or
    ``--query``: pipes and logs get nothing, and do not import it. One workflow whose stdout
    is the terminal too gets each step's final line in place of its status line."""
    if quiet or not sys.stderr.isatty():
        return None
    from arazzo_runner.cli import _visible
    from arazzo_runner.cli.progress import LiveProgress, raw_terminal

    final = not many and sys.stdout.isatty()
    return LiveProgress(raw_terminal(sys.stderr), redactor, final_lines=final, visible=_visible)


@dataclass(frozen=True)
class _Session:
    """One ``arazzo run`` invocation: the runner, its inputs, reports and how to show results."""

    runner: Runner
    inputs: dict[str, Any]
    mock: bool
    reports: Reports
    printer: StreamPrinter
    as_json: bool
    query: Any  # compiled JMESPath, or None
    streamed: bool
    redactor: Redactor
    jobs: int = 1

    @property
    def progress(self) -> LiveProgress | None:
        """The live status lines (a terminal only); the printer clears them for its lines."""
        status: LiveProgress | None = self.printer.status
        return status

    def interrupted(self) -> int:
        count = self.printer.count
        click.echo(f"interrupted after {count} event(s); connection closed", err=True)
        return 130


def _run_one(session: _Session, file: str, workflow_id: str | None) -> int:
    from arazzo_runner.cli.output import print_result

    reports = session.reports
    reports.begin(f"{file}#{workflow_id}" if workflow_id else file)
    with _Heap() as heap:
        try:
            result = _load_and_run(session, file, workflow_id, heap)
        except KeyboardInterrupt as interrupt:
            return _interrupted(session, file, workflow_id, partial_result(interrupt))
        except ArazzoError as exc:
            reports.write([Outcome(file, workflow_id, error=exc)], many=False)
            raise
        redactor = session.redactor
        print_result(
            result,
            as_json=session.as_json,
            query=session.query,
            redactor=redactor,
            streamed=session.streamed,
            shown=session.progress,
        )
        if not session.as_json and result.error:
            click.echo(redactor.redact_text(f"error: {result.error}"), err=True)
        reports.name(f"{file}#{result.workflow_id}")
        reports.write([Outcome(file, result.workflow_id, result=result)], many=False)
        return result.exit_code


def _load_and_run(session: _Session, file: str, workflow_id: str | None, heap: _Heap) -> RunResult:
    from arazzo_runner.cli.suite import mocked

    runner = session.runner
    with heap.paused():
        workspace = runner.load(file)
    heap.freeze()
    for line in unknown_names(workspace, runner.servers, runner.auth):
        click.echo(session.redactor.redact_text(f"warning: {line}"), err=True)
    if not session.mock:
        return runner.run(workspace, workflow_id, session.inputs)
    with mocked(runner, workspace):
        return runner.run(workspace, workflow_id, session.inputs)


class _Heap:
    """Keeps the garbage collector off the loaded document, while it loads and while it runs.

    Loading builds many containers that all survive (and hold no cycles), so collections in
    the meantime walk everything alive and find nothing: :meth:`paused` switches the collector
    off for the load (back on after, if it was on). Every full collection walks every object;
    the document and its sources are most of them, and they live until the run ends.
    :meth:`freeze` (after loading) moves what exists into the collector's permanent generation
    (``gc.freeze``), leaving the run's own objects to it; leaving the block gives everything
    back (``gc.unfreeze``). Nothing is frozen when someone else (an embedding process) has
    frozen objects already: theirs are never given back here. This is the command's choice as
    the process's owner; the library itself never changes the collector.
    """

    def __init__(self) -> None:
        self.frozen = False

    def __enter__(self) -> _Heap:
        return self

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()

    def freeze(self) -> None:
        if not self.frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            self.frozen = True

    def __exit__(self, *exc_info: object) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = False


def _interrupted(
    session: _Session, file: str, workflow_id: str | None, partial: RunResult | None
) -> int:
    """Ctrl-C / SIGTERM: the steps run so far (printed and in the reports), then exit 130."""
    from arazzo_runner.cli.output import print_result

    if partial is None:
        stopped = Interrupted("interrupted before the workflow finished")
        session.reports.write([Outcome(file, workflow_id, error=stopped)], many=False)
        return session.interrupted()
    print_result(
        partial,
        as_json=session.as_json,
        query=session.query,
        redactor=session.redactor,
        streamed=session.streamed,
        shown=session.progress,
    )
    session.reports.write([Outcome(file, partial.workflow_id, result=partial)], many=False)
    return session.interrupted()


def _run_many(session: _Session, paths: Sequence[str]) -> int:
    from arazzo_runner.cli.output import print_outcomes, print_progress
    from arazzo_runner.cli.suite import arazzo_files, run_many

    files = arazzo_files(paths)
    done: list[Outcome] = []
    quiet = session.as_json or session.query is not None

    def progress(outcome: Outcome) -> None:
        if not quiet:
            print_progress(outcome, session.redactor)

    reports = session.reports
    try:
        if session.jobs > 1:
            from arazzo_runner.cli.parallel import run_parallel

            run_parallel(
                session.runner,
                files,
                session.inputs,
                mock=session.mock,
                jobs=session.jobs,
                progress=progress,
                done=done,
            )
        else:
            run_many(
                session.runner,
                files,
                session.inputs,
                mock=session.mock,
                begin=reports.begin,
                progress=progress,
                done=done,
            )
    except KeyboardInterrupt:
        reports.write(done, many=True)
        return session.interrupted()
    print_outcomes(done, as_json=session.as_json, query=session.query, redactor=session.redactor)
    reports.write(done, many=True)
    return suite_exit_code(done)
