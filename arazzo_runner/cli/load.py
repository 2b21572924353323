"""``arazzo load``: run a workflow for many virtual users on Locust, and report per step.

Built on Locust as a library (:mod:`arazzo_runner.loadtest`, the ``load`` extra): each virtual user
runs the workflow in a loop, every step is a Locust request named ``workflowId/stepId``, and
streaming steps add their time to first byte (``TTFB``) and first event (``TTFE``). Headless
by default; ``--master``/``--worker`` use Locust's own master/worker protocol and flag names;
``--csv PREFIX`` and ``--html PATH`` are Locust's reports. Locust is imported only when this
command runs, never for ``arazzo --help`` or ``arazzo load --help``.

Exit codes: 0 every request passed, 1 some step failed, 2 invalid document, inputs or options,
3 could not run (no worker connected, or not one iteration finished), 130/143 interrupted.
"""

from __future__ import annotations

import os
import re
from typing import Any

import click

from arazzo_runner.cli.transport_option import transport_option
from arazzo_runner.errors import InputError, RunError

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str | None, option: str) -> float | None:
    """``30s``, ``2m``, ``1h30m``, ``90`` (seconds) -> seconds; ``None`` stays ``None``."""
    if text is None:
        return None
    found = _DURATION.match(text.strip())
    if not text.strip() or found is None:
        raise InputError(f"{option} {text!r} is not a duration", hint="e.g. 30s, 2m, 1h30m")
    hours, minutes, seconds = found.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    if total <= 0:
        raise InputError(f"{option} must be more than 0 seconds, got {text!r}")
    return total


def _role(master: bool, worker: bool) -> str:
    if master and worker:
        raise InputError("--master and --worker exclude each other")
    return "master" if master else "worker" if worker else "local"


def _import_load() -> Any:
    try:
        import arazzo_runner.loadtest as load

        load.ArazzoUser  # noqa: B018 - the face is lazy: this imports Locust
    except ImportError as exc:
        raise InputError(
            f"arazzo load needs the load extra ({exc.name} is not installed)",
            hint="pip install 'arazzo-runner[load]'",
        ) from exc
    return load


def _checked(path: str, workflow_id: str | None, inputs: dict[str, Any], offline: bool) -> str:
    """Load and validate the document (for every user of this process), check the inputs
    once: exit 2 before any user starts."""
    from arazzo_runner.loadtest import loaded
    from arazzo_runner.validation import check_inputs

    workspace = loaded(path, offline)
    document = workspace.root
    assert document is not None  # load() refuses a workspace without one
    ids = [w.workflow_id for w in document.workflows]
    if workflow_id is None and len(ids) != 1:
        raise InputError(
            f"the file has {len(ids)} workflows; choose one with -w/--workflow",
            hint="one of: " + ", ".join(ids),
        )
    chosen = workflow_id or ids[0]
    workflow = document.workflow(chosen)
    if workflow is None:
        raise InputError(f"no workflow {chosen!r}", hint="one of: " + ", ".join(ids))
    check_inputs(document, workflow, dict(inputs))
    return chosen


