"""The pytest plugin, driven through ``pytester`` on small sample projects.

Each project holds the real ``workflows/petstore.arazzo.yaml`` and its description, a file with
a passing and a failing login, an unrelated YAML file and a stray Arazzo file outside the
configured glob. Workflows run against the pet store app on 127.0.0.1, started here, whose URL
reaches the plugin through ``--arazzo-server`` or the ini key ``arazzo_servers``.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from arazzo_runner.pytest_plugin.items import is_arazzo_file
from arazzo_runner.pytest_plugin.options import inputs_file, matches
from tests.support.apps import make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "test-api-key"  # the pet store app's X-API-Key

LOGINS = """\
arazzo: 1.0.1
info: {title: Logins, version: 1.0.0}
sourceDescriptions:
  - name: petstore
    url: ../openapi/petstore.openapi.yaml
    type: openapi
workflows:
  - workflowId: good-login
    inputs:
      type: object
      additionalProperties: false
      properties:
        username: {type: string}
        password: {type: string}
    steps:
      - stepId: login
        operationId: loginUser
        requestBody:
          contentType: application/json
          payload: {username: $inputs.username, password: $inputs.password}
        successCriteria:
          - condition: $statusCode == 200
  - workflowId: bad-login
    steps:
      - stepId: login
        operationId: loginUser
        requestBody:
          contentType: application/json
          payload: {username: alice, password: hunter2-wrong}
        successCriteria:
          - condition: $statusCode == 200
"""

BROKEN = """\
arazzo: 1.0.1
info: {title: Broken, version: 1.0.0}
sourceDescriptions:
  - name: petstore
    url: ../openapi/petstore.openapi.yaml
    type: openapi
workflows:
  - workflowId: typo
    steps:
      - stepId: list
        operationId: listPetz
"""

HAND_WRITTEN = """\
def test_pets(arazzo):
    assert set(arazzo.servers) == {"petstore"}
    result = arazzo.run(
        "workflows/petstore.arazzo.yaml",
        inputs={"username": "alice", "password": "wonderland"},
    )
    assert result.passed, result.explain()
    assert result.outputs["petName"] == "Fido"
"""


ASYNC_HAND_WRITTEN = """\
import pytest


@pytest.mark.anyio
async def test_pets_async(arazzo):
    result = await arazzo.arun(
        "workflows/petstore.arazzo.yaml",
        inputs={"username": "alice", "password": "wonderland"},
    )
    assert result.passed, result.explain()
