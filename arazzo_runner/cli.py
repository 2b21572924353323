"""The ``arazzo`` command line: the only place that prints or exits.

Subcommands live in ``arazzo_runner/commands/<name>.py`` and are imported only when they run,
so ``arazzo --help`` stays fast (no HTTP, OpenAPI or JSON Schema machinery at start-up). Each
command module exposes ``command: click.Command``; its one-line help is in :data:`COMMANDS` so
listing commands imports nothing.

Exit codes: 0 success, 1 the workflow ran and failed, 2 invalid document or inputs, 3 could not
run (network, timeout, credentials), 130 interrupted. They come from the exception classes in
:mod:`arazzo_runner.errors`; this module turns an exception into one line on stderr.
"""

from __future__ import annotations

import importlib
import sys

import click

from . import __version__
from .errors import ArazzoError

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, str] = {
    "validate": "Check Arazzo files: structure, references, expressions.",
    "list": "List the workflows in an Arazzo file with their inputs.",
    "run": "Run a workflow against its APIs (or a local mock).",
    "mock": "Serve an OpenAPI description's examples on 127.0.0.1.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _module_exists(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _module_exists(cmd_name):
            return None
        module = importlib.import_module(f"arazzo_runner.commands.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"arazzo_runner.commands.{name}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="arazzo")
def cli() -> None:
    """Run and validate Arazzo 1.0.x workflows.

    Exit codes: 0 ok, 1 workflow failed, 2 invalid document or inputs,
    3 could not run (network, timeout, credentials), 130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``arazzo`` script: always ends the process with the documented code.

    Exceptions become one stderr line; a command's integer return value is its exit code.
    """
    try:
        code = cli.main(args=argv, prog_name="arazzo", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except click.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except ArazzoError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
