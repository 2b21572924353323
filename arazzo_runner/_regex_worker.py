"""Regex searches bounded in time: a helper process that can be killed.

Python's ``re`` has no timeout and holds the GIL while it backtracks, so ``(a+)+b`` against
forty ``a`` (or ``.*x.*y`` against a long text) would stop the whole runner, and a thread
cannot stop it. A regex criterion comes from a document, which is untrusted, so the search
runs in a small helper process (this file run as a script with ``python -I -S``: stdlib only,
one JSON line in, one JSON line out). When an answer takes longer than the bound the helper is
killed, the search counts as timed out, and the next search starts a fresh helper.

The helper starts on the first regex criterion evaluated and serves the whole process (a lock
makes it safe for concurrent runs); it is stopped at interpreter exit. Where no helper can be
started (no ``select`` on pipes on Windows, a sandbox that forbids processes) the search runs
in-process, unbounded, as before.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import threading
from typing import IO, Any

__all__ = ["DEFAULT_SECONDS", "RegexTimeout", "bounded_search"]

DEFAULT_SECONDS = 1.0
_CACHE_SIZE = 256


class RegexTimeout(Exception):
    """The search ran longer than its bound and was stopped."""


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._unavailable = os.name == "nt"

    def search(self, pattern: re.Pattern[str], text: str, seconds: float) -> bool:
        with self._lock:
            process = None if self._unavailable else self._started()
            if process is None:
                return pattern.search(text) is not None
            assert process.stdin is not None and process.stdout is not None
            request = {"pattern": pattern.pattern, "flags": int(pattern.flags), "text": text}
            try:
                process.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                process.stdin.flush()
                line = _readline(process.stdout, seconds)
            except (OSError, ValueError):
                line = None
            if line is None:
                self._stop()
                raise RegexTimeout(f"the search ran longer than {seconds:g} s")
            return bool(json.loads(line)["found"])

    def _started(self) -> subprocess.Popen[bytes] | None:
        if self._process is not None and self._process.poll() is None:
            return self._process
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", os.path.abspath(__file__)],
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


def _readline(stream: IO[bytes], seconds: float) -> bytes | None:
    ready, _, _ = select.select([stream], [], [], seconds)
    if not ready:
        return None
    line = stream.readline()
    return line or None


_HELPER = _Helper()
atexit.register(_HELPER.close)


def bounded_search(pattern: re.Pattern[str], text: str, seconds: float = DEFAULT_SECONDS) -> bool:
    """``pattern.search(text) is not None``, or :class:`RegexTimeout` after ``seconds``."""
    return _HELPER.search(pattern, text, seconds)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    cache: dict[tuple[str, int], re.Pattern[str]] = {}
    for line in stdin:
        request: dict[str, Any] = json.loads(line)
        key = (request["pattern"], request["flags"])
        compiled = cache.get(key)
        if compiled is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            compiled = cache[key] = re.compile(*key)
        found = compiled.search(request["text"]) is not None
        stdout.write(json.dumps({"found": found}).encode("utf-8") + b"\n")
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
