"""Bodies for the HAR: what was received, decoded, bounded, redacted, and SSE events.

A recorded body is a list of ``(milliseconds since the request started, raw bytes)`` pieces as
they came off the connection, cut at the recorder's bound. Here they become HAR ``content``:
``Content-Encoding`` gzip/deflate undone (others are left encoded and said so), text when the
bytes are UTF-8 (else base64), and for ``text/event-stream`` the events decoded from them with
the time each one arrived.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from arazzo_runner.errors import StreamError
from arazzo_runner.redact import MASK, Redactor
from arazzo_runner.streaming import ServerSentEvent, SSEDecoder

__all__ = ["Piece", "content", "decoded_pieces", "events", "post_data"]

Piece = tuple[float, bytes]


def _inflater(encoding: str) -> Callable[[bytes], bytes] | None:
    """A streaming decompressor for a Content-Encoding, identity for none, None if unknown."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return lambda data: data
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if name == "deflate":
        return zlib.decompressobj().decompress
    return None


def decoded_pieces(pieces: Sequence[Piece], encoding: str) -> list[Piece] | None:
    """The pieces with the Content-Encoding undone, or None when it cannot be (br, zstd...)."""
    inflate = _inflater(encoding)
    if inflate is None:
        return None
    try:
        return [(at, inflate(data)) for at, data in pieces]
    except zlib.error:
        return None


def _mask_bytes(data: bytes, redactor: Redactor) -> bytes:
    for secret in sorted(redactor.secrets, key=len, reverse=True):
        data = data.replace(secret.encode("utf-8"), MASK.encode("ascii"))
    return data


def _text(data: bytes, redactor: Redactor) -> tuple[str, str | None]:
    """(text, None) for UTF-8 bytes, else (base64 of the masked bytes, "base64")."""
    try:
        return redactor.redact_text(data.decode("utf-8")), None
    except UnicodeDecodeError:
        return base64.b64encode(_mask_bytes(data, redactor)).decode("ascii"), "base64"


def content(
    pieces: Sequence[Piece], total: int, *, mime: str, encoding: str, redactor: Redactor
) -> dict[str, Any]:
    """HAR ``content`` for a response body of ``total`` raw bytes, of which ``pieces`` kept."""
    kept = sum(len(data) for _, data in pieces)
    result: dict[str, Any] = {"size": total, "mimeType": mime}
    if not pieces:
        if total:
            result["comment"] = f"truncated: none of the {total} bytes received are kept"
        return result
    plain = decoded_pieces(pieces, encoding)
    notes = []
    if plain is None:
        plain, result["compression"] = list(pieces), 0
        notes.append(f"Content-Encoding {encoding} not decoded")
    body = b"".join(data for _, data in plain)
    if kept >= total:
        result["size"] = len(body)
    result["text"], how = _text(body, redactor)
    if how:
        result["encoding"] = how
    if kept < total:
        notes.append(f"truncated: the first {kept} of {total} bytes received are kept")
    if notes:
        result["comment"] = "; ".join(notes)
    return result


def events(pieces: Sequence[Piece], *, complete: bool, redactor: Redactor) -> list[dict[str, Any]]:
    """The SSE events in ``pieces``, each with ``time`` (ms since the request started).

    ``complete``: the body ended normally, so the decoder is closed at its end.
    """
    decoder = SSEDecoder()
    found: list[tuple[float, ServerSentEvent]] = []
    try:
        for at, data in pieces:
            found.extend((at, event) for event in decoder.feed(data))
        if complete:
            found.extend((pieces[-1][0] if pieces else 0.0, e) for e in decoder.close())
    except StreamError:
        pass  # an oversized event: keep what came before it
    return [
        {
            "time": round(at, 3),
            "event": event.event,
            "data": redactor.redact_text(event.data),
            "id": event.id,
            **({"retry": event.retry} if event.retry is not None else {}),
        }
        for at, event in found
    ]


def post_data(body: bytes, mime: str, limit: int, redactor: Redactor) -> dict[str, Any]:
    """HAR ``postData`` for a request body (cut at ``limit`` bytes)."""
    text, how = _text(body[:limit], redactor)
    result: dict[str, Any] = {"mimeType": mime, "text": text}
    notes = ["base64" if how else "", "truncated" if len(body) > limit else ""]
    if any(notes):
        result["comment"] = ", ".join(n for n in notes if n)
    return result
