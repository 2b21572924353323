"""Request bodies: pick the media type, apply replacements, encode to bytes.

Pure functions on already-evaluated payloads (Arazzo notes B1-B4):

* :func:`choose_content_type` - an explicit ``contentType`` wins; otherwise
  ``application/json`` when the operation declares it; otherwise the first declared type.
* :func:`apply_replacements` - ``target`` is a JSON Pointer (RFC 6901) unless the payload is
  XML, where it is an XPath expression (``elementpath``). The payload is copied, never changed in
  place. JSON: ``-`` appends to an array, a missing parent raises
  :class:`~arazzo_runner.errors.InputError` naming the target, and a string (or bytes) holding
  JSON text is parsed, changed and written back as text. XML is parsed with ``defusedxml`` (no
  entity declarations, no external entities); a target ending in ``/@name`` sets that attribute,
  any other target replaces the content of the selected elements with the value's text.
  Prefixes declared in the payload can be used in the XPath. ElementTree may rename namespace
  prefixes (``ns0``) when it writes the XML back; the names stay the same.
* :func:`encode_body` - bytes and the ``Content-Type`` to send, through :data:`ENCODERS`,
  looked up by the exact media type, then a ``+json``/``+xml`` suffix, then ``text/*``, then
  :func:`encode_bytes` for everything else.

Per media type: JSON sends a string payload unchanged once it parses (a template that quoted an
object inside a string, ``"customer": "{$inputs.customer}"``, yields invalid JSON and is
reported, not sent) and anything else through ``json.dumps``. Form-urlencoded encodes an object
(arrays repeat the key) and sends a string unchanged. Multipart turns an object into one part
per member (bytes become file parts, objects and arrays JSON parts, arrays of scalars repeat the
name) with a fresh random boundary. ``text/*`` and XML accept text (strings, bytes, scalars)
only: no object-to-XML mapping is attempted. With no content type at all, bytes go as
``application/octet-stream``, strings as ``text/plain; charset=utf-8``, the rest as JSON.
"""

from __future__ import annotations

__all__ = [
    "ENCODERS",
    "apply_replacements",
    "choose_content_type",
    "encode_body",
    "encode_bytes",
    "media_type",
]

import copy
import io
import json
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import defusedxml
import defusedxml.ElementTree as SafeET

from arazzo_runner.errors import InputError
from arazzo_runner.media import charset, is_json, is_xml, media_type
from arazzo_runner.pointer import pointer_tokens
from arazzo_runner.wire.serialize import scalar_text

Encoder = Callable[[Any, str], tuple[bytes, str]]


def choose_content_type(declared: Sequence[str], explicit: str | None) -> str | None:
    """The Content-Type for a step: explicit, else JSON if declared, else the first declared."""
    if explicit:
        return explicit
    for candidate in declared:
        if media_type(candidate) == "application/json":
            return candidate
    return declared[0] if declared else None


# --- encoders -------------------------------------------------------------------------------


def _text_bytes(payload: Any, content_type: str) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (Mapping, list, tuple)):
        raise InputError(
            f"a {content_type} body must be text, got {type(payload).__name__}",
            hint="give the payload as a string, or use a JSON content type",
        )
    text = "" if payload is None else scalar_text(payload)
    try:
        return text.encode(charset(content_type))
    except (LookupError, UnicodeEncodeError) as exc:
        raise InputError(f"cannot encode the body as {content_type}: {exc}") from exc


def encode_json(payload: Any, content_type: str) -> tuple[bytes, str]:
    """JSON: text payloads must already be JSON; other values go through ``json.dumps``."""
    if isinstance(payload, (str, bytes)):
        try:
            json.loads(payload)
        except ValueError as exc:
            raise InputError(
                f"the {content_type} payload is not valid JSON: {exc}",
                hint='a template like \'"customer": "{$inputs.customer}"\' puts an object inside'
                " a JSON string; drop the quotes or give the payload as an object",
            ) from exc
        body = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        return body, content_type
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the payload cannot be written as JSON: {exc}") from exc
    return text.encode("utf-8"), content_type


def _form_pairs(payload: Mapping[Any, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), scalar_text(v)) for v in values if v is not None)
    return pairs


