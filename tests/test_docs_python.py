"""Every ``python`` example in docs/python.md runs, as written, as a script.

The page says its examples talk to a pet store at http://127.0.0.1:8000 and a fal-like stream
at http://127.0.0.1:8001; here those are the test apps on free ports, and the addresses in the
example text are replaced by theirs. Each example runs in its own interpreter (``-W error``)
from the repository root, so its relative ``workflows/...`` paths work.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apps import make_fal_app, make_petstore_app
from tests.support.asgi_server import serve

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "python.md"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PETSTORE_URL, FAL_URL = "http://127.0.0.1:8000", "http://127.0.0.1:8001"


def examples() -> list[str]:
    return FENCE.findall(PAGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with (
        serve(make_petstore_app()) as petstore,
        serve(make_fal_app("finite", interval_ms=1)) as fal,
    ):
        yield {PETSTORE_URL: petstore, FAL_URL: fal}


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 6


@pytest.mark.parametrize("index", range(len(examples())))
def test_example_runs(index: int, servers: dict[str, str], tmp_path: Path) -> None:
    code = examples()[index]
    for written, real in servers.items():
        code = code.replace(written, real)
    script = tmp_path / f"example_{index}.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARAZZO_AUTH", "FAL_KEY"))}
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, f"example {index}:\n{code}\n{done.stdout}\n{done.stderr}"
    assert done.stderr == ""
