"""``arazzo mock``: serve an OpenAPI description's examples (SSE included) until Ctrl-C."""

from __future__ import annotations

import signal
import threading

import click

from ..errors import InputError


@click.command("mock")
@click.argument("description", metavar="DESCRIPTION")
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the first server (0 = any free port); further sources use the next ones.",
)
def command(description: str, port: int) -> int:
    """Serve DESCRIPTION (an OpenAPI file, or an Arazzo file: each of its OpenAPI sources).

    Requests are validated against the description (422 with a `detail` list when they do not
    match); answers are the lowest 2xx response's example, or data generated from its schema.
    Runs until Ctrl-C (or SIGTERM), then stops the servers and exits 0.
    """
    try:
        from ..mock import load_indexes, serve_indexes
    except ImportError as exc:
        raise InputError(
            f"arazzo mock needs the mock extra ({exc.name} is not installed)",
            hint="pip install 'arazzo-runner[mock]'",
        ) from exc
    indexes = load_indexes(description)
    if not indexes:
        click.echo("nothing to mock: no OpenAPI source description", err=True)
        return 2
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        with serve_indexes(indexes, port=port) as urls:
            for name, url in urls.items():
                click.echo(f"{name} -> {url}")
            click.echo("serving; press Ctrl-C to stop", err=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass  # Ctrl-C is how this command ends; the servers are stopped on the way out
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("stopped", err=True)
    return 0