def encode_form(payload: Any, content_type: str) -> tuple[bytes, str]:
    """``application/x-www-form-urlencoded``: an object is encoded, text is sent unchanged."""
    if isinstance(payload, Mapping):
        return urlencode(_form_pairs(payload)).encode("ascii"), content_type
    return _text_bytes(payload, content_type), content_type


def _quote_field(text: str) -> str:
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _part(name: str, value: Any) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{_quote_field(name)}"'
    if isinstance(value, bytes):
        head = f'{disposition}; filename="{_quote_field(name)}"\r\n'
        head += "Content-Type: application/octet-stream\r\n"
        return head.encode("utf-8") + b"\r\n" + value
    if isinstance(value, (Mapping, list, tuple)):
        head = f"{disposition}\r\nContent-Type: application/json\r\n"
        return (head + "\r\n" + scalar_text(value)).encode("utf-8")
    return f"{disposition}\r\n\r\n{scalar_text(value)}".encode()


def _multipart_parts(payload: Mapping[Any, Any]) -> list[bytes]:
    parts: list[bytes] = []
    for key, value in payload.items():
        scalars = isinstance(value, list) and all(not isinstance(v, (Mapping, list)) for v in value)
        for member in value if scalars else [value]:
            if member is not None:
                parts.append(_part(str(key), member))
    return parts


def encode_multipart(payload: Any, content_type: str) -> tuple[bytes, str]:
    """``multipart/form-data``: one part per member with a fresh boundary; bytes as files."""
    if not isinstance(payload, Mapping):  # already encoded by the author; send unchanged
        return _text_bytes(payload, content_type), content_type
    parts = _multipart_parts(payload)
    boundary = secrets.token_hex(16)
    while any(boundary.encode("ascii") in part for part in parts):
        boundary = secrets.token_hex(16)
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts) + delimiter + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def encode_text(payload: Any, content_type: str) -> tuple[bytes, str]:
    """``text/*`` and XML: text only, in the declared charset (default UTF-8)."""
    return _text_bytes(payload, content_type), content_type


def encode_bytes(payload: Any, content_type: str) -> tuple[bytes, str]:
    """Any other media type: bytes unchanged, text as UTF-8."""
    return _text_bytes(payload, content_type), content_type


ENCODERS: Mapping[str, Encoder] = {
    "application/json": encode_json,
    "+json": encode_json,
    "application/x-www-form-urlencoded": encode_form,
    "multipart/form-data": encode_multipart,
    "application/xml": encode_text,
    "text/xml": encode_text,
    "+xml": encode_text,
    "text/*": encode_text,
    "application/octet-stream": encode_bytes,
}
"""Media type (exact, ``+suffix`` or ``major/*``) -> encoder ``(payload, content_type)``."""


def _default_type(payload: Any) -> str:
    if isinstance(payload, bytes):
        return "application/octet-stream"
    if isinstance(payload, str):
        return "text/plain; charset=utf-8"
    return "application/json"


def encode_body(
    payload: Any, content_type: str | None, encoders: Mapping[str, Encoder] = ENCODERS
) -> tuple[bytes, str]:
    """Body bytes and the Content-Type header value to send with them."""
    content_type = content_type or _default_type(payload)
    essence = media_type(content_type)
    suffix = "+" + essence.rpartition("+")[2] if "+" in essence else ""
    major = essence.partition("/")[0] + "/*"
    for key in (essence, suffix, major):
        if key and key in encoders:
            return encoders[key](payload, content_type)
    return encode_bytes(payload, content_type)


# --- replacements ---------------------------------------------------------------------------


def _pointer_tokens(target: str) -> list[str]:
    if target and not target.startswith("/"):
        raise InputError(f"replacement target {target!r} is not a JSON Pointer (must start with /)")
    return pointer_tokens(target)


def _index(token: str, size: int, target: str) -> int:
    if not token.isdigit() or (len(token) > 1 and token[0] == "0") or int(token) >= size:
        raise InputError(f"replacement target {target!r}: no array index {token!r}")
    return int(token)


def _step(node: Any, token: str, target: str) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list):
        return node[_index(token, len(node), target)]
    raise InputError(f"replacement target {target!r}: the parent {token!r} does not exist")


