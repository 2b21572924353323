"""``docs/credentials.md`` and ``docs/streaming.md`` cannot rot.

Every command-line option, environment variable and ``x-`` extension key these pages mention
must exist in the CLI or the code; the defaults they state must be the code's defaults; their
YAML examples must be what the code accepts; and the ``--stream --json`` line they show must be
the line ``arazzo run`` prints (checked by running the headline workflow against the mock).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from arazzo_runner.cli import COMMANDS, cli
from arazzo_runner.document.openapi.index import SecurityScheme
from arazzo_runner.document.workspace import open_workspace
from arazzo_runner.streaming import extension as _exec_stream
from arazzo_runner.streaming import extension as _stream_spec
from arazzo_runner.streaming.event_stream import AsyncEventStream, EventStream, NotAnEventStream
from arazzo_runner.streaming.sse import DEFAULT_MAX_EVENT_BYTES
from arazzo_runner.validation.rules import validate_path
from arazzo_runner.wire.auth import PREFIX_EXTENSION, Credentials, env_var_name, is_fal_scheme
from arazzo_runner.wire.executor import StreamPolicy

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "arazzo_runner"
PAGES = {name: ROOT / "docs" / f"{name}.md" for name in ("credentials", "streaming")}
FAL_OPENAPI = ROOT / "openapi" / "fal-model-apis-openapi.yml"
FAL_WORKFLOW = "workflows/fal-ai-stream-inference-workflow.yml"

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
ENV_VAR = re.compile(r"\b(?:FAL_KEY(?:_ID|_SECRET)?|ARAZZO_[A-Z0-9_]*)(?![A-Za-z0-9_])")
EXTENSION = re.compile(r"(?<![\w-])x-[A-Za-z][A-Za-z-]*[A-Za-z]")
DOC_LINK = re.compile(r"docs/[a-z_-]+\.md")


def _text(name: str) -> str:
    return PAGES[name].read_text(encoding="utf-8")


def _all_text() -> str:
    return "\n".join(_text(name) for name in PAGES)


def _blocks(name: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _text(name), flags=re.S)


def _table(name: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the Markdown table whose header row starts with ``header``."""
    lines = [line.strip() for line in _text(name).splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _code(cell: str) -> str:
    found = re.fullmatch(r"`([^`]+)`", cell)
    assert found, f"expected one `code` span, got {cell!r}"
    return found.group(1)


def _cli_options() -> set[str]:
    options = {opt for param in cli.params for opt in (*param.opts, *param.secondary_opts)}
    for name in COMMANDS:
        command: click.Command = importlib.import_module(f"arazzo_runner.cli.{name}").command
        for param in command.params:
            options.update(opt for opt in (*param.opts, *param.secondary_opts))
        options.add("--help")
    return options


def _package_strings() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _fal_scheme() -> SecurityScheme:
    return SecurityScheme(
        key="falKey",
        type="apiKey",
        location="header",
        param_name="Authorization",
        extensions={PREFIX_EXTENSION: "Key "},
    )


# -- options, variables, extensions ------------------------------------------------------------


def test_pages_exist_and_link_only_to_existing_pages() -> None:
    for path in PAGES.values():
        assert path.is_file(), path
    for link in sorted(set(DOC_LINK.findall(_all_text()))):
        assert (ROOT / link).is_file(), f"{link} is mentioned but does not exist"


def test_every_option_mentioned_exists_in_the_cli() -> None:
    mentioned = set(OPTION.findall(_all_text()))
    assert {"--auth", "--stream", "--json", "--until", "--query", "--idle-timeout"} <= mentioned
    assert sorted(mentioned - _cli_options()) == []


def test_every_extension_key_mentioned_is_read_by_the_code() -> None:
    mentioned = set(EXTENSION.findall(_all_text()))
    assert {"x-arazzo-stream", "x-arazzo-runner-prefix", "x-allowReserved"} <= mentioned
    assert sorted(mentioned - _package_strings()) == []
    assert _exec_stream.STREAM_EXTENSION == "x-arazzo-stream"
    assert PREFIX_EXTENSION == "x-arazzo-runner-prefix"


def test_fal_variables_are_read_for_a_fal_scheme() -> None:
    mentioned = set(ENV_VAR.findall(_all_text()))
    assert {"FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"} <= mentioned
    scheme = _fal_scheme()
    assert is_fal_scheme(scheme)
    assert Credentials.from_sources({}, {"FAL_KEY": "k1"}).lookup(scheme) == "k1"
    pair = {"FAL_KEY_ID": "id", "FAL_KEY_SECRET": "secret"}
    assert Credentials.from_sources({}, pair).lookup(scheme) == "id:secret"
    assert Credentials.from_sources({"falKey": "given"}, {"FAL_KEY": "k1"}).lookup(scheme) == (
        "given"
    )


def test_arazzo_auth_variables_follow_the_documented_rule() -> None:
    rows = _table("credentials", "| scheme key | variable |")
    assert rows
    documented = {}
    for key_cell, var_cell in rows:
        key, var = _code(key_cell), _code(var_cell)
        assert env_var_name(key) == var
        scheme = SecurityScheme(key=key, type="http", scheme="bearer")
        assert Credentials.from_sources({}, {var: "t0ken"}).lookup(scheme) == "t0ken"
        documented[var] = key
    for name in set(ENV_VAR.findall(_all_text())) - {"FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"}:
        if name.endswith("_"):  # a prefix such as ARAZZO_AUTH_<KEY> or ARAZZO_AUTH_*
            assert env_var_name("anyKey").startswith(name), name
        else:
            assert name in documented, f"{name} is not in the scheme key -> variable table"


def test_fal_scheme_example_is_the_real_description() -> None:
    (block,) = [b for b in _blocks("credentials", "yaml") if PREFIX_EXTENSION in b]
    documented = yaml.safe_load(block)
    real = yaml.safe_load(FAL_OPENAPI.read_text(encoding="utf-8"))["components"]
    real_schemes = real["securitySchemes"]
    for key, scheme in documented.items():
        assert {k: real_schemes[key][k] for k in scheme} == scheme


# -- streaming: defaults and the x-arazzo-stream example ----------------------------------------


def _seconds_or_size(cell: str) -> float | int | None:
    if cell == "none":
        return None
    value, unit = cell.split()
    return {"s": float(value), "MiB": int(value) * 1024 * 1024}[unit]


def test_stated_bounds_are_the_code_defaults() -> None:
    rows = {_code(row[0]): _seconds_or_size(row[1]) for row in _table("streaming", "| bound |")}
    policy = StreamPolicy()
    assert rows == {
        "first_byte_timeout": policy.first_byte_timeout,
        "idle_timeout": policy.idle_timeout,
        "deadline": policy.deadline,
        "max_event_bytes": policy.max_event_bytes,
    }
    assert policy.max_event_bytes == DEFAULT_MAX_EVENT_BYTES
    for stream_type in (EventStream, AsyncEventStream):
        defaults = inspect.signature(stream_type.__init__).parameters
        for name, value in rows.items():
            assert defaults[name].default == value, (stream_type.__name__, name)
    run_command: click.Command = importlib.import_module("arazzo_runner.cli.run").command
    idle = next(p for p in run_command.params if "--idle-timeout" in p.opts)
    assert idle.default == rows["idle_timeout"]


def test_extension_keys_table_is_the_accepted_set() -> None:
    rows = _table("streaming", "| key | value | meaning |")
    assert {_code(row[0]) for row in rows} == set(_stream_spec.KEYS)


def test_stream_step_example_validates_and_compiles(tmp_path: Path) -> None:
    (block,) = [b for b in _blocks("streaming", "yaml") if "x-arazzo-stream:" in b]
    steps = yaml.safe_load(block)
    document = {
        "arazzo": "1.0.1",
        "info": {"title": "docs example", "version": "1.0.0"},
        "sourceDescriptions": [{"name": "fal", "url": FAL_OPENAPI.as_uri(), "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "example",
                "inputs": {"type": "object", "properties": {"input": {"type": "object"}}},
                "steps": steps,
            }
        ],
    }
    path = tmp_path / "example.arazzo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    errors = [d for d in validate_path(str(path), offline=True) if d.severity.value == "error"]
    assert errors == []
    root = open_workspace(str(path), offline=True).root
    assert root is not None
    spec = _exec_stream.stream_spec(root.workflows[0].steps[0])
    assert spec is not None and spec.until is not None
    assert (spec.max_events, spec.timeout) == (100, 120)
    assert spec.until.source == steps[0]["x-arazzo-stream"]["until"]


def test_python_names_the_page_uses_exist() -> None:
    text = _text("streaming")
    for name in ("events_received", "last_event", "last_event_id", "retry", "close"):
        assert f"`{name}" in text and hasattr(EventStream, name), name
    assert "aclose" in dir(AsyncEventStream)
    for name in ("status_code", "content_type", "body"):
        assert f"`{name}`" in text
    source = inspect.getsource(NotAnEventStream.__init__)
    assert all(f"self.{name} =" in source for name in ("status_code", "content_type", "body"))
    runner_type = importlib.import_module("arazzo_runner").Runner
    assert "stream_consumer" in inspect.signature(runner_type).parameters


# -- the --stream output, for real against the mock ---------------------------------------------


def _arazzo_run(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("uvicorn")
    pytest.importorskip("starlette")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAL_", "ARAZZO_AUTH"))}
    env["PYTHONPATH"] = str(ROOT)
    inputs = ["-i", "modelOwner=fal-ai", "-i", "modelName=any-llm", "-i", 'input={"prompt": "hi"}']
    command = [sys.executable, "-m", "arazzo_runner", "run", FAL_WORKFLOW, "--mock", "--stream"]
    return subprocess.run(
        [*command, *args, *inputs],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_stream_json_lines_have_the_documented_shape() -> None:
    (example,) = [b for b in _blocks("streaming", "json") if '"type": "event"' in b]
    documented: dict[str, Any] = json.loads(example)
    done = _arazzo_run("--json", "--until", "partial == `false`")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    events, result = lines[:-1], lines[-1]
    assert events, done.stdout
    for event in events:
        assert list(event) == list(documented)
        assert event["type"] == "event" and event["step"] == documented["step"]
        assert isinstance(event["data"], str) and isinstance(event["id"], str)
        assert event["retry"] is None or isinstance(event["retry"], int)
    assert json.loads(events[-1]["data"])["partial"] is False
    assert all(json.loads(e["data"])["partial"] is True for e in events[:-1])
    assert result["type"] == "result" and result["status"] == "passed"
    assert {"workflowId", "outputs", "steps"} <= set(result)


def test_stream_human_lines_have_the_documented_shape() -> None:
    (block,) = [b for b in _blocks("streaming", "text") if "#1" in b]
    prefix = block.split("{", 1)[0]  # "[openStream] #1 event: "
    shown = _arazzo_run()
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith(prefix), (first, prefix)
    assert json.loads(first[len(prefix) :])["partial"] is True
