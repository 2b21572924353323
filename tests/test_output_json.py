"""``--json`` printing skips ``Redactor.redact_data`` when the JSON text of the result shows that
no string in it holds a secret (:meth:`Redactor.clean_json`): the printed text is the general
path's, byte for byte, and a secret anywhere in the data (escaped by JSON or not) takes the
general path."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from arazzo_runner.cli import output as _output
from arazzo_runner.redact import Redactor
from arazzo_runner.results import Failure, RunResult, StepResult
from tests.support.json_data import JSON_DATA, data_and_redactor, strings


def _general_text(data: Any, redactor: Redactor) -> str:
    """What ``print_result`` printed before the shortcut: walk, dump, mask the text."""
    return redactor.redact_text(json.dumps(redactor.redact_data(data), ensure_ascii=False))


def _printed(data: Any, redactor: Redactor) -> str:
    redacted, text = _output._redacted(data, redactor)
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        _output._print_data(redacted, None, redactor, text)
    return buffer.getvalue()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_and_redactor(JSON_DATA))
def test_printed_json_is_the_general_path_text(case: tuple[Any, Redactor]) -> None:
    data, redactor = case
    assert _printed(data, redactor) == _general_text(data, redactor) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_and_redactor(JSON_DATA))
def test_clean_json_means_nothing_to_mask(case: tuple[Any, Redactor]) -> None:
    data, redactor = case
    if redactor.clean_json(json.dumps(data, ensure_ascii=False)):
        assert redactor.redact_data(data) == data
    if any(secret in s for s in strings(data) for secret in redactor.secrets):
        assert not redactor.clean_json(json.dumps(data, ensure_ascii=False))


@pytest.mark.parametrize("secret", ['pa"ss', "back\\slash", "new\nline", "ctl\x01x", "plain1"])
def test_a_secret_in_the_data_takes_the_general_path(secret: str) -> None:
    redactor = Redactor([secret])
    data = {"outputs": {"value": f"<{secret}>"}, secret: 1}
    redacted, text = _output._redacted(data, redactor)
    assert text is None and redacted == {"outputs": {"value": "<***>"}, "***": 1}
    assert secret not in _printed(data, redactor)


def test_data_json_cannot_encode_fails_as_before() -> None:
    redactor = Redactor(["hunter22"])
    data = {"odd": {1, 2}, "hunter22": "x"}
    redacted, text = _output._redacted(data, redactor)
    assert text is None and "***" in redacted
    with pytest.raises(TypeError, match="not JSON serializable"):
        _printed(data, redactor)


def _result(secret: str) -> RunResult:
    step = StepResult("s1", "wf", "failed", 401, failures=[Failure(f"bad key {secret}")])
    step.outputs = {"echo": {"key": secret, "n": 1}, "list": [secret, "x"]}
    return RunResult("wf", "failed", {"last": secret}, [step], error=f"x {secret}")


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("secret", ["s3cret-value", 'quo"ted-secret', None])
def test_print_result_is_byte_for_byte_the_general_output(
    capsys: pytest.CaptureFixture[str], streamed: bool, secret: str | None
) -> None:
    redactor = Redactor([] if secret is None else [secret])
    result = _result(secret or "no-secret-here")
    _output.print_result(result, as_json=True, query=None, redactor=redactor, streamed=streamed)
    data = redactor.redact_data(result.to_dict())
    expected = {"type": "result", **data} if streamed else data
    shown = capsys.readouterr().out
    assert shown == redactor.redact_text(json.dumps(expected, ensure_ascii=False)) + "\n"
    if secret is not None:
        assert secret not in shown and json.dumps(secret)[1:-1] not in shown
