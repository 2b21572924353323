"""The headline: fal's stream events are checked against the description's ``x-itemSchema``
(``FalStreamEvent``), every event the mock serves included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner.document import load_file
from arazzo_runner.document.openapi import OpenAPIIndex, load_openapi
from arazzo_runner.results import Failure
from arazzo_runner.streaming import ServerSentEvent, SSEDecoder
from arazzo_runner.validation.contract import Contract, parse_severity
from tests.support.cli import arazzo

ROOT = Path(__file__).resolve().parents[1]
FAL = ROOT / "openapi" / "fal-model-apis-openapi.yml"
WORKFLOW = ROOT / "workflows" / "fal-ai-stream-inference-workflow.yml"


def _index() -> OpenAPIIndex:
    index, _ = load_openapi(load_file(FAL), FAL.resolve().as_uri(), lambda url: load_file(FAL))
    return index


def _hook(found: list[Failure], level: str = "error") -> Any:
    index = _index()
    operation = index.by_id("streamRequest")
    assert operation is not None
    checks = Contract(parse_severity({"event-schema": level})).operation(index, operation)
    assert checks is not None
    hook = checks.event_hook(200, "text/event-stream", found)
    assert hook is not None
    return hook


def _served_events() -> list[ServerSentEvent]:
    """Every event the description's examples make the mock send."""
    doc = yaml.safe_load(FAL.read_text())
    media = doc["paths"]["/{model_owner}/{model_name}/stream"]["post"]["responses"]["200"][
        "content"
    ]["text/event-stream"]
    events: list[ServerSentEvent] = []
    for example in media["examples"].values():
        for spec in example.get("x-arazzo-mock-events", []):
            data = spec["data"] if isinstance(spec["data"], str) else json.dumps(spec["data"])
            events.append(ServerSentEvent(spec.get("event") or "message", data))
        decoder = SSEDecoder()
        events += [*decoder.feed(example["value"].encode()), *decoder.close()]
    return events


def test_every_event_the_mock_serves_matches_the_item_schema() -> None:
    found: list[Failure] = []
    hook = _hook(found)
    events = _served_events()
    assert len(events) >= 8
    assert all(hook(event) for event in events)
    assert found == []


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"output": "x", "partial": "yes"}, "/data/partial", "type"),
        ({"partial": True}, "/data", "dependentRequired"),
        ({"progress": 1.5, "images": []}, "/data/progress", "maximum"),
        ({"images": [{"content_type": "image/png"}]}, "/data/images/0", "required"),
    ],
)
def test_a_broken_fal_event_is_named(data: Any, pointer: str, keyword: str) -> None:
    found: list[Failure] = []
    hook = _hook(found)
    assert not hook(ServerSentEvent("event", json.dumps(data)))
    [failure] = found
    assert (failure.pointer, failure.keyword) == (pointer, keyword)
    assert failure.schema is not None and "fal-model-apis-openapi.yml:" in failure.schema


def test_the_headline_workflow_on_the_mock_checks_every_event() -> None:
    done = arazzo(
        "run", str(WORKFLOW), "--mock", "--stream", "--json",
        "-i", "modelOwner=fal-ai", "-i", "modelName=any-llm",
        "-i", 'input={"prompt": "Why is the sky blue?"}',
        cwd=ROOT,
    )  # fmt: skip
    assert done.code == 0, done.text
    records = [json.loads(line) for line in done.out.splitlines() if line.strip()]
    assert sum(r.get("type") == "event" for r in records) >= 3
    result = records[-1]
    assert result["status"] == "passed" and "warnings" not in result["steps"][0]
