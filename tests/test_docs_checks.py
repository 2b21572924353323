"""``docs/checks.md`` cannot rot: its commands run as shown, its checks and levels are the code's,
its failure line is the one a real run prints, and its YAML item schema is one the checks use."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from arazzo_runner.validation.contract import CHECKS, ITEM_EXTENSION, LEVELS
from tests.test_docs_cli import EXITS, ROOT, _env, blocks, commands

PAGE = ROOT / "docs" / "checks.md"


def test_the_commands_exit_as_the_page_says() -> None:
    ran = 0
    for block in blocks("checks.md", "sh"):
        for line in commands(block):
            expected = EXITS.search(line)
            done = subprocess.run(
                ["bash", "-c", line], cwd=ROOT, env=_env(), capture_output=True, text=True,
                timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == (int(expected.group(1)) if expected else 0), (line, done)
            ran += 1
    assert ran == 3


def test_every_check_and_level_has_its_place() -> None:
    text = PAGE.read_text(encoding="utf-8")
    headings = re.findall(r"^### `([a-z-]+)`", text, flags=re.M)
    assert headings == list(CHECKS)
    for level in LEVELS:
        assert f"| `{level}`" in text
    assert f"**`{ITEM_EXTENSION}`**" in text and "**`itemSchema`**" in text


def test_the_item_schema_example_is_a_schema() -> None:
    [block] = blocks("checks.md", "yaml")
    item = yaml.safe_load(block)["text/event-stream"]["itemSchema"]
    assert item["properties"]["data"]["contentMediaType"] == "application/json"


def test_the_failure_line_is_what_a_run_prints() -> None:
    """The page's example line, produced by the shop test description of the test suite."""
    from tests.test_contract_checks import _checks, _response

    shown = next(line for line in blocks("checks.md", "text")[0].splitlines() if line)
    checks = _checks("shop.openapi.yaml", "listItems")
    [finding] = _response(checks, 200, {"items": [{"name": "pen", "price": "cheap"}]})
    head, _, where = finding.reason.rpartition("schema ")
    assert shown.startswith(head)
    assert shown.endswith("shop.openapi.yaml:" + where.rsplit(":", 1)[1])
    fields = json.loads(json.dumps(finding.to_dict()))
    assert {"check", "severity", "pointer", "keyword", "schema"} <= set(fields)
