"""Where documents come from: URLs, local paths, and a bounded, cached fetcher.

Every document is identified by an absolute URL (``file://`` for local files). Relative
references resolve against the URL of the document that holds them (RFC 3986), and stay
percent-encoded until the moment a local file is opened: ``v4%20-%20Hunt%20Valley`` names the
directory ``v4 - Hunt Valley``.

:class:`Fetcher` reads ``file``, ``http`` and ``https`` URLs and nothing else. It caches each
document (or the error it gave) by absolute URL without the fragment, so a cycle of ``arazzo``
sources reads every file once. Remote reads are bounded in size and time, and can be switched
off (``offline=True``, the CLI's ``--offline``).

Local files are confined (``confine=True``, the default), because a workflow from someone
else's repository must not read the rest of the machine (``file:///etc/passwd`` or
``../../.aws/credentials`` as a source would put the file's lines into code frames and logs).
The first document a fetcher reads is the *origin*: when it lies inside a git work tree (an
ancestor holds ``.git``), every local file must resolve, symlinks followed, inside that tree;
when the origin was fetched over http(s), no local file may be read at all. Outside any
repository local files are not confined.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_BYTES", "Fetcher", "resolve_url", "to_url", "url_to_path"]

import os
import re
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

from arazzo_runner.document.reading import regular_file
from arazzo_runner.document.yaml_reader import LocatedDocument, load_file, load_text
from arazzo_runner.errors import SourceError, YamlError

if TYPE_CHECKING:
    import httpx

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")  # two letters or more: not a drive letter
_REMOTE = frozenset({"http", "https"})
# Characters kept as they are when a written reference is normalised: everything RFC 3986
# allows, plus "%" so that existing percent-escapes are not encoded twice.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def to_url(path_or_url: str) -> str:
    """An absolute URL: URLs are returned as they are, local paths become ``file://`` URLs."""
    if _SCHEME.match(path_or_url):
        return path_or_url
    return Path(path_or_url).expanduser().resolve().as_uri()


def resolve_url(base_url: str, ref: str) -> str:
    """Join ``ref`` onto ``base_url`` (RFC 3986); percent-escapes are kept as written."""
    return urljoin(base_url, quote(ref, safe=_URL_SAFE))


