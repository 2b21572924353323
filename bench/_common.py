"""Timing helpers shared by the benchmarks: run a command N times, medians, peak RSS, machine info.

Standard library only (``resource`` for peak RSS), so a benchmark measures the package and not a
benchmark framework. Every figure is printed next to the command that produced it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("arazzo-runner", "httpx", "httpx-sse", "PyYAML", "jsonschema", "starlette", "uvicorn")


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one thing."""

    label: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def spread(self) -> float:
        """Max minus min, in seconds: a rough noise gauge."""
        return max(self.seconds) - min(self.seconds)


def time_calls(label: str, work: Callable[[], object], runs: int) -> Timing:
    """Call ``work`` ``runs`` times and keep each wall-clock duration."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return Timing(label, tuple(seconds))


def time_command(
    argv: Sequence[str],
    runs: int,
    *,
    warmup: int = 1,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    label: str | None = None,
) -> Timing:
    """Run ``argv`` (from the repo root) ``runs`` times after ``warmup`` untimed runs.

    Output goes to pipes that are read in full (as ``> /dev/null`` would discard it); a
    non-zero exit raises RuntimeError with the end of stderr.
    """

    def once() -> None:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=300)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace")[-300:]
            raise RuntimeError(f"{show(argv)} exited {done.returncode}: {tail}")

    for _ in range(warmup):
        once()
    return time_calls(label or show(argv), once, runs)


def show(argv: Sequence[str]) -> str:
    """A command as a copy-pasteable line, with paths under the repo or venv shortened."""
    bin_dir = str(Path(sys.executable).parent) + os.sep
    words = []
    for word in argv:
        if word == sys.executable:
            word = "python"
        elif word.startswith(bin_dir):
            word = word[len(bin_dir) :]
        elif word.startswith(str(REPO) + os.sep):
            word = word[len(str(REPO)) + 1 :]
        words.append(word)
    return shlex.join(words)


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB.

    Linux's ``VmHWM`` (``/proc/self/status``) belongs to the current address space, so a child
    started by a large parent starts from its own size. ``ru_maxrss`` survives ``exec`` and may
    report the parent's peak instead; it is only the fallback where ``/proc`` is missing.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def machine_lines() -> list[str]:
    """Markdown bullet lines describing the machine, interpreter and package versions."""
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    return [
        f"- machine: {platform.platform()}, nproc {os.cpu_count()}, {platform.machine()}",
        f"- python: {sys.version.split()[0]} ({sys.executable})",
        f"- packages: {versions}",
        f"- commit: {git_commit()} (plus any uncommitted work in the tree)",
        f"- load average at the start (1, 5, 15 min): {load_note()}",
    ]


def load_note() -> str:
    """The load averages, flagged when other work already uses half the CPUs or more."""
    loads, cpus = os.getloadavg(), os.cpu_count() or 1
    text = ", ".join(f"{x:.2f}" for x in loads) + f" on {cpus} CPUs"
    if loads[0] >= cpus / 2:
        text += " (**a loaded machine**: other work shares the CPUs, figures are noisy)"
    return text


def run_section(argv: Sequence[str], timeout: float = 600) -> str:
    """Run a benchmark script from the repo root and return its stdout (stderr on failure)."""
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        return f"FAILED (exit {done.returncode}):\n\n```\n{done.stderr.strip()[-1500:]}\n```\n"
    return done.stdout


def use_bytecode_cache() -> None:
    """Time the package as an installed one runs: with ``.pyc`` files.

    ``pip install`` byte-compiles what it installs (the peers), but an editable checkout under
    ``PYTHONDONTWRITEBYTECODE=1`` would recompile every module on every start. So the variable
    is dropped for the benchmarks' child processes and the package is compiled once here.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "arazzo_runner")],
        capture_output=True,
        timeout=120,
    )
