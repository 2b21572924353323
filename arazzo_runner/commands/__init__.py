"""One module per ``arazzo`` subcommand; each exposes ``command: click.Command``."""
