"""Matchers run on untrusted input, bounded in time and memory: a helper process that is killed.

A criterion comes from a document and its context from a server, and three matchers can be
made to run for ever or eat the machine: ``re`` backtracking (``(a+)+b`` against forty
``a``; also inside JSONPath's ``match()``/``search()``), and XPath (``count(1 to 1e11)`` is
evaluated, statically, while the expression is parsed). ``re`` holds the GIL and none of them
can be interrupted from another thread, so they run in one helper process (this file run as a
script): one JSON line in (an operation and its arguments), one JSON line out. The helper's
address space is limited to :data:`MEMORY_BYTES`; when an answer takes longer than the bound,
the helper is killed and the call raises :class:`SandboxTimeout`; a helper that ran out of
memory or died raises :class:`SandboxFailure`; the next call starts a fresh helper. An
operation that raises an ordinary exception raises :class:`SandboxError` with its message.

Operations (:data:`OPERATIONS`): ``regex`` (pattern, flags, text -> found),
``jsonpath`` (condition, version, data, where -> failure, warning), ``xpath`` (condition,
version, XML text, where -> passed, reason) and ``xpath-compile`` (condition, version -> None
or [message, position, hint]). They are plain functions, run in-process where no helper can
be started (Windows pipes have no ``select``; a sandbox may forbid processes): unbounded then.

The helper starts on first use and serves the whole process (a lock makes it safe for
concurrent runs); it is stopped at interpreter exit. Starting it and importing what an
operation needs (``elementpath`` for XPath) happen in a ``warm`` call with a generous bound
of their own, so a cold helper on a busy machine never makes a valid criterion time out.
"""

from __future__ import annotations

import atexit
import base64
import functools
import json
import os
import re
import select
import sys
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a helper is started: keeps `import arazzo_runner` fast
    import subprocess

__all__ = [
    "DEFAULT_SECONDS",
    "MEMORY_BYTES",
    "OPERATIONS",
    "SandboxError",
    "SandboxFailure",
    "SandboxTimeout",
    "run",
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


# -- the operations (run in the helper) ----------------------------------------------------


@functools.lru_cache(maxsize=256)
def _pattern(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _regex(source: str, flags: int, text: str) -> bool:
    return _pattern(source, flags).search(text) is not None


@functools.lru_cache(maxsize=256)
def _jsonpath_condition(condition: str, version: str | None) -> Any:
    from arazzo_runner.criteria import jsonpath_match as _jsonpath

    return _jsonpath.compile_jsonpath(condition, version)


def _jsonpath_test(condition: str, version: str | None, data: Any, where: str) -> list[Any]:
    failure, warning = _jsonpath_condition(condition, version).test(data, where)
    return [failure, warning]


@functools.lru_cache(maxsize=256)
def _xpath_token(condition: str, version: str | None) -> Any:
    from arazzo_runner.criteria import xpath_match as _xml

    return _xml.parse_xpath(condition, version)


def _xpath_compile(condition: str, version: str | None) -> list[Any] | None:
    from arazzo_runner.errors import ExpressionError

    try:
        _xpath_token(condition, version)
    except ExpressionError as exc:
        return [exc.message, exc.position, exc.hint]
    return None


def _xpath_test(condition: str, version: str | None, value: str | bytes, where: str) -> list[Any]:
    from arazzo_runner.criteria import jsonpath_match as _jsonpath
    from arazzo_runner.criteria import xpath_match as _xml

    try:
        root = _xml.parse_xml(value)
    except ValueError as exc:
        return [False, f"{where} {exc}"]
    passed, result = _xml.evaluate_xpath(_xpath_token(condition, version), root)
    if passed:
        return [True, ""]
    shown = _jsonpath.show(result) if isinstance(result, (str, int, float, bool)) else "empty"
    return [False, f"XPath {condition} is {shown} on {where}"]


def _warm(operation: str, version: str | None) -> None:
    """Import and build what ``operation`` needs, so its bound counts only its own work."""
    if operation == "jsonpath":
        _jsonpath_condition("$", version)
    elif operation in ("xpath", "xpath-compile"):
        _xpath_token("1", version)


OPERATIONS: dict[str, Callable[..., Any]] = {
    "regex": _regex,
    "jsonpath": _jsonpath_test,
    "xpath": _xpath_test,
    "xpath-compile": _xpath_compile,
    "warm": _warm,
}
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


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._unavailable = os.name == "nt"
        self._warmed: set[tuple[str, Any]] = set()

    def run(self, operation: str, args: tuple[Any, ...], seconds: float) -> Any:
        with self._lock:
            process = None if self._unavailable else self._started()
            if process is None:
                return OPERATIONS[operation](*args)
            version = args[1] if operation != "regex" and len(args) > 1 else None
            if (operation, version) not in self._warmed:
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
                [sys.executable, os.path.abspath(__file__)],
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


_HELPER = _Helper()
atexit.register(_HELPER.close)


def run(operation: str, *args: Any, seconds: float = DEFAULT_SECONDS) -> Any:
    """The result of :data:`OPERATIONS` ``[operation](*args)``, computed in the helper."""
    return _HELPER.run(operation, args, seconds)


# -- the helper's main loop ----------------------------------------------------------------


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    _limit_memory()
    for line in stdin:
        request = json.loads(line)
        try:
            result = OPERATIONS[request["op"]](*[_decode(a) for a in request["args"]])
            answer: dict[str, Any] = {"result": result}
        except MemoryError:
            answer = {"failed": f"it needed more than {MEMORY_BYTES // 2**20} MiB of memory"}
        except Exception as exc:  # raised again in the caller, which fails the criterion
            answer = {"error": str(exc) or type(exc).__name__}
        stdout.write(json.dumps(answer).encode("utf-8") + b"\n")
        stdout.flush()
        if "failed" in answer:
            return  # start clean after a failure


if __name__ == "__main__":
    # the folder that holds the package: three levels above this file
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from arazzo_runner.criteria import sandbox

    sandbox._serve(sys.stdin.buffer, sys.stdout.buffer)
