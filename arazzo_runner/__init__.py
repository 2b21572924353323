"""arazzo-runner: run and validate Arazzo 1.0.x workflows.

The public facade. Importing the package is cheap and has no side effects: it configures no
logging, prints nothing, and imports no HTTP or OpenAPI machinery until it is used.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
