"""Other Arazzo tools (and httpx-sse), each installed once into its own ``bench/.venvs/NAME``.

Jentic's ``arazzo-runner`` has the same distribution name as this project, so it can never share
our virtual environment; every peer gets its own, and is driven through its command line (or a
small driver script run by its own interpreter). A peer that cannot be installed is reported
with the reason by whoever asked, never silently dropped. ``npm`` peers are skipped when npm is
missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench._common import REPO

VENVS = REPO / "bench" / ".venvs"


@dataclass(frozen=True)
class Peer:
    """A tool to compare against: how to install it and what its executable is called."""

    name: str
    installer: str  # "pip" or "npm"
    packages: tuple[str, ...]
    tool: str  # executable name ("python" for a library)

    @property
    def home(self) -> Path:
        return VENVS / self.name

    @property
    def exe(self) -> Path:
        where = "bin" if self.installer == "pip" else "node_modules/.bin"
        return self.home / where / self.tool

    @property
    def python(self) -> Path:
        return self.home / "bin" / "python"

    @property
    def package(self) -> str:
        return self.packages[0]


PEERS: dict[str, Peer] = {
    "jentic": Peer("jentic", "pip", ("arazzo-runner",), "arazzo-runner"),
    "arazzo-exec": Peer("arazzo-exec", "pip", ("arazzo-exec",), "arazzo-exec"),
    "redocly": Peer("redocly", "npm", ("@redocly/cli",), "redocly"),
    "httpx-sse": Peer("httpx-sse", "pip", ("httpx-sse", "httpx"), "python"),
}


def install(peer: Peer) -> Path | str:
    """The peer's executable, installing it on first use; or a sentence saying why not."""
    if peer.exe.exists():
        return peer.exe
    if peer.installer == "npm" and shutil.which("npm") is None:
        return "npm is not installed"
    peer.home.mkdir(parents=True, exist_ok=True)
    if peer.installer == "pip":
        steps = [
            [sys.executable, "-m", "venv", str(peer.home)],
            [str(peer.home / "bin/pip"), "install", "--quiet", *peer.packages],
        ]
    else:
        steps = [["npm", "install", "--prefix", str(peer.home), "--no-audit", "--no-fund"]]
        steps[0] += list(peer.packages)
    try:
        for argv in steps:
            subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"could not install {peer.package}: {detail.strip()[-200:]}"
    return peer.exe if peer.exe.exists() else f"{peer.package} installed no `{peer.tool}`"


def version(peer: Peer) -> str:
    """The installed version of the peer's main package ("not installed" when absent)."""
    if peer.installer == "npm":
        manifest = peer.home / "node_modules" / peer.package / "package.json"
        if not manifest.exists():
            return "not installed"
        return str(json.loads(manifest.read_text()).get("version", "unknown"))
    if not peer.python.exists():
        return "not installed"
    code = f"from importlib.metadata import version; print(version({peer.package!r}))"
    done = subprocess.run(
        [str(peer.python), "-c", code], cwd=peer.home, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def peer_env() -> dict[str, str]:
    """The environment peers run in: no telemetry, no update notices, no colours."""
    env = dict(os.environ)
    env.update(
        REDOCLY_TELEMETRY="off",
        REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
        NO_COLOR="1",
        NODE_NO_WARNINGS="1",
    )
    return env


def version_lines(names: list[str]) -> list[str]:
    """One markdown bullet per peer: package and version, or that it is absent."""
    lines = []
    for name in names:
        peer = PEERS[name]
        lines.append(f"- {name}: {peer.package} {version(peer)} (`{peer.home.relative_to(REPO)}`)")
    return lines
