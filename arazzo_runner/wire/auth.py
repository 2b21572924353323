"""Credentials: where they come from and how they reach a request (OpenAPI security schemes).

Arazzo says nothing about authentication; the OpenAPI description of each source does, through
``security`` requirements that name ``components.securitySchemes``. A credential for a scheme
is looked up, in this order, in:

1. ``--auth SCHEME=VALUE`` (the scheme's key as written; a case-insensitive match also counts);
2. the environment variable ``ARAZZO_AUTH_<KEY>`` (key upper-cased, every non-alphanumeric
   character replaced by ``_``: ``falKey`` -> ``ARAZZO_AUTH_FALKEY``);
3. well-known names: a fal scheme (:func:`is_fal_scheme`) reads ``FAL_KEY``, or
   ``FAL_KEY_ID`` and ``FAL_KEY_SECRET`` joined by ``:``, but only for a request to fal's own
   hosts (``fal.run``, ``fal.ai``, ``fal.media`` and their subdomains) or to loopback
   (:func:`fal_key_host`): the document chooses the hosts, and a workflow from someone else's
   repository must not be able to send your key to its own server. Anywhere else the key must
   be given for the run (``--auth``/``ARAZZO_AUTH_<KEY>``).
   The same rule holds for the OAuth2 token request: a ``tokenUrl`` on a host the credential
   may not go to is refused (:class:`~arazzo_runner.errors.CredentialsError`) before it is sent.

How a value is sent depends on the scheme (:data:`APPLIERS`): ``apiKey`` in a header, query or
cookie, after the prefix in the extension ``x-arazzo-runner-prefix`` (fal: ``Key ``);
``http basic`` takes ``user:password``; ``http bearer`` and ``openIdConnect`` take a token;
``oauth2`` with a ``clientCredentials`` flow takes ``client_id:client_secret`` and fetches a
token from the flow's ``tokenUrl`` once per run (any other oauth2 value is used as a token).

The first alternative of an operation's ``security`` whose schemes all have a credential is
used (an empty alternative, "anonymous allowed", only when no other one is satisfied). A
header, query or cookie parameter the workflow gave explicitly wins over a credential and
counts as satisfying the scheme it would have filled. No alternative satisfied ->
:class:`~arazzo_runner.errors.CredentialsError` naming the scheme and the variable to set.
Every value used, and the forms derived from it, is registered with the run's
:class:`~arazzo_runner.redact.Redactor` before anything is sent.
"""

from __future__ import annotations

__all__ = [
    "APPLIERS",
    "Authenticator",
    "Credentials",
    "Outgoing",
    "env_var_name",
    "fal_key_host",
    "is_fal_scheme",
]

import base64
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from arazzo_runner.document.openapi import SecurityScheme
from arazzo_runner.errors import CredentialsError
from arazzo_runner.redact import Redactor

PREFIX_EXTENSION = "x-arazzo-runner-prefix"
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_FAL_HINT = "or run against the local mock with --mock"
_FAL_HOSTS = ("fal.run", "fal.ai", "fal.media")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def fal_key_host(host: str) -> bool:
    """Whether ``FAL_KEY`` from the environment may go to ``host``: fal's hosts and loopback."""
    name = host.lower().rstrip(".")
    return name in _LOOPBACK or any(name == h or name.endswith("." + h) for h in _FAL_HOSTS)


def env_var_name(scheme_key: str) -> str:
    """``ARAZZO_AUTH_<KEY>`` for a scheme key (``falKey`` -> ``ARAZZO_AUTH_FALKEY``)."""
    return "ARAZZO_AUTH_" + _NOT_ALNUM.sub("_", scheme_key).upper()


def is_fal_scheme(scheme: SecurityScheme) -> bool:
    """A fal key scheme: ``Authorization`` apiKey with the ``Key `` prefix, or a ``fal*`` key."""
    prefix = str(scheme.extensions.get(PREFIX_EXTENSION, "")).strip().lower()
    by_shape = (
        scheme.type == "apiKey"
        and (scheme.param_name or "").lower() == "authorization"
        and prefix == "key"
    )
    return by_shape or scheme.key.lower().startswith("fal")


