"""Media types (RFC 9110 section 8.3): the one place that reads a ``Content-Type`` value.

``media_type("Application/JSON; charset=utf-8")`` is ``"application/json"`` (the essence:
lower case, no parameters); :func:`charset` reads the ``charset`` parameter; :func:`is_json`
and :func:`is_xml` classify an essence, structured suffixes (``+json``, ``+xml``) included.
Stdlib only: the decoder, the wire, the mock and the reporters all use it.
"""

from __future__ import annotations

import re

__all__ = ["EVENT_STREAM", "charset", "is_json", "is_xml", "media_type"]

EVENT_STREAM = "text/event-stream"

_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def media_type(content_type: str | None) -> str:
    """The lower-cased ``type/subtype`` of a Content-Type, without parameters (``""`` if none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset(content_type: str | None, default: str = "utf-8") -> str:
    """The ``charset`` parameter of a Content-Type, or ``default``."""
    match = _CHARSET.search(content_type or "")
    found = match.group(1).strip() if match else ""
    return found or default


def is_json(essence: str) -> bool:
    """``application/json`` or a ``+json`` structured syntax."""
    return essence == "application/json" or essence.endswith("+json")


def is_xml(essence: str) -> bool:
    """``application/xml``, ``text/xml`` or a ``+xml`` structured syntax."""
    return essence in ("application/xml", "text/xml") or essence.endswith("+xml")
