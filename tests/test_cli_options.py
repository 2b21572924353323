"""Every option value is checked where it enters: a bad one is exit 2 and one line that names
the option, before anything is loaded or sent; odd input never gives a traceback.

The command runs in-process through :func:`arazzo_runner.cli.main`, the real entry point.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from arazzo_runner.cli import main

ROOT = Path(__file__).resolve().parents[1]
PETSTORE = str(ROOT / "workflows" / "petstore.arazzo.yaml")
MULTI = str(ROOT / "workflows" / "multi-source.arazzo.yaml")
REFUSED = "http://127.0.0.1:9"


def arazzo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


BAD_OPTIONS = [
    (("--timeout", "-1"), "--timeout must be"),
    (("--timeout", "nan"), "--timeout must be"),
    (("--timeout", "inf"), "--timeout must be"),
    (("--timeout", "1e309"), "--timeout must be"),
    (("--idle-timeout", "-0.5"), "--idle-timeout must be"),
    (("--idle-timeout", "NaN"), "--idle-timeout must be"),
    (("--max-steps", "0"), "--max-steps must be"),
    (("--max-steps", "-3"), "--max-steps must be"),
    (("-S", "api=not a url"), "--server api=not a url: not an absolute"),
    (("-S", "api=ftp://host/"), "--server api=ftp://host/: not an absolute"),
    (("-S", "api=http://[::1"), "--server api=http://[::1: not an absolute"),
    (("-S", "api=http://host:port/"), "--server api=http://host:port/"),
    (("--report-json", ""), "--report-json: the path is empty"),
    (("--junit-xml", "same.xml", "--har", "same.xml"), "--junit-xml and --har both name"),
]


@pytest.mark.parametrize(("args", "named"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_a_bad_option_value_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], named: str
) -> None:
    code, out, err = arazzo(capsys, "run", PETSTORE, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert named in err and "Traceback" not in err and out == ""


def test_an_empty_path_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = arazzo(capsys, "run", "")
    assert code == 2 and "PATH is empty" in err


def test_zero_means_no_bound(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = arazzo(
        capsys, "run", PETSTORE, "--timeout", "0", "--idle-timeout", "0", "-S", f"api={REFUSED}",
        "-w", "login-list-get", "-i", "username=a", "-i", "password=b",
    )  # fmt: skip
    assert code == 3, err  # it ran (into the refused port), nothing timed out at once
    assert "could not connect" in err and "deadline" not in err


def test_unknown_source_and_scheme_names_are_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = arazzo(
        capsys, "run", PETSTORE, "-S", f"nosuch={REFUSED}", "--auth", "noScheme=x",
        "-S", f"petstore={REFUSED}", "-i", "username=a", "-i", "password=b",
    )  # fmt: skip
    assert code == 3, err
    assert "warning: --server nosuch=...: no source description is named 'nosuch'" in err
    assert "warning: --auth noScheme=...: no security scheme is named 'noScheme'" in err


def test_a_report_into_a_missing_folder_creates_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "new" / "deeper" / "report.json"
    arazzo(capsys, "run", PETSTORE, "-S", f"petstore={REFUSED}", "--report-json", str(report))
    assert json.loads(report.read_text(encoding="utf-8"))


# -- odd input: never a traceback ---------------------------------------------------------------


@pytest.mark.parametrize(
    "stdin",
    [b"\x89PNG\r\n\x1a\n\x00\x00", b"user: caf\xe9\n", b"\xff\xfe\x00a"],
    ids=["binary", "latin-1", "utf-16-ish"],
)
def test_binary_or_invalid_utf8_inputs_on_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: bytes
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code, _, err = arazzo(capsys, "run", PETSTORE, "--inputs", "-")
    assert code == 2, err
    assert err.startswith("error: <stdin>") and "Traceback" not in err


def test_an_input_nested_too_deeply(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = arazzo(capsys, "run", PETSTORE, "-i", "x=" + "[" * 40_000)
    assert code == 2, err
    assert "nested too deeply" in err


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "[1, NaN]", "1e400"])
def test_non_finite_numbers_are_refused_as_inputs(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, _, err = arazzo(
        capsys, "run", PETSTORE, "-S", f"petstore={REFUSED}", "-i", "username=a",
        "-i", f"password={value}", "--json",
    )  # fmt: skip
    assert code == 2, err
    assert "is not a JSON number" in err


def test_non_finite_numbers_in_an_inputs_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "in.yaml").write_text("username: a\npassword: {pin: .nan}\n", encoding="utf-8")
    code, _, err = arazzo(capsys, "run", PETSTORE, "--inputs", str(tmp_path / "in.yaml"))
    assert code == 2 and "input password.pin: nan is not a JSON number" in err


def test_mock_ports_past_65535_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = arazzo(capsys, "mock", MULTI, "--port", "65535")
    assert code == 2, err
    assert "--port 65535:" in err and "past 65535" in err


def test_a_report_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted between writing and renaming: the old report stays, no temporary file."""
    from arazzo_runner.cli import reports as run_command

    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")

    def interrupted(source: str, destination: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_command.write_report(str(target), "new")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]
    run_command.write_report(str(target), "new")
    assert target.read_text(encoding="utf-8") == "new" and list(tmp_path.iterdir()) == [target]
