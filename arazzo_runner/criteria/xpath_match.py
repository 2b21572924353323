"""XML for ``xpath`` criteria: safe parsing and XPath compilation.

A response body is untrusted text, so it is parsed with :mod:`defusedxml` and every DTD is
refused: no external entities (``file:///etc/passwd``), no entity expansion (billion laughs),
no document type declaration at all. XML that needs a DTD cannot be judged by an xpath
criterion; the criterion fails and says why.

:func:`parse_xml` raises :class:`ValueError` with a one-line reason; callers turn that into a
failed criterion, never into a crash. :func:`parse_xpath` and :func:`evaluate_xpath` run
``elementpath`` itself, unbounded: only in the helper process of :mod:`.bounded`, whose
``compile_xpath`` checks an XPath there.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from arazzo_runner.errors import ExpressionError

__all__ = [
    "MAX_XML_BYTES",
    "XPATH_VERSIONS",
    "evaluate_xpath",
    "parse_xml",
    "parse_xpath",
    "xpath_parser",
]

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


XPATH_VERSIONS = ("xpath-10", "xpath-20", "xpath-30", "xpath-31")
"""Arazzo XPath versions (``xpath-31`` is the 1.1 spelling of the default, XPath 3.1)."""
XPATH_COMPILE_SECONDS = 2.0


def xpath_parser(version: str | None) -> type[Any]:
    """The ``elementpath`` parser class for an Arazzo XPath version (None: 3.1)."""
    import elementpath
    from elementpath.xpath3 import XPath30Parser, XPath31Parser

    parsers: dict[str | None, type[Any]] = {
        "xpath-10": elementpath.XPath1Parser,
        "xpath-20": elementpath.XPath2Parser,
        "xpath-30": XPath30Parser,
        "xpath-31": XPath31Parser,
        None: XPath31Parser,
    }
    return parsers[version]


def parse_xpath(text: str, version: str | None = None) -> Any:
    """The parsed XPath (an ``elementpath`` token), in this process and unbounded: only for
    the sandbox helper. Raises :class:`ExpressionError` with the position."""
    import elementpath

    try:
        return xpath_parser(version)().parse(text)
    except elementpath.ElementPathError as exc:
        span = getattr(exc.token, "span", None)
        position = min(span[0], len(text)) if span else None
        raise ExpressionError(
            f"invalid XPath: {exc.message}", expression=text, position=position
        ) from None


def select_values(token: Any, root: Element) -> list[Any]:
    """What a parsed ``token`` selects on ``root``: element and attribute nodes as their string
    values, atomic values as they are (a Selector Object's result)."""
    import elementpath

    result = token.evaluate(elementpath.XPathContext(root))
    items = result if isinstance(result, list) else [result]
    values: list[Any] = []
    for item in items:
        value = getattr(item, "string_value", item)
        if isinstance(item, Element):
            value = "".join(item.itertext())
        values.append(value if isinstance(value, (str, int, float, bool)) else str(value))
    return values


def evaluate_xpath(token: Any, root: Element) -> tuple[bool, Any]:
    """The effective boolean value of a parsed ``token`` on ``root``, and the raw result."""
    import elementpath

    result = token.evaluate(elementpath.XPathContext(root))
    return bool(token.boolean_value(result)), result
