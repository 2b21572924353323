"""``arazzo`` in a child process, for tests that need the real process (exit codes, signals).

``HANG_GUARD`` bounds every child: a run that needs this long is a hang, not a slow pass, and
``subprocess.TimeoutExpired`` fails the test instead of blocking the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
HANG_GUARD = 60.0


@dataclass(frozen=True)
class Done:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def arazzo(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Done:
    """``python -m arazzo_runner ARGS`` with ``env`` added to this process's environment."""
    done = subprocess.run(
        [PYTHON, "-m", "arazzo_runner", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)
