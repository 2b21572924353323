"""The report files of ``arazzo run`` (``--report-json``, ``--junit-xml``, ``--har``, ``--html``).

:class:`Reports` knows which files were asked for, lends the run an HTTP client its recorders
listen on, and writes each report whole or not at all (:func:`write_report`: a temporary file
beside the target, then renamed over it).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arazzo_runner.errors import InputError
from arazzo_runner.redact import Redactor
from arazzo_runner.reporting import Outcome

__all__ = ["Reports", "write_report"]


class Reports:
    """The report files asked for, and what goes into them."""

    def __init__(self, options: Mapping[str, str | None], redactor: Redactor) -> None:
        self.json_path = options.get("report_json")
        self.junit_path = options.get("junit_xml")
        self.har_path = options.get("har")
        self.html_path = options.get("html")
        self.redactor = redactor
        self.recorder: Any = None
        if self.har_path or self.html_path:  # the HTML report's event times come from it
            from arazzo_runner.reporting import HarRecorder

            self.recorder = HarRecorder()

    def client(self, progress: Any = None) -> Any:
        """An HTTP client the HAR recorder and the live progress listen on (None: neither
        is there, let each run make its own)."""
        hooks: dict[str, list[Any]] = {"request": [], "response": []}
        for listener in (self.recorder, progress):
            for name, found in (listener.event_hooks() if listener is not None else {}).items():
                hooks[name] += found
        if not any(hooks.values()):
            return None
        from arazzo_runner.wire import make_client

        return make_client(event_hooks=hooks)

    def begin(self, title: str) -> None:
        if self.recorder is not None:
            self.recorder.begin_page(title)

    def name(self, title: str) -> None:
        if self.recorder is not None:
            self.recorder.name_page(title)

    def write(self, outcomes: Sequence[Outcome], *, many: bool) -> None:
        if self.json_path and outcomes:
            from arazzo_runner.reporting import render_json

            write_report(self.json_path, render_json(outcomes, self.redactor, many=many))
        if self.junit_path:
            from arazzo_runner.reporting import render_junit

            write_report(self.junit_path, render_junit(outcomes, self.redactor))
        if self.har_path:
            from arazzo_runner.reporting import render_har

            har = render_har(self.recorder, self.redactor)
            write_report(self.har_path, json.dumps(har, indent=2, ensure_ascii=False) + "\n")
        if self.html_path:
            write_report(self.html_path, self._html(outcomes))

    def _html(self, outcomes: Sequence[Outcome]) -> str:
        from arazzo_runner.document import load_arazzo
        from arazzo_runner.reporting import render_html, stream_traces

        documents = {o.file: load_arazzo(o.file)[0] for o in outcomes if o.result is not None}
        traces = stream_traces(self.recorder, outcomes, self.redactor)
        return render_html(outcomes, self.redactor, documents=documents, traces=traces)


def write_report(path: str, text: str) -> None:
    """Write a report whole or not at all: into a temporary file beside it, then renamed over
    the target (an interrupted write leaves the previous file, never half of a new one)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from exc
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
