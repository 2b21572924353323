"""``arazzo mock``: serve an OpenAPI description's examples (SSE included), or an AsyncAPI 3.0
document's WebSocket channels, until Ctrl-C."""

from __future__ import annotations

import time

import click

from arazzo_runner.errors import InputError


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
    """Serve DESCRIPTION (an OpenAPI or AsyncAPI 3.0 file, or an Arazzo file's sources).

    Requests are validated against the description (422 with a `detail` list when they do not
    match); answers are the lowest 2xx response's example, or data generated from its schema.
    Runs until Ctrl-C (or SIGTERM), then stops the servers and exits 0.
    """
    try:
        from arazzo_runner.mock import load_asyncapi, load_indexes, serve_asyncapi, serve_indexes
    except ImportError as exc:
        raise InputError(
            f"arazzo mock needs the mock extra ({exc.name} is not installed)",
            hint="pip install 'arazzo-runner[mock]'",
        ) from exc
    indexes, channels = load_indexes(description), load_asyncapi(description)
    count = len(indexes) + len(channels)
    if not count:
        click.echo("nothing to mock: no OpenAPI or AsyncAPI source description", err=True)
        return 2
    if port and port + count - 1 > 65535:
        raise InputError(
            f"--port {port}: {count} sources need ports {port} to {port + count - 1}, past 65535",
            hint=f"use --port {65536 - count} or lower, or 0 for any free ports",
        )
    # Ctrl-C and SIGTERM (which the CLI turns into the same KeyboardInterrupt) are how this
    # command ends: the main thread only sleeps until one unwinds it, and the servers stop on the
    # way out. No handler of our own: one that sets a threading.Event can deadlock, since it may
    # run while the main thread holds that Event's lock inside wait().
    try:
        with (
            serve_indexes(indexes, port=port) as urls,
            serve_asyncapi(channels, port=port + len(indexes) if port else 0) as ws,
        ):
            for name, url in {**urls, **ws}.items():
                click.echo(f"{name} -> {url}")
            click.echo("serving; press Ctrl-C to stop", err=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    click.echo("stopped", err=True)
    return 0
