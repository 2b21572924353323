"""Masking secrets wherever a run could show them: messages, headers, reports.

A :class:`Redactor` is told every secret value the run uses (credentials, fetched tokens) and
replaces each occurrence with ``***``, longest secret first so a secret that contains another is
masked whole. It also masks the *value* of any header whose name looks like a credential
(:func:`sensitive_name`), whatever it holds, keeping a leading scheme word such as ``Bearer`` so
a report still says which kind of credential was sent.

Values a request sends under a credential-like name are secrets too, whoever chose them
(:meth:`Redactor.add_sent`; the executor calls it for every header and query parameter it
sends), so a token given as a workflow input is masked wherever it is echoed back.

Secrets are registered with the forms they can be shown in (:meth:`Redactor.add_forms`: as
given, percent-encoded, base64), so a server that echoes ``Authorization: Key <FAL_KEY>`` in
base64, or a URL that carries a key in its query string, shows ``***`` instead.
Values shorter than :data:`MIN_SECRET_LENGTH` are not masked inside free text (masking every
``a`` in a message would destroy it); header-name masking still covers them.
"""

from __future__ import annotations

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor", "sensitive_name"]

import base64
import functools
import threading
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4

_EXACT = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
_PARTS = ("token", "secret", "key", "password", "passwd", "credential", "session")
_SCHEME_WORDS = frozenset({"basic", "bearer", "key", "token", "digest", "dpop"})


@functools.lru_cache(maxsize=4096)
def sensitive_name(name: str) -> bool:
    """True for header (or field) names that usually carry a credential (remembered: the same
    few header and field names come back in every exchange)."""
    lowered = name.strip().lower()
    return lowered in _EXACT or any(part in lowered for part in _PARTS)


class Redactor:
    """Knows the run's secrets and masks them in text, header maps and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._ordered: list[str] = []
        self._in_json: list[str] = []  # each secret as JSON writes it inside a string
        self._adding = threading.Lock()  # runs of ``arazzo run --jobs`` add from many threads
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (ignored when empty or too short to mask in free text)."""
        if not secret or len(secret) < MIN_SECRET_LENGTH or secret in self._secrets:
            return
        with self._adding:  # readers see the old lists or the new ones, never half of a change
            self._secrets.add(secret)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._in_json = [encode_basestring(s)[1:-1] for s in ordered]
            self._ordered = ordered

    def add_forms(self, secret: str | None) -> None:
        """Remember ``secret`` and the forms a request or an echoing server may show it in:
        percent-encoded (a query string, a cookie), base64 in the standard and the URL-safe
        alphabets (HTTP Basic, or a server that encodes what it got; without the ``=``
        padding, so the padded text is masked too)."""
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        self.add(secret)
        self.add(quote(secret, safe=""))
        self.add(quote_plus(secret))
        raw = secret.encode("utf-8")
        self.add(base64.b64encode(raw).decode("ascii").rstrip("="))
        self.add(base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))

    def add_sent(self, name: str, value: str) -> None:
        """Remember what a request sent under a credential-like name (a header, a query or
        cookie parameter) as a secret, whoever chose it: the value, the part after a scheme
        word (``Bearer abc`` -> ``abc``), and each cookie value of a ``Cookie`` header."""
        if not sensitive_name(name):
            return
        self.add_forms(value)  # ``Key <FAL_KEY>`` in base64 is the key too
        scheme, space, rest = value.partition(" ")
        if space and scheme.lower() in _SCHEME_WORDS:
            self.add_forms(rest.strip())
        if name.strip().lower() == "cookie":
            for pair in value.split(";"):
                self.add_forms(pair.partition("=")[2].strip())

    def redact_text(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def redact_header(self, name: str, value: str) -> str:
        """One header value: masked whole (but for a scheme word) when the name is sensitive."""
        if not sensitive_name(name):
            return self.redact_text(value)
        scheme, space, _rest = value.partition(" ")
        if space and scheme.lower() in _SCHEME_WORDS:
            return f"{scheme} {MASK}"
        return MASK

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` that is safe to show."""
        return {name: self.redact_header(name, str(value)) for name, value in headers.items()}

    def redact_data(self, data: Any, *, by_name: bool = False) -> Any:
        """A copy of nested data with secrets masked in every string (keys included).

        With ``by_name``, string values under a sensitive key (``token``, ``apiKey``...) are
        masked whole as well, as in a header map.
        """
        if isinstance(data, str):
            return self.redact_text(data)
        if isinstance(data, bytes):
            text = data.decode("utf-8", errors="replace")
            return self.redact_text(text).encode("utf-8") if self._hit(text) else data
        if isinstance(data, Mapping):
            return {self.redact_data(k): self._member(str(k), v, by_name) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            items = [self.redact_data(item, by_name=by_name) for item in data]
            return items if isinstance(data, list) else tuple(items)
        return data

    def clean_json(self, text: str) -> bool:
        """True when ``text``, the ``json.dumps(data, ensure_ascii=False)`` of some data, shows
        that no string of that data (key or value) holds a known secret, so ``redact_data(data)``
        would give it back unchanged. JSON escapes a string character by character, so a string
        that holds a secret holds the secret's escaped form, and that form is in ``text``."""
        return not any(form in text for form in self._in_json)

    def _member(self, key: str, value: Any, by_name: bool) -> Any:
        if by_name and isinstance(value, str) and sensitive_name(key):
            return self.redact_header(key, value)
        return self.redact_data(value, by_name=by_name)

    def _hit(self, text: str) -> bool:
        return any(secret in text for secret in self._ordered)
