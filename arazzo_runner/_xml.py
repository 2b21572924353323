"""XML for ``xpath`` criteria: safe parsing and XPath compilation.

A response body is untrusted text, so it is parsed with :mod:`defusedxml` and every DTD is
refused: no external entities (``file:///etc/passwd``), no entity expansion (billion laughs),
no document type declaration at all. XML that needs a DTD cannot be judged by an xpath
criterion; the criterion fails and says why.

:func:`parse_xml` raises :class:`ValueError` with a one-line reason; callers turn that into a
failed criterion, never into a crash. :func:`compile_xpath` picks the ``elementpath`` parser for
an Arazzo XPath version (default 3.1) and raises :class:`ExpressionError` on bad syntax.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_etree
import elementpath
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from elementpath.xpath3 import XPath30Parser, XPath31Parser

from .errors import ExpressionError

__all__ = ["MAX_XML_BYTES", "XPATH_PARSERS", "compile_xpath", "evaluate_xpath", "parse_xml"]

MAX_XML_BYTES = 16 * 1024 * 1024
"""Larger bodies are refused before parsing (memory bound)."""


def parse_xml(value: Any, *, max_bytes: int = MAX_XML_BYTES) -> Element:
    """The root element of ``value`` (XML text as ``str`` or ``bytes``, or an ``Element``).

    Raises :class:`ValueError` when the value is not XML text, is too large, is not
    well-formed, or declares a DTD or entities.
    """
    if isinstance(value, Element):
        return value
    if isinstance(value, bytearray):
        value = bytes(value)
    if not isinstance(value, (str, bytes)):
        raise ValueError(f"is {type(value).__name__}, not XML text")
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
    if size > max_bytes:
        raise ValueError(f"is {size} bytes of XML; the limit is {max_bytes}")
    try:
        root: Element = safe_etree.fromstring(
            value, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as exc:
        raise ValueError("is XML with a DOCTYPE; DTDs are refused for safety") from exc
    except EntitiesForbidden as exc:
        raise ValueError("is XML that declares entities; refused for safety") from exc
    except DefusedXmlException as exc:
        raise ValueError(f"is XML refused for safety ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise ValueError(f"is not well-formed XML: {exc}") from exc
    return root


XPATH_PARSERS: dict[str | None, type[Any]] = {
    "xpath-10": elementpath.XPath1Parser,
    "xpath-20": elementpath.XPath2Parser,
    "xpath-30": XPath30Parser,
    "xpath-31": XPath31Parser,
    None: XPath31Parser,
}
"""Arazzo XPath versions (``xpath-31`` is the 1.1 spelling of the default) -> parser class."""


def compile_xpath(text: str, version: str | None = None) -> Any:
    """The parsed XPath (an ``elementpath`` token: ``.evaluate(XPathContext)``,
    ``.boolean_value(result)``); raises :class:`ExpressionError` with the position."""
    parser_class = XPATH_PARSERS.get(version)
    if parser_class is None:
        known = ", ".join(v for v in XPATH_PARSERS if v)
        raise ExpressionError(
            f"unknown XPath version {version!r}", expression=text, hint=f"expected one of {known}"
        )
    try:
        return parser_class().parse(text)
    except elementpath.ElementPathError as exc:
        span = getattr(exc.token, "span", None)
        position = min(span[0], len(text)) if span else None
        raise ExpressionError(
            f"invalid XPath: {exc.message}", expression=text, position=position
        ) from None


def evaluate_xpath(token: Any, root: Element) -> tuple[bool, Any]:
    """The effective boolean value of ``token`` on ``root``, and the raw result."""
    result = token.evaluate(elementpath.XPathContext(root))
    return bool(token.boolean_value(result)), result