@dataclass(frozen=True)
class Credentials:
    """Credential values by scheme key (``given``) plus the environment to fall back on."""

    given: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_sources(
        cls, auth: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Credentials:
        """From ``{scheme: value}`` (``--auth`` as parsed by the CLI) and an environment."""
        return cls(dict(auth or {}), dict(environ or {}))

    def lookup(self, scheme: SecurityScheme, host: str | None = None) -> str | None:
        """The credential for ``scheme`` on a request to ``host`` (None: any host), or None."""
        if scheme.key in self.given:
            return self.given[scheme.key]
        folded = {k.lower(): v for k, v in self.given.items()}
        if scheme.key.lower() in folded:
            return folded[scheme.key.lower()]
        value = self.environ.get(env_var_name(scheme.key))
        if value:
            return value
        if not is_fal_scheme(scheme) or (host is not None and not fal_key_host(host)):
            return None
        return self._fal_key()

    def _fal_key(self) -> str | None:
        key = self.environ.get("FAL_KEY")
        if key:
            return key
        key_id, secret = self.environ.get("FAL_KEY_ID"), self.environ.get("FAL_KEY_SECRET")
        return f"{key_id}:{secret}" if key_id and secret else None

    def secrets(self) -> list[str]:
        """Every value this object could hand out (to register with a Redactor up front)."""
        names = ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET")
        env = [v for k, v in self.environ.items() if k.startswith("ARAZZO_AUTH_") or k in names]
        values = [*self.given.values(), *env]
        return [part for v in values if v for part in (v, *v.split(":", 1)[1:])]

    def how_to_give(self, scheme: SecurityScheme, host: str | None = None) -> str:
        """What a user can do to provide a credential for ``scheme``."""
        options = f"pass --auth {scheme.key}=VALUE or set {env_var_name(scheme.key)}"
        if not is_fal_scheme(scheme):
            return options
        if host is not None and not fal_key_host(host) and self._fal_key():
            return f"FAL_KEY is only sent to fal's hosts and loopback, not to {host}; {options}"
        return f"set FAL_KEY=..., {_FAL_HINT} ({options})"


@dataclass
class Outgoing:
    """The parts of a request credentials may add to (query pairs are percent-encoded)."""

    headers: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[tuple[str, str]] = field(default_factory=list)

    def has_header(self, name: str) -> bool:
        return name.lower() in (k.lower() for k in self.headers)

    def has_query(self, name: str) -> bool:
        return quote(name, safe="") in (k for k, _ in self.query)

    def has_cookie(self, name: str) -> bool:
        return name in (k for k, _ in self.cookies)


TokenFetcher = Callable[[SecurityScheme, str, Sequence[str], str], str]
Applier = Callable[[SecurityScheme, str, Outgoing, Redactor], None]


def _apply_api_key(scheme: SecurityScheme, value: str, out: Outgoing, redactor: Redactor) -> None:
    prefix = str(scheme.extensions.get(PREFIX_EXTENSION, ""))
    if prefix and not value.lower().startswith(prefix.lower()):
        value = prefix + value
    name = scheme.param_name or ""
    redactor.add_forms(value)  # with its prefix, as sent: percent-encoded and base64 too
    if scheme.location == "query":
        out.query.append((quote(name, safe=""), quote(value, safe="")))
    elif scheme.location == "cookie":
        out.cookies.append((name, quote(value, safe="")))
    else:
        out.headers[name] = value


def _apply_http(scheme: SecurityScheme, value: str, out: Outgoing, redactor: Redactor) -> None:
    kind = (scheme.scheme or "bearer").lower()
    if kind == "basic":
        token = base64.b64encode(value.encode("utf-8")).decode("ascii")
        redactor.add_forms(token)
        out.headers["Authorization"] = f"Basic {token}"
    elif kind == "bearer":
        out.headers["Authorization"] = f"Bearer {value}"
    else:
        out.headers["Authorization"] = f"{scheme.scheme} {value}"


def _apply_bearer(scheme: SecurityScheme, value: str, out: Outgoing, redactor: Redactor) -> None:
    out.headers["Authorization"] = f"Bearer {value}"


APPLIERS: Mapping[str, Applier] = {
    "apiKey": _apply_api_key,
    "http": _apply_http,
    "oauth2": _apply_bearer,
    "openIdConnect": _apply_bearer,
}
"""Scheme type -> how a (resolved) credential value is written into the request."""


def _covered(scheme: SecurityScheme, out: Outgoing) -> bool:
    """The workflow already set what this scheme would set (explicit parameters win)."""
    if scheme.type != "apiKey":
        return out.has_header("Authorization")
    name = scheme.param_name or ""
    checks = {"query": out.has_query, "cookie": out.has_cookie}
    return checks.get(scheme.location or "header", out.has_header)(name)


class Authenticator:
    """Applies an operation's security requirements to requests of one run."""

    def __init__(
        self,
        credentials: Credentials,
        redactor: Redactor,
        client: httpx.Client,
    ) -> None:
        self.credentials = credentials
        self.redactor = redactor
        self.client = client
        self._tokens: dict[tuple[str, str, tuple[str, ...]], str | CredentialsError] = {}
        for secret in credentials.secrets():
            redactor.add_forms(secret)

    def apply(
        self,
        security: Sequence[Mapping[str, Sequence[str]]] | None,
        schemes: Mapping[str, SecurityScheme],
        out: Outgoing,
        base_url: str,
    ) -> None:
        """Add the credentials of the first satisfied alternative to ``out``."""
        if not security:
            return
        host = _host(base_url)
        chosen = self._choose(security, schemes, out, host)
        for name, scopes in chosen.items():
            scheme = schemes[name]
            if _covered(scheme, out):
                continue
            value = self._value(scheme, scopes, base_url, host)
            APPLIERS[scheme.type](scheme, value, out, self.redactor)

    def _choose(
        self,
        security: Sequence[Mapping[str, Sequence[str]]],
        schemes: Mapping[str, SecurityScheme],
        out: Outgoing,
        host: str,
    ) -> Mapping[str, Sequence[str]]:
        anonymous, problems = False, []
        for alternative in security:
            if not alternative:
                anonymous = True
                continue
            missing = [n for n in alternative if not self._available(schemes.get(n), out, host)]
            if not missing:
                return alternative
            problems.append([self._describe(n, schemes.get(n), host) for n in missing])
        if anonymous:
            return {}
        raise self._missing_error(problems)

    def _available(self, scheme: SecurityScheme | None, out: Outgoing, host: str) -> bool:
        if scheme is None or scheme.type not in APPLIERS:
            return False
        return _covered(scheme, out) or self.credentials.lookup(scheme, host) is not None

    def _describe(self, name: str, scheme: SecurityScheme | None, host: str) -> str:
        if scheme is None:
            return f"{name!r} (not defined in components.securitySchemes)"
        if scheme.type not in APPLIERS:
            return f"{name!r} ({scheme.type} is not supported by arazzo-runner)"
        where = f" in {scheme.location} {scheme.param_name}" if scheme.type == "apiKey" else ""
        kind = f"{scheme.type}{' ' + scheme.scheme if scheme.scheme else ''}{where}"
        return f"{name!r} ({kind}): {self.credentials.how_to_give(scheme, host)}"

    def _missing_error(self, problems: list[list[str]]) -> CredentialsError:
        if len(problems) == 1 and len(problems[0]) == 1:
            text = f"no credential for security scheme {problems[0][0]}"
        else:
            options = "; ".join(" and ".join(group) for group in problems)
            text = f"no credentials for any security alternative of this operation: {options}"
        return CredentialsError(self.redactor.redact_text(text))

    def _value(
        self, scheme: SecurityScheme, scopes: Sequence[str], base_url: str, host: str
    ) -> str:
        value = self.credentials.lookup(scheme, host)
        assert value is not None  # _choose checked it
        self.redactor.add_forms(value)
        token_url = _client_credentials_url(scheme)
        if scheme.type == "oauth2" and token_url and ":" in value:
            url = urljoin(base_url + "/", token_url)
            self._may_go_to(scheme, value, url)
            return self._token(url, value, scopes)
        return value

    def _may_go_to(self, scheme: SecurityScheme, value: str, url: str) -> None:
        """The token request carries the credential too: its host must be one the credential
        may go to (FAL_KEY: fal's hosts and loopback), whatever the document's tokenUrl says
        (absolute, ``//host``, plain ``http://``). Raises CredentialsError; nothing is sent."""
        try:
            host = _host(url)
        except (httpx.InvalidURL, ValueError):
            raise CredentialsError(
                self.redactor.redact_text(f"the OAuth2 tokenUrl {url!r} is not a valid URL"),
                hint=f"fix components.securitySchemes.{scheme.key}.flows.clientCredentials",
            ) from None
        if self.credentials.lookup(scheme, host) != value:
            detail = self.credentials.how_to_give(scheme, host)
            raise CredentialsError(
                self.redactor.redact_text(
                    f"not sending the credential of {scheme.key!r} to the OAuth2 tokenUrl "
                    f"{url}: {detail}"
                )
            )

    def _token(self, token_url: str, client: str, scopes: Sequence[str]) -> str:
        client_id = client.split(":", 1)[0]
        key = (token_url, client_id, tuple(scopes))
        cached = self._tokens.get(key)
        if cached is None:
            cached = self._fetch_token(token_url, client, scopes)
            self._tokens[key] = cached
        if isinstance(cached, CredentialsError):
            raise cached
        return cached

    def _fetch_token(self, url: str, client: str, scopes: Sequence[str]) -> str | CredentialsError:
        form = {"grant_type": "client_credentials"}
        if scopes:
            form["scope"] = " ".join(scopes)
        basic = base64.b64encode(client.encode("utf-8")).decode("ascii")
        self.redactor.add_forms(basic)
        headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        try:
            response = self.client.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            return self._token_error(url, f"{type(exc).__name__}: {exc}")
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.is_success and isinstance(token, str) and token:
            self.redactor.add_forms(token)
            return token
        detail = _token_failure(response.status_code, body, response.text)
        return self._token_error(url, detail)

    def _token_error(self, url: str, detail: str) -> CredentialsError:
        return CredentialsError(
            self.redactor.redact_text(f"could not get an OAuth2 token from {url}: {detail}"),
            hint="check the client_id:client_secret given for the oauth2 scheme",
        )


def _client_credentials_url(scheme: SecurityScheme) -> str | None:
    flow = scheme.flows.get("clientCredentials")
    url = flow.get("tokenUrl") if isinstance(flow, Mapping) else None
    return url if isinstance(url, str) and url else None


def _token_failure(status: int, body: Any, text: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        extra = f" ({description})" if isinstance(description, str) else ""
        return f"HTTP {status}: {body['error']}{extra}"
    if 200 <= status < 300:
        return f"HTTP {status} without an access_token"
    return f"HTTP {status}: {text[:200]}"


@functools.lru_cache(maxsize=256)
def _host(base_url: str) -> str:
    """The host of a base URL; a run sends every request of an API to the same few, so each
    is parsed once (an invalid one raises every time: errors are not remembered)."""
    return httpx.URL(base_url).host
