"""``$sourceDescriptions.<name>.<reference>`` as a value: an operationId or workflowId first,
then the Source Description's fields (Arazzo 1.1's resolution order, notes R11), run for real
against a server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arazzo_runner.runner import Runner
from tests.support.asgi_server import serve

OPENAPI = """\
openapi: 3.1.0
info: {title: pets, version: 1.0.0}
paths:
  /pets:
    get:
      operationId: listPets
      summary: every pet
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: array}}}
  /url:
    get:
      operationId: url
      summary: an operation whose id is a field name
      responses:
        '200': {description: ok}
"""

WORKFLOW = """\
arazzo: {version}
info: {{title: t, version: 1.0.0}}
sourceDescriptions:
  - {{name: pets, url: ./pets.openapi.yaml, type: openapi}}
  - {{name: flows, url: ./other.arazzo.yaml, type: arazzo}}
workflows:
  - workflowId: w
    steps:
      - stepId: list
        operationId: listPets
        outputs:
          operation: $sourceDescriptions.pets.listPets
          kind: $sourceDescriptions.pets.type
          shadowed: $sourceDescriptions.pets.url
          workflow: $sourceDescriptions.flows.other
          flowsType: $sourceDescriptions.flows.type
"""

OTHER = """\
arazzo: {version}
info: {{title: other, version: 1.0.0}}
sourceDescriptions:
  - {{name: pets, url: ./pets.openapi.yaml}}
workflows:
  - workflowId: other
    summary: the other workflow
    steps:
      - {{stepId: s, operationId: listPets}}
"""


def _outputs(tmp_path: Path, version: str) -> dict[str, Any]:
    (tmp_path / "pets.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "other.arazzo.yaml").write_text(OTHER.format(version=version))
    path = tmp_path / "w.arazzo.yaml"
    path.write_text(WORKFLOW.format(version=version))

    async def pets(request: Request) -> JSONResponse:
        return JSONResponse([{"name": "rex"}])

    app = Starlette(routes=[Route("/pets", pets)])
    with serve(app) as url:
        result = Runner(servers={"pets": url}, env={}, reveal_outputs=True, timeout=20).run(
            str(path)
        )
    assert result.passed, result.to_dict()
    return dict(result.steps[0].outputs)


def test_an_operation_id_evaluates_to_its_operation_object(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, "1.1.0")
    assert outputs["operation"]["operationId"] == "listPets"
    assert outputs["operation"]["summary"] == "every pet"
    assert outputs["kind"] == "openapi"


def test_an_id_wins_over_a_field_of_the_same_name(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, "1.1.0")
    assert outputs["shadowed"]["operationId"] == "url"  # the operation `url`, not the field


def test_a_workflow_id_of_an_arazzo_source_evaluates_to_its_workflow(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, "1.0.1")
    assert outputs["workflow"]["summary"] == "the other workflow"
    assert outputs["workflow"]["workflowId"] == "other"
    assert outputs["flowsType"] == "arazzo"
