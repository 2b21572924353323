"""``python -m arazzo_runner`` is the ``arazzo`` command."""

from arazzo_runner.cli import main

if __name__ == "__main__":
    main()