def _set_pointer(document: Any, target: str, value: Any) -> Any:
    tokens = _pointer_tokens(target)
    if not tokens:
        return value
    parent = document
    for token in tokens[:-1]:
        parent = _step(parent, token, target)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last == "-":
        parent.append(value)
    elif isinstance(parent, list):
        parent[_index(last, len(parent), target)] = value
    else:
        raise InputError(f"replacement target {target!r}: the parent is not an object or array")
    return document


def _replace_json(payload: Any, replacements: Sequence[tuple[str, Any]]) -> Any:
    as_text = isinstance(payload, (str, bytes))
    if as_text:
        try:
            document = json.loads(payload)
        except ValueError as exc:
            raise InputError(f"cannot apply replacements: the payload is not JSON: {exc}") from exc
    else:
        document = copy.deepcopy(payload)
    for target, value in replacements:
        document = _set_pointer(document, target, copy.deepcopy(value))
    if not as_text:
        return document
    text = json.dumps(document, ensure_ascii=False)
    return text.encode("utf-8") if isinstance(payload, bytes) else text


def _parse_xml(data: bytes) -> tuple[ET.Element, dict[str, str]]:
    """Root element and the namespace prefixes declared anywhere in the document."""
    namespaces: dict[str, str] = {}
    root: ET.Element | None = None
    try:
        for event, item in SafeET.iterparse(io.BytesIO(data), events=("start", "start-ns")):
            if event == "start-ns":
                namespaces.setdefault(*item)
            elif root is None:
                root = item
    except (defusedxml.DefusedXmlException, ET.ParseError) as exc:
        raise InputError(
            f"cannot apply replacements: the XML payload is refused: {exc}",
            hint="entity declarations and external entities are not allowed",
        ) from exc
    if root is None:
        raise InputError("cannot apply replacements: the XML payload has no element")
    return root, namespaces


def _xml_text(value: Any, target: str) -> str:
    if isinstance(value, (Mapping, list, tuple)):
        raise InputError(
            f"replacement target {target!r}: an XML value must be text, not a structure"
        )
    return "" if value is None else scalar_text(value)


def _select(root: ET.Element, path: str, namespaces: dict[str, str], target: str) -> list[Any]:
    import elementpath  # about 100 ms to import: only a step with an XML replacement pays it

    try:
        found = elementpath.select(root, path or ".", namespaces=namespaces)
    except elementpath.ElementPathError as exc:
        raise InputError(f"replacement target {target!r} is not valid XPath: {exc}") from exc
    elements = [e for e in (found if isinstance(found, list) else [found]) if ET.iselement(e)]
    if not elements:
        raise InputError(f"replacement target {target!r} selects no element in the XML payload")
    return elements


def _set_xml(root: ET.Element, ns: dict[str, str], target: str, value: Any) -> None:
    text = _xml_text(value, target)
    path, at, attribute = target.rpartition("/@")
    if at and attribute and "/" not in attribute:
        for element in _select(root, path, ns, target):
            element.set(attribute, text)
        return
    path = target.removesuffix("/text()")
    for element in _select(root, path, ns, target):
        for child in list(element):
            element.remove(child)
        element.text = text


def replace_xml(payload: str | bytes, replacements: Sequence[tuple[str, Any]]) -> str | bytes:
    """Apply XPath replacements to XML text (parsed safely); returns the same kind of text."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    root, namespaces = _parse_xml(data)
    for target, value in replacements:
        _set_xml(root, namespaces, target, value)
    text = ET.tostring(root, encoding="unicode")
    stripped = data.lstrip()
    if stripped.startswith(b"<?xml"):
        text = stripped[: stripped.index(b"?>") + 2].decode("utf-8") + text
    return text if isinstance(payload, str) else text.encode("utf-8")


def _looks_xml(payload: Any) -> bool:
    if isinstance(payload, bytes):
        return payload.lstrip().startswith(b"<")
    return isinstance(payload, str) and payload.lstrip().startswith("<")


def apply_replacements(
    payload: Any, content_type: str | None, replacements: Sequence[tuple[str, Any]]
) -> Any:
    """A copy of ``payload`` with each ``(target, value)`` applied in order."""
    if not replacements:
        return payload
    essence = media_type(content_type)
    if is_xml(essence) or (not is_json(essence) and _looks_xml(payload)):
        if not isinstance(payload, (str, bytes)):
            raise InputError("XPath replacements need the XML payload as text")
        return replace_xml(payload, replacements)
    return _replace_json(payload, replacements)