@click.command("load")
@click.argument("path", metavar="WORKFLOW")
@click.option("-w", "--workflow", "workflow_id", help="Workflow to run (optional with one).")
@click.option(
    "-u",
    "--users",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Virtual users at the peak.",
)
@click.option(
    "-r",
    "--spawn-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Users started per second.",
)
@click.option(
    "-t",
    "--run-time",
    metavar="DURATION",
    help="Stop after this long (30s, 2m, 1h30m); default: until Ctrl-C.",
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
@click.option("--timeout", type=float, help="Deadline of each workflow run, in seconds.")
@click.option(
    "--idle-timeout",
    type=float,
    default=15.0,
    show_default=True,
    help="Longest silence allowed inside a stream, in seconds.",
)
@click.option("--offline", is_flag=True, help="Never fetch remote source descriptions.")
@transport_option
@click.option("--master", is_flag=True, help="Drive workers (Locust's master/worker protocol).")
@click.option(
    "--expect-workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --master: wait for this many workers before starting.",
)
@click.option(
    "--master-bind-host",
    default="*",
    show_default=True,
    help="With --master: the interface workers connect to.",
)
@click.option(
    "--master-bind-port",
    type=int,
    default=5557,
    show_default=True,
    help="With --master: the port workers connect to.",
)
@click.option("--worker", is_flag=True, help="Run users for a master.")
@click.option(
    "--master-host",
    default="127.0.0.1",
    show_default=True,
    help="With --worker: the master's host.",
)
@click.option(
    "--master-port",
    type=int,
    default=5557,
    show_default=True,
    help="With --worker: the master's port.",
)
@click.option("--csv", "csv_prefix", metavar="PREFIX", help="Write Locust's CSV stats files.")
@click.option("--html", "html_path", metavar="PATH", help="Write Locust's HTML report.")
def command(**options: Any) -> int:
    """Run a workflow of WORKFLOW for many users on Locust; stats per step.

    Exit 0 every step passed, 1 some step failed, 2 invalid document, inputs or options,
    3 could not run.
    """
    role = _role(options["master"], options["worker"])
    run_time = parse_duration(options["run_time"], "--run-time")
    load = _import_load()  # Locust (and gevent's patching) before httpx and ssl are imported
    from arazzo_runner.cli.output import cli_redactor

    user, auth = _user_class(load.ArazzoUser, options)
    plan = load.LoadPlan(
        users=options["users"],
        spawn_rate=options["spawn_rate"],
        run_time=run_time,
        role=role,
        expect_workers=options["expect_workers"],
        master_bind_host=options["master_bind_host"],
        master_bind_port=options["master_bind_port"],
        master_host=options["master_host"],
        master_port=options["master_port"],
        csv_prefix=options["csv_prefix"],
        html_path=options["html_path"],
    )
    summary = load.run_session(user, plan)
    return _report(summary, role, cli_redactor(auth, os.environ))


def _user_class(base: type, options: dict[str, Any]) -> tuple[type, dict[str, str]]:
    """The ``ArazzoUser`` subclass for this command line (document and inputs checked first),
    and the credentials it was given."""
    from arazzo_runner.cli.pairs import parse_input_pairs, parse_pairs
    from arazzo_runner.cli.run_inputs import read_inputs

    inputs = {**read_inputs(options["inputs_path"]), **parse_input_pairs(options["input_pairs"])}
    auth = parse_pairs(options["auth_pairs"], "--auth", "SCHEME=VALUE", secret=True)
    path = options["path"]
    workflow_id = _checked(path, options["workflow_id"], inputs, options["offline"])
    settings = {
        "idle_timeout": options["idle_timeout"],
        "offline": options["offline"],
        "transport": options["transport"],
    }
    if options["timeout"] is not None:
        settings["timeout"] = options["timeout"]
    attributes = {
        "abstract": False,
        "workflow_file": path,
        "workflow_id": workflow_id,
        "inputs": inputs,
        "servers": parse_pairs(options["server_pairs"], "-S/--server", "SOURCE=URL"),
        "auth": auth,
        "settings": settings,
    }
    return type("WorkflowUser", (base,), attributes), auth


def _report(summary: Any, role: str, redactor: Any) -> int:
    for line in summary.lines:
        click.echo(redactor.redact_text(line))
    counts = f"{summary.requests} request(s), {summary.failures} failed"
    click.echo(f"{role}: {counts}", err=role != "worker")
    if summary.interrupted:
        click.echo("interrupted", err=True)
        return 130
    if summary.problem is not None:
        raise RunError(summary.problem)
    if summary.requests == 0 and role != "worker":
        raise RunError("no step finished in the time given", hint="raise --run-time")
    return 1 if summary.failures else 0
