"""Our validator against the labelled conformance corpus (``../shared/corpus``, read in place).

Every Arazzo document in ``MANIFEST.tsv`` (validity ``valid``, ``invalid`` or ``unknown``) is
validated offline; none may raise or hang. For the labelled ones, "ours" is
``invalid`` when we report an error, else ``valid``.

Two figures, for the Arazzo 1.0.x documents and for the 1.1 ones (``arazzo-1.1.0`` in the
manifest's features: the OAI 1.1 schema fixtures and Redocly's 1.1 rule tests) apart:

* **as labelled**: agreement with the manifest's labels as given;
* **corrected**: the same with the labels ``tests/data/corpus_disagreements.tsv`` corrects,
  each with its reason: ``label wrong: ...`` (the label contradicts the spec text, the
  official schema or the corpus's own rules, cited) or ``issue N item M: ...`` (the label
  contradicts what the issue demands, e.g. issue 16 item 3 names the OAI pet-coupons example
  for its ``pet_id``). A ``deliberate: ...`` row is a choice of ours and counts against us.

The corrected figures must reach the issues' bounds (valid accepted >= 95 %, invalid rejected
>= 95 %); both are written, as this test computes them, in ``docs/validation.md`` (checked
here, so the page cannot drift). Every disagreement is listed in the tsv; an unlisted
disagreement or a stale row fails.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from arazzo_runner.diagnostics import Diagnostic, has_errors
from arazzo_runner.validation.rules import validate_path

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DISAGREEMENTS = Path(__file__).parent / "data" / "corpus_disagreements.tsv"
LABELS = ("valid", "invalid", "unknown")


@dataclass(frozen=True)
class Outcome:
    path: str
    label: str
    ours: str
    seconds: float
    diagnostics: tuple[Diagnostic, ...]

    minor: str  # "1.1" for the manifest's arazzo-1.1.0 documents, else "1.0"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    with manifest.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["validity"] in LABELS]
    found = []
    for row in rows:
        start = time.perf_counter()
        diagnostics = validate_path(str(CORPUS / row["local_path"]), offline=True)
        seconds = time.perf_counter() - start
        ours = "invalid" if has_errors(diagnostics) else "valid"
        minor = "1.1" if "arazzo-1.1.0" in row["features_exercised"].split(",") else "1.0"
        outcome = Outcome(
            row["local_path"], row["validity"], ours, seconds, tuple(diagnostics), minor
        )
        found.append(outcome)
    return found


def _listed() -> dict[str, tuple[str, str, str]]:
    with DISAGREEMENTS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {r["local_path"]: (r["label"], r["ours"], r["reason"]) for r in rows}


HANG_SECONDS = 30.0
"""A guard against a document that never finishes, not a speed target: validate's speed is
measured in ``bench/`` (a 1 s bound here failed on a loaded 2-core machine)."""


def test_no_document_hangs_validation(outcomes: list[Outcome]) -> None:
    assert len(outcomes) > 300
    stuck = [(o.path, round(o.seconds, 2)) for o in outcomes if o.seconds > HANG_SECONDS]
    assert stuck == []


CORRECTING = re.compile(r"^(label wrong|issue \d+ item \d+( and item \d+)?): ")
REASON = re.compile(r"^(label wrong|issue \d+ item \d+( and item \d+)?|deliberate): \S")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
FIGURES = ("<!-- corpus figures: begin -->", "<!-- corpus figures: end -->")


def _corrected(outcomes: list[Outcome]) -> list[tuple[str, Outcome]]:
    """(label, outcome) with the labels corpus_disagreements.tsv corrects flipped."""
    wrong = {p for p, row in _listed().items() if CORRECTING.match(row[2])}
    flip = {"valid": "invalid", "invalid": "valid", "unknown": "unknown"}
    return [(flip[o.label] if o.path in wrong else o.label, o) for o in outcomes]


def _share(
    outcomes: list[Outcome], label: str, minor: str | None = None, corrected: bool = True
) -> tuple[int, int]:
    pairs = _corrected(outcomes) if corrected else [(o.label, o) for o in outcomes]
    base = [o for lab, o in pairs if lab == label and minor in (None, o.minor)]
    return len([o for o in base if o.ours == label]), len(base)


@pytest.mark.parametrize("minor", [None, "1.0", "1.1"])
def test_valid_documents_have_no_errors(outcomes: list[Outcome], minor: str | None) -> None:
    agreeing, base = _share(outcomes, "valid", minor)
    assert base >= (20 if minor == "1.1" else 40)
    assert agreeing / base >= 0.95, f"{agreeing}/{base}"


@pytest.mark.parametrize("minor", [None, "1.0", "1.1"])
def test_invalid_documents_have_errors(outcomes: list[Outcome], minor: str | None) -> None:
    agreeing, base = _share(outcomes, "invalid", minor)
    assert base >= (30 if minor == "1.1" else 50)
    assert agreeing / base >= 0.95, f"{agreeing}/{base}"


def _figure(share: tuple[int, int]) -> str:
    agreeing, base = share
    return f"{agreeing} of {base} ({100 * agreeing // base} %)"


def figures_table(outcomes: list[Outcome]) -> str:
    """The table docs/validation.md shows (percentages rounded down)."""
    lines = [
        "| documents | valid accepted, as labelled | invalid rejected, as labelled "
        "| valid accepted, corrected | invalid rejected, corrected |",
        "|---|---|---|---|---|",
    ]
    for minor, name in (("1.0", "Arazzo 1.0.x"), ("1.1", "Arazzo 1.1.0")):
        cells = [
            _figure(_share(outcomes, label, minor, corrected))
            for corrected in (False, True)
            for label in ("valid", "invalid")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_docs_show_the_figures_as_computed(outcomes: list[Outcome]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    begin, end = text.index(FIGURES[0]), text.index(FIGURES[1])
    shown = text[begin + len(FIGURES[0]) : end].strip()
    assert shown == figures_table(outcomes)


def test_arazzo_1_1_documents_are_judged_by_1_1_rules(outcomes: list[Outcome]) -> None:
    """No 1.1 document is turned away for its version; the official 1.1 schema is applied."""
    newer = [o for o in outcomes if o.minor == "1.1"]
    assert len(newer) >= 60
    codes = {d.code for o in newer for d in o.diagnostics}
    assert "unsupported-version" not in codes and "arazzo-1.1-field" not in codes
    assert "schema-1.1" in codes


def test_disagreements_are_exactly_the_listed_ones(outcomes: list[Outcome]) -> None:
    actual = {
        o.path: (o.label, o.ours) for o in outcomes if o.label != "unknown" and o.label != o.ours
    }
    listed = _listed()
    unlisted = sorted(set(actual) - set(listed))
    stale = sorted(p for p, row in listed.items() if actual.get(p) != row[:2])
    assert unlisted == [], "disagreements missing from corpus_disagreements.tsv"
    assert stale == [], "rows in corpus_disagreements.tsv that no longer disagree"


def test_disagreement_reasons_are_explained() -> None:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip("conformance corpus not found")
    reasons = [row[2] for row in _listed().values()]
    assert reasons
    assert all(REASON.match(r) for r in reasons), [r for r in reasons if not REASON.match(r)]
