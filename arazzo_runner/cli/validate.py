"""``arazzo validate FILE...``: structure, references and expressions, for people and CI.

Exit status: 0 when every file is valid (warnings are allowed unless ``--strict``), 2 when any
file has an error. A missing file, a directory or broken YAML is a diagnostic, not a crash.
"""

from __future__ import annotations

import click

from arazzo_runner.diagnostics import Diagnostic, Severity
from arazzo_runner.errors import ValidationFailed
from arazzo_runner.reporting import FORMATS, render
from arazzo_runner.validation import validate_path

__all__ = ["command"]


def _fails(diagnostics: list[Diagnostic], strict: bool) -> bool:
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(d.severity in failing for d in diagnostics)


@click.command("validate")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="text for people; json, github (Actions annotations) or junit for CI.",
)
@click.option("--offline", is_flag=True, help="Do not fetch http(s) sources (they are warned).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 2).")
def command(files: tuple[str, ...], fmt: str, offline: bool, strict: bool) -> None:
    """Check Arazzo files: structure, references, operations, expressions."""
    results = {name: validate_path(name, offline=offline) for name in files}
    click.echo(render(fmt, results, strict=strict), nl=False)
    failed = [name for name, diagnostics in results.items() if _fails(diagnostics, strict)]
    if failed:
        listed = ", ".join(failed)
        found = [d for name in failed for d in results[name]]
        raise ValidationFailed(f"{len(failed)} of {len(files)} file(s) failed: {listed}", found)
