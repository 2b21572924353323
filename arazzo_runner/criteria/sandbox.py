"""A killable helper process: operations on untrusted input, bounded in time and memory.

Some work cannot be interrupted from another thread (``re`` holds the GIL while it backtracks)
or eats the machine while it runs. :class:`Helper` runs such operations in one helper process:
one JSON line in (an operation and its arguments), one JSON line out. The helper's address
space is limited to :data:`MEMORY_BYTES`; when an answer takes longer than the bound, the
helper is killed and the call raises :class:`SandboxTimeout`; a helper that ran out of memory
or died raises :class:`SandboxFailure`; the next call starts a fresh helper. An operation that
raises an ordinary exception raises :class:`SandboxError` with its message.

This module knows no operation: a :class:`Helper` is given its table and the script that
serves the same table with :func:`serve` (:mod:`.bounded` is both for the criteria). Where no
helper can be started (Windows pipes have no ``select``; a sandbox may forbid processes) the
operations run in-process, unbounded. A lock makes one helper safe for concurrent runs. An
operation table with a ``warm`` entry gets a ``warm`` call, with a generous bound of its own,
before the first call of each operation, so a cold helper on a busy machine never makes a
valid call time out.
"""

from __future__ import annotations

import base64
import json
import os
import select
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a helper is started: keeps `import arazzo_runner` fast
    import subprocess

__all__ = [
    "DEFAULT_SECONDS",
    "MEMORY_BYTES",
    "Helper",
    "SandboxError",
    "SandboxFailure",
    "SandboxTimeout",
    "serve",
]

DEFAULT_SECONDS = 1.0
MEMORY_BYTES = 1024 * 1024 * 1024
_BYTES = "$bytes"


class SandboxTimeout(Exception):
    """The operation ran longer than its bound and was stopped."""


class SandboxFailure(Exception):
    """The helper ran out of memory or died; the message says which."""


class SandboxError(Exception):
    """The operation raised (as it would have in-process); the message is the exception's."""


_WARM_SECONDS = 60.0  # a cold helper on a loaded machine: starting and importing, not matching


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_BYTES}:
        return base64.b64decode(value[_BYTES])
    return value


# -- the parent side -----------------------------------------------------------------------


class Helper:
    """One helper process that runs ``operations`` (the script ``script`` serves them with
    :func:`serve`); started on first use, killed at a bound, started afresh after."""

    def __init__(self, operations: Mapping[str, Callable[..., Any]], script: str) -> None:
        self._operations = operations
        self._script = os.path.abspath(script)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._unavailable = os.name == "nt"
        self._warmed: set[tuple[str, Any]] = set()

    def run(self, operation: str, args: tuple[Any, ...], seconds: float) -> Any:
        with self._lock:
            process = None if self._unavailable else self._started()
            if process is None:
                return self._operations[operation](*args)
            version = args[1] if operation != "regex" and len(args) > 1 else None
            if "warm" in self._operations and (operation, version) not in self._warmed:
                self._call(process, "warm", (operation, version), _WARM_SECONDS)
                self._warmed.add((operation, version))
            return self._call(process, operation, args, seconds)

    def _call(
        self,
        process: subprocess.Popen[bytes],
        operation: str,
        args: tuple[Any, ...],
        seconds: float,
    ) -> Any:
        request = {"op": operation, "args": [_encode(a) for a in args]}
        try:
            line = _exchange(process, json.dumps(request).encode("utf-8"), seconds)
        except (OSError, ValueError):
            line = b""
        if line is None:
            self._stop()
            raise SandboxTimeout(f"it ran longer than {seconds:g} s and was stopped")
        answer = json.loads(line) if line else {"failed": "the helper process ended"}
        if "failed" in answer:
            self._stop()
            raise SandboxFailure(str(answer["failed"]))
        if "error" in answer:
            raise SandboxError(str(answer["error"]))
        return answer["result"]

    def _started(self) -> subprocess.Popen[bytes] | None:
        if self._process is not None and self._process.poll() is None:
            return self._process
        import subprocess

        try:
            self._process = subprocess.Popen(
                [sys.executable, self._script],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._unavailable = True
            return None
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        self._warmed.clear()
        if process is None:
            return
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


def _exchange(process: subprocess.Popen[bytes], request: bytes, seconds: float) -> bytes | None:
    """Send one request line; the answer line, ``b""`` if the helper died, None on timeout."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(request + b"\n")
    process.stdin.flush()
    return _readline(process.stdout, seconds)


def _readline(stream: IO[bytes], seconds: float) -> bytes | None:
    ready, _, _ = select.select([stream], [], [], seconds)
    if not ready:
        return None
    return stream.readline()


# -- the helper's main loop ----------------------------------------------------------------


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass


def serve(
    operations: Mapping[str, Callable[..., Any]], stdin: IO[bytes], stdout: IO[bytes]
) -> None:
    """The helper's loop: one JSON request line in, one answer line out, until stdin ends."""
    _limit_memory()
    for line in stdin:
        request = json.loads(line)
        try:
            result = operations[request["op"]](*[_decode(a) for a in request["args"]])
            answer: dict[str, Any] = {"result": result}
        except MemoryError:
            answer = {"failed": f"it needed more than {MEMORY_BYTES // 2**20} MiB of memory"}
        except Exception as exc:  # raised again in the caller, which fails the criterion
            answer = {"error": str(exc) or type(exc).__name__}
        stdout.write(json.dumps(answer).encode("utf-8") + b"\n")
        stdout.flush()
        if "failed" in answer:
            return  # start clean after a failure