"""


@pytest.fixture(scope="module")
def petstore() -> Iterator[str]:
    with serve(make_petstore_app()) as url:
        yield url


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "workflows").mkdir()
    (pytester.path / "openapi").mkdir()
    (pytester.path / "other").mkdir()
    shutil.copy(ROOT / "workflows" / "petstore.arazzo.yaml", pytester.path / "workflows")
    shutil.copy(ROOT / "openapi" / "petstore.openapi.yaml", pytester.path / "openapi")
    files = {
        "workflows/logins.arazzo.yaml": LOGINS,
        "workflows/petstore.arazzo.inputs.yaml": (
            "login-list-get:\n  username: alice\n  password: wonderland\n"
        ),
        "workflows/notes.yaml": "title: not a workflow\nmeta:\n  arazzo: 1.0.1\n",
        "other/stray.arazzo.yaml": BROKEN,
    }
    for name, text in files.items():
        (pytester.path / name).write_text(text, encoding="utf-8")
    pytester.makeini("[pytest]\narazzo_files = workflows/*.yaml\n")
    return pytester


def server_args(url: str) -> list[str]:
    return ["--arazzo-server", f"petstore={url}", "--arazzo-auth", f"apiKeyAuth={SECRET_KEY}"]


GOOD_INPUTS = [
    "--arazzo-input",
    "good-login.username=alice",
    "--arazzo-input",
    "good-login.password=wonderland",
]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("name", "globs", "wanted"),
    [
        ("workflows/a.arazzo.yaml", ["*.arazzo.yaml"], True),
        ("deep/er/a.arazzo.yaml", ["*.arazzo.yaml"], True),
        ("a.yaml", ["*.arazzo.yaml"], False),
        ("workflows/a.yaml", ["workflows/*.yaml"], True),
        ("tests/workflows/a.yaml", ["workflows/*.yaml"], False),
        ("tests/workflows/a.yaml", ["**/workflows/*.yaml"], True),
        ("workflows/a.yaml", ["**/workflows/*.yaml"], True),
        ("workflows/a.arazzo.inputs.yaml", ["workflows/*.yaml"], False),
        ("workflows/a.txt", ["workflows/*"], False),
        ("workflows/a.yaml", [], False),
    ],
)
def test_globs(name: str, globs: list[str], wanted: bool) -> None:
    assert matches(Path("/p") / name, Path("/p"), globs) is wanted


@pytest.mark.parametrize(
    ("name", "text", "wanted"),
    [
        ("a.yaml", "# comment\narazzo: 1.0.1\n", True),
        ("a.yaml", "---\n'arazzo': 1.0.1\n", True),
        ("a.yaml", "meta:\n  arazzo: 1.0.1\n", False),
        ("a.yml", "openapi: 3.1.0\n", False),
        ("a.json", '{"info": {}, "arazzo": "1.0.1"}', True),
        ("a.json", '{"info": {"arazzo": "1.0.1"}}', False),
        ("a.json", '{"arazzo": "1.0.1",', True),  # broken JSON: the loader reports where
    ],
)
def test_only_files_with_a_top_level_arazzo_key(
    tmp_path: Path, name: str, text: str, wanted: bool
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert is_arazzo_file(path) is wanted


def test_inputs_file_is_named_after_the_workflow_file(tmp_path: Path) -> None:
    assert inputs_file(tmp_path / "pets.arazzo.yaml") is None
    (tmp_path / "pets.arazzo.inputs.json").write_text("{}", encoding="utf-8")
    assert inputs_file(tmp_path / "pets.arazzo.yaml") == tmp_path / "pets.arazzo.inputs.json"


def test_the_plugin_is_registered_under_pytest11() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("arazzo") == "arazzo_runner.pytest_plugin"


def test_one_item_per_workflow_only_from_matching_arazzo_files(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q")
    items = [line for line in result.outlines if "::" in line]
    assert items == [
        "workflows/logins.arazzo.yaml::good-login",
        "workflows/logins.arazzo.yaml::bad-login",
        "workflows/petstore.arazzo.yaml::login-list-get",
    ]
    assert result.ret == 0


def test_nothing_is_collected_without_a_glob_unless_named(
    project: pytest.Pytester, petstore: str
) -> None:
    project.makeini("[pytest]\n")
    assert project.runpytest().ret == pytest.ExitCode.NO_TESTS_COLLECTED
    named = project.runpytest("workflows/petstore.arazzo.yaml", *server_args(petstore))
    named.assert_outcomes(passed=1)


def test_passing_and_failing_workflows(project: pytest.Pytester, petstore: str) -> None:
    result = project.runpytest("-rA", *server_args(petstore), *GOOD_INPUTS)
    result.assert_outcomes(passed=2, failed=1)
    login_line = [i for i, t in enumerate(LOGINS.splitlines(), 1) if "stepId: login" in t][1]
    result.stdout.fnmatch_lines(
        [
            "*_ workflow bad-login _*",
            "workflow bad-login failed: step login failed: $statusCode is 401, expected == 200;"
            " HTTP 401 Unauthorized: invalid username or password",
            f"step login (workflows/logins.arazzo.yaml:{login_line}): failed (HTTP 401, 1 attempt)",
            "  criterion: $statusCode == 200",
            "     reason: $statusCode is 401, expected == 200",
            "  error: HTTP 401 Unauthorized: invalid username or password",
            "  exchange:",
            f"    > POST {petstore}/login",
            "    > Content-Type: application/json",
            '    > {"username": "alice", "password": "***"}',
            "    < 401",
            "*invalid username or password*",
            "steps run: login failed",
        ]
    )
    text = result.stdout.str()
    assert "hunter2-wrong" not in text and SECRET_KEY not in text and "wonderland" not in text
    assert "Traceback" not in text and "runner.py" not in text
    result.stdout.fnmatch_lines(["PASSED workflows/logins.arazzo.yaml::good-login"])


def test_ini_servers_and_inputs_with_command_line_overrides(
    project: pytest.Pytester, petstore: str
) -> None:
    project.makeini(
        "[pytest]\n"
        "arazzo_files = workflows/*.yaml\n"
        f"arazzo_servers = petstore={petstore}\n"
        "arazzo_inputs =\n"
        "    username=alice\n"
        "    password=wonderland\n"
        "arazzo_timeout = 30\n"
    )
    auth = ["--arazzo-auth", f"apiKeyAuth={SECRET_KEY}"]
    project.runpytest(*auth, "-k", "good").assert_outcomes(passed=1)
    wrong = project.runpytest(*auth, "--arazzo-input", "password=nope", "-k", "login")
    wrong.assert_outcomes(passed=0, failed=3)  # the command line beats the ini...
    only = project.runpytest(*auth, "--arazzo-input", "bad-login.password=nope", "-k", "good")
    only.assert_outcomes(passed=1)  # ...and a per-workflow input reaches only its workflow


def test_inputs_file_beside_the_workflow(project: pytest.Pytester, petstore: str) -> None:
    args = [*server_args(petstore), "-k", "login-list-get"]
    project.runpytest(*args).assert_outcomes(passed=1)
    (project.path / "workflows" / "petstore.arazzo.inputs.yaml").unlink()
    missing = project.runpytest(*args)
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(
        [
            "workflow 'login-list-get' inputs: missing required input 'username'*",
            "give inputs with --arazzo-input login-list-get.NAME=VALUE, ini arazzo_inputs,"
            " or petstore.arazzo.inputs.yaml beside the file",
        ]
    )


def test_bad_inputs_file_is_a_located_collection_error(project: pytest.Pytester) -> None:
    sidecar = project.path / "workflows" / "petstore.arazzo.inputs.yaml"
    sidecar.write_text("login-list-get:\n  - alice\n", encoding="utf-8")
    result = project.runpytest("--collect-only")
    result.stdout.fnmatch_lines(
        ["*ERROR collecting workflows/petstore.arazzo.yaml*", "*petstore.arazzo.inputs.yaml:2:*"]
    )


def test_invalid_document_is_a_collection_error_with_file_and_line(
    project: pytest.Pytester,
) -> None:
    (project.path / "workflows" / "broken.arazzo.yaml").write_text(BROKEN, encoding="utf-8")
    (project.path / "workflows" / "syntax.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo:\n  title: [unclosed\n  version: 1.0.0\n", encoding="utf-8"
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    line = line_of(BROKEN, "operationId: listPetz")
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting workflows/broken.arazzo.yaml*",
            "1 error(s) in the Arazzo document:",
            f"workflows/broken.arazzo.yaml:{line}:*listPetz*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*ERROR collecting workflows/syntax.arazzo.yaml*", "workflows/syntax.arazzo.yaml:*:*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_fixture_hands_a_configured_runner(project: pytest.Pytester, petstore: str) -> None:
    project.makepyfile(test_hand=HAND_WRITTEN)
    result = project.runpytest("test_hand.py", *server_args(petstore))
    result.assert_outcomes(passed=1)


def test_fixture_in_an_async_test(project: pytest.Pytester, petstore: str) -> None:
    project.makepyfile(test_hand_async=ASYNC_HAND_WRITTEN)
    result = project.runpytest("test_hand_async.py", *server_args(petstore))
    result.assert_outcomes(passed=1)


def test_marker_selects_or_drops_workflow_items(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_plain():\n    pass\n")
    kept = project.runpytest("-m", "not arazzo", "--collect-only", "-q")
    assert [line for line in kept.outlines if "::" in line] == ["test_plain.py::test_plain"]
    only = project.runpytest("-m", "arazzo", "--collect-only", "-q", "--strict-markers")
    assert len([line for line in only.outlines if "::" in line]) == 3


def test_unreachable_server_fails_the_item_with_the_reason(project: pytest.Pytester) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = project.runpytest(
        "--arazzo-server", f"petstore=http://127.0.0.1:{port}", "-k", "bad-login"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*could not connect to 127.0.0.1:{port}*", "*> POST *"])


def test_malformed_option_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--arazzo-server", "petstore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--arazzo-server expects SOURCE=URL*"])


def test_works_under_xdist(project: pytest.Pytester, petstore: str) -> None:
    result = project.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", *server_args(petstore), *GOOD_INPUTS, timeout=120
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*2 workers*", "*criterion: $statusCode == 200*", '*"password": "***"*']
    )
    assert SECRET_KEY not in result.stdout.str()


STRICT = """\
arazzo: 1.0.1
info: {title: strict, version: 1.0.0}
sourceDescriptions:
  - {name: petstore, url: ../openapi/petstore.openapi.yaml, type: openapi}
workflows:
  - workflowId: numeric-username
    steps:
      - stepId: login
        operationId: loginUser
        requestBody:
          contentType: application/json
          payload: {username: 5, password: wonderland}
        successCriteria:
          - condition: $statusCode == 200
"""


def test_severity_options_reach_the_runs(project: pytest.Pytester, petstore: str) -> None:
    """A username sent as a number breaks the request body's schema: the description check
    stops it; with ``--arazzo-severity request=off`` it is sent (and the server refuses it)."""
    (project.path / "workflows" / "strict.arazzo.yaml").write_text(STRICT, encoding="utf-8")
    checked = project.runpytest(*server_args(petstore), "-k", "numeric")
    checked.assert_outcomes(failed=1)
    checked.stdout.fnmatch_lines(["*request: the request body at /username: 5 is not of type*"])
    off = ["--arazzo-severity", "request=off"]
    sent = project.runpytest(*server_args(petstore), *off, "-k", "numeric")
    sent.assert_outcomes(failed=1)
    assert "request: the request body" not in sent.stdout.str()
    sent.stdout.fnmatch_lines(["*HTTP 401*"])


def test_a_bad_severity_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--arazzo-severity", "schema=loud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*schema=loud: the level must be one of error, warn, off*"])