def url_to_path(url: str) -> Path:
    """The local path of a ``file://`` URL, percent-decoded (``%20`` becomes a space)."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise SourceError(f"not a file URL: {url}")
    if parts.netloc not in ("", "localhost"):
        raise SourceError(
            f"file URL names a remote host `{parts.netloc}`: {url}",
            hint="use file:///absolute/path",
        )
    return Path(unquote(parts.path))


def _missing_file_hint(base_url: str, ref: str) -> str | None:
    """Suggest a fix when ``ref`` exists relative to an ancestor of the referring document.

    Catalogues often write source URLs relative to their repository root. We never load such
    a file silently (the spec resolves against the document), but we say where it is.
    """
    if urlsplit(base_url).scheme != "file" or _SCHEME.match(ref) or ref.startswith("/"):
        return None
    rel = PurePosixPath(unquote(urldefrag(ref)[0]))
    if ".." in rel.parts or not rel.parts:
        return None
    here = url_to_path(base_url).parent
    for ancestor in here.parents:
        candidate = ancestor / rel
        if _is_file(candidate):
            fixed = Path(os.path.relpath(candidate, here)).as_posix()
            return (
                f"`{ref}` exists relative to the ancestor directory {ancestor}; relative URLs "
                f"resolve against the referring document, so write `{fixed}`"
            )
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False (not an exception) for a name over 255 bytes or a link loop."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


# Parsed local files, shared by every Fetcher of the process (a validator given many workflows
# that name the same OpenAPI file parses it once); keyed by path, mtime and size, so an edited
# file is read again. A LocatedDocument is never changed after parsing.
_PARSED: dict[tuple[str, int, int], LocatedDocument] = {}
_PARSED_MAX = 256


class Fetcher:
    """Reads documents by URL, bounded and cached (see the module docstring)."""

    def __init__(
        self,
        *,
        offline: bool = False,
        timeout: float = 10.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        client: httpx.Client | None = None,
        confine: bool = True,
    ) -> None:
        self.offline = offline
        self.confine = confine
        self._origin: str | None = None
        self._repository: Path | None = None
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client = client
        self._cache: dict[str, LocatedDocument | SourceError | YamlError] = {}

    def fetch(self, url: str) -> LocatedDocument:
        """The parsed document at ``url``; raises :class:`SourceError` or :class:`YamlError`."""
        key = urldefrag(to_url(url))[0]
        cached = self._cache.get(key)
        if cached is None:
            try:
                self._guard(key)
                cached = self._load(key, written=url)
            except (SourceError, YamlError) as exc:
                cached = exc
            self._cache[key] = cached
        if isinstance(cached, LocatedDocument):
            return cached
        raise cached

    def fetch_ref(self, base_url: str, ref: str) -> LocatedDocument:
        """Fetch ``ref`` as written in the document at ``base_url``; errors name both."""
        url = resolve_url(base_url, ref)
        try:
            return self.fetch(url)
        except SourceError as exc:
            hint = _missing_file_hint(base_url, ref) if exc.hint is None else exc.hint
            raise SourceError(
                f"{exc.message} (`{ref}` resolved against {base_url})", file=exc.file, hint=hint
            ) from exc

    def _guard(self, url: str) -> None:
        """Refuse a local file outside the origin's repository (see the module docstring)."""
        if not self.confine:
            return
        is_file = urlsplit(url).scheme.lower() == "file"
        if self._origin is None:
            self._origin = url
            self._repository = _repository_of(url_to_path(url)) if is_file else None
            return
        if not is_file:
            return
        if urlsplit(self._origin).scheme.lower() in _REMOTE:
            raise SourceError(
                f"{url}: a document fetched from {self._origin} cannot read local files",
                file=url,
                hint="download the documents and run the local copy",
            )
        path = url_to_path(url).resolve()
        if self._repository is not None and not path.is_relative_to(self._repository):
            raise SourceError(
                f"{path} is outside the repository {self._repository} of the workflow",
                file=str(path),
                hint="local sources must stay inside the workflow's repository; copy it there",
            )

    def _load(self, url: str, *, written: str) -> LocatedDocument:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return self._load_file(url, written)
        if scheme in _REMOTE:
            if self.offline:
                raise SourceError(
                    f"cannot fetch {url}: remote sources are disabled (--offline)",
                    file=url,
                    hint="download the file and point `url` at the local copy",
                )
            return self._load_remote(url)
        raise SourceError(
            f"unsupported URL scheme `{scheme}:` in {written}",
            file=written,
            hint="only file, http and https URLs (or local paths) can be loaded",
        )

    def _load_file(self, url: str, written: str) -> LocatedDocument:
        path = url_to_path(url)

        def fail(message: str) -> SourceError:  # "file not found", "this is a FIFO, not..."
            return SourceError(f"{message}: {path} (from `{written}`)", file=str(path))

        stat = regular_file(path, fail)
        size = stat.st_size
        if size > self.max_bytes:
            raise SourceError(
                f"{path} is {size} bytes, over the {self.max_bytes}-byte limit", file=str(path)
            )
        key = (str(path), stat.st_mtime_ns, size)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = load_file(path)  # a YamlError is not kept: the next read raises afresh
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[key] = parsed
        return parsed

    def _load_remote(self, url: str) -> LocatedDocument:
        import httpx

        try:
            if self._client is not None:
                body = self._download(self._client, url)
            else:
                with httpx.Client() as client:
                    body = self._download(client, url)
        except httpx.TimeoutException as exc:
            raise SourceError(
                f"timed out after {self.timeout:g} s fetching {url}", file=url
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot fetch {url}: {exc}", file=url) from exc
        return load_text(body, url)

    def _download(self, client: httpx.Client, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        with client.stream("GET", url, timeout=self.timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise SourceError(
                    f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}",
                    file=url,
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_big(url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():  # decoded: a gzip bomb counts in full
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_big(url)
                if time.monotonic() > deadline:
                    raise SourceError(
                        f"timed out after {self.timeout:g} s fetching {url}", file=url
                    )
                chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url: str) -> SourceError:
        return SourceError(
            f"{url} is larger than the {self.max_bytes}-byte limit",
            file=url,
            hint="download it and point `url` at a local copy, or raise the limit",
        )


def _repository_of(path: Path) -> Path | None:
    """The git work tree that holds ``path`` (symlinks resolved), or None."""
    here = path.resolve().parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None
