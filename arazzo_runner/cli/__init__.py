"""The ``arazzo`` command line: the only place that prints or exits.

Subcommands live in ``arazzo_runner/cli/<name>.py`` and are imported only when they run,
so ``arazzo --help`` stays fast (no HTTP, OpenAPI or JSON Schema machinery at start-up). Each
command module exposes ``command: click.Command``; its one-line help is in :data:`COMMANDS` so
listing commands imports nothing.

Exit codes: 0 success, 1 the workflow ran and failed, 2 invalid document or inputs, 3 could not
run (network, timeout, credentials), 130 interrupted (SIGINT), 143 terminated (SIGTERM). They
come from the exception classes in :mod:`arazzo_runner.errors`; this module turns an exception
into one line on stderr. SIGTERM is handled like SIGINT: the stack unwinds (connections close,
the command reports what it has) and only the exit code differs.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any, TextIO

import click

from arazzo_runner import __version__
from arazzo_runner.cli.pairs import input_value, parse_input_pairs, parse_pairs
from arazzo_runner.errors import ArazzoError, Terminated

__all__ = ["COMMANDS", "input_value", "main", "parse_input_pairs", "parse_pairs"]

COMMANDS: dict[str, str] = {
    "validate": "Check Arazzo files: structure, references, expressions.",
    "list": "List the workflows in an Arazzo file with their inputs.",
    "run": "Run a workflow against its APIs (or a local mock).",
    "mock": "Serve an OpenAPI description's examples on 127.0.0.1.",
    "load": "Run a workflow for many users on Locust; stats per step.",
    "graph": "Draw a document's workflows (Mermaid, Graphviz dot, SVG).",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _module_exists(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _module_exists(cmd_name):
            return None
        module = importlib.import_module(f"arazzo_runner.cli.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"arazzo_runner.cli.{name}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="arazzo")
def cli() -> None:
    """Run and validate Arazzo 1.0.x and 1.1.x workflows.

    Exit codes: 0 ok, 1 workflow failed, 2 invalid document or inputs,
    3 could not run (network, timeout, credentials), 130 interrupted, 143 terminated.
    """


class _SignalGuard:
    """While a command runs, SIGINT and SIGTERM unwind the stack the same way, once.

    The first signal raises (``KeyboardInterrupt``, or :class:`Terminated` for SIGTERM, which
    is remembered for the exit code); any later one, of either kind, is ignored while the
    command cleans up, so a second Ctrl-C cannot cut the reports short (they are written
    whole or not at all, see ``cli.run``). The clean-up is bounded: closing connections and
    writing files.
    """

    def __init__(self) -> None:
        self.terminated = False
        self.stopping = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, previous in self._previous.items():
            # once stopping, the process only exits: a late signal must not kill it on the
            # way out (the interpreter's default would, and the exit code would be lost)
            signal.signal(signum, signal.SIG_IGN if self.stopping else previous)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:  # a second signal while cleaning up: let the clean-up finish
            return
        self.stopping = True
        if signum == signal.SIGTERM:
            self.terminated = True
            raise Terminated()
        raise KeyboardInterrupt

    def code(self, code: int) -> int:
        """130 becomes 143 (128 + SIGTERM) when it was SIGTERM that interrupted the command."""
        return 128 + signal.SIGTERM if code == 130 and self.terminated else code


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The ASCII part of _CONTROL, as bytes to delete: an ASCII text is clean when none is deleted.
_ASCII_CONTROL = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x7F else f"\\u{code:04x}"


def _visible(text: str) -> str:
    """Control characters (but newline and tab) as text: ASCII ones as ``\\xNN``, DEL and the
    C1 range (U+007F to U+009F) as ``\\u00NN``. JSON output escapes the ASCII ones itself but
    writes DEL and C1 as they are, inside strings; ``\\u00NN`` is the same character in JSON,
    so what ``--json`` prints stays JSON (``\\x85`` is not a JSON escape)."""
    if text.isascii():  # the common case, checked in C, about 3x faster than isprintable()
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROL)) == len(raw):
            return text
    elif text.isprintable() or (text[-1:] == "\n" and text[:-1].isprintable()):
        return text  # no control character at all
    return _CONTROL.sub(_shown, text)


class _SafeText(io.TextIOBase):
    """A text stream that shows control characters instead of sending them to the terminal.

    Documents and servers are untrusted: an ``ESC`` sequence in a workflow id, a source URL or
    an event's data would otherwise reach the terminal (clear the screen, set the title, hide
    a line). JSON output is unaffected: JSON already escapes them.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(_visible(text))  # bytes raise TypeError: click then treats us as text
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def raw_stream(self) -> TextIO:
        """The stream underneath: the live progress writes its own control sequences there."""
        return self._stream

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._stream, "errors", None)


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeText(sys.stdout), _SafeText(sys.stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``arazzo`` script: always ends the process with the documented code.

    Exceptions become one stderr line; a command's integer return value is its exit code.
    SIGINT and SIGTERM both stop the command the same way (open connections are closed, what
    was already printed stays); the exit code is 130 for SIGINT and 143 for SIGTERM. Control
    characters in anything printed are shown as ``\\xNN`` (see :class:`_SafeText`).
    """
    with _SignalGuard() as guard, _safe_output():
        code = _run(argv)
    sys.exit(guard.code(code))


def _run(argv: list[str] | None) -> int:
    try:
        code = cli.main(args=argv, prog_name="arazzo", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:  # a bad option value: one line that names the option
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2 if exc.exit_code == 2 else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return 130
    except ArazzoError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
