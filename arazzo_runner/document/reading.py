"""Local files and streams read with a size cap *while* reading, never past it.

A document, a local source description or an inputs file must be a regular file. What is not
one is refused by what it is, before any read: a directory, a named pipe (opening one waits
for a writer), a device (``/dev/zero`` never ends, ``/dev/stdin`` may be a terminal) or a
socket. A regular file is read in chunks up to the cap plus one byte, so a file that grows
while it is read (or lied about its size) still stops at the cap. Operating-system errors
(a name over 255 bytes, no permission, a loop of symlinks) are one message with the reason.

Every function takes ``fail``: it turns the message into the caller's exception (a
:class:`~arazzo_runner.errors.YamlError` for a document, a
:class:`~arazzo_runner.errors.SourceError` for a source).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import BinaryIO

from arazzo_runner.errors import ArazzoError

__all__ = ["file_kind", "read_capped", "read_stream", "regular_file"]

Fail = Callable[[str], ArazzoError]
_CHUNK = 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular one is (``"a directory"``...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def regular_file(path: str | os.PathLike[str], fail: Fail) -> os.stat_result:
    """``os.stat(path)`` of a regular file; anything else is ``fail(message)``."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise fail("file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise fail(f"cannot read file: {_reason(exc)}") from None
    kind = file_kind(info.st_mode)
    if kind is not None:
        raise fail(f"this is {kind}, not a file")
    return info


def read_capped(path: str | os.PathLike[str], limit: int, fail: Fail) -> bytes:
    """The bytes of the regular file ``path``; over ``limit`` bytes is ``fail(message)``."""
    info = regular_file(path, fail)
    if info.st_size > limit:
        raise fail(f"document is {info.st_size} bytes, over the {limit}-byte limit")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise fail(f"cannot read file: {_reason(exc)}") from None
    with os.fdopen(fd, "rb") as handle:
        kind = file_kind(os.fstat(fd).st_mode)  # replaced between the stat and the open
        if kind is not None:
            raise fail(f"this is {kind}, not a file")
        return read_stream(handle, limit, fail)


def read_stream(stream: BinaryIO, limit: int, fail: Fail) -> bytes:
    """At most ``limit`` bytes from ``stream`` (stdin, an open file), read in chunks; one byte
    more is ``fail(message)``, and nothing past it is read."""
    chunks: list[bytes] = []
    size = 0
    try:
        while piece := stream.read(min(_CHUNK, limit + 1 - size)):
            chunks.append(piece)
            size += len(piece)
            if size > limit:
                raise fail(f"more than {limit} bytes, over the {limit}-byte limit")
    except OSError as exc:
        raise fail(f"cannot read: {_reason(exc)}") from None
    return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
