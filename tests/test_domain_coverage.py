"""docs/domain-coverage.md maps every element of the source documents to where Frontline
implements it. Every reference in it must resolve (the persona, rubric criterion, move,
effect, reaction, policy, expectation or test exists), every status is one of the known
ones with its reason, and every implemented element names what holds it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from domain_doc import ROOT, SOURCE_IDS, read_sections, seeds_dir

from simulator.calibration.policies import POLICIES
from simulator.grading import RubricLibrary
from simulator.moves.vocabulary import Move
from simulator.persona import model as persona_model
from simulator.reactions import Reaction

COVERAGE = ROOT / "docs" / "domain-coverage.md"
STATUSES = ("implemented", "partly", "not yet", "out of scope")
_REF = re.compile(r"`([a-z]+):([^`]+)`")


@dataclass
class Row:
    line: int
    id: str
    anchor: str
    sections: list[str]
    element: str
    implemented_in: str
    status: str
    held_by: str


def read_rows(path: Path = COVERAGE) -> list[Row]:
    """The table rows: '| 000-01 | 'anchor' | §3.9 | element | refs | status | held by |'."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not re.match(r"^\| \d{3}-\d{2} \|", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 7, f"docs/domain-coverage.md:{n}: {len(cells)} columns, not 7"
        anchor = cells[1].strip("'")
        rows.append(Row(n, cells[0], anchor, re.findall(r"§\d+(?:\.\d+)*", cells[2]), *cells[3:]))
    return rows


class Resolver:
    """Says whether a `kind:id` reference names something that exists."""

    def __init__(self):
        self.rubrics = RubricLibrary(ROOT / "rubrics")
        effects = yaml.safe_load((ROOT / "simulator/customer/effects.yaml").read_text("utf-8"))
        self.effects = effects
        exp = yaml.safe_load((ROOT / "simulator/calibration/expectations.yaml").read_text("utf-8"))
        self.expectations = {e["id"] for e in exp["expectations"]}

    def resolves(self, kind: str, ref: str) -> bool:
        if kind == "persona":
            return (ROOT / "personas" / f"{ref}.yaml").is_file()
        if kind == "field":
            model, _, name = ref.partition(".")
            cls = getattr(persona_model, model, None)
            return cls is not None and name in getattr(cls, "model_fields", {})
        if kind == "move":
            return ref in {m.value for m in Move}
        if kind == "reaction":
            return ref in {r.value for r in Reaction}
        if kind == "effect":
            node = self.effects["moves"] if ref in self.effects["moves"] else self.effects
            for part in ref.split("."):
                if not isinstance(node, dict) or part not in node:
                    return False
                node = node[part]
            return True
        if kind in ("criterion", "stage", "phrasing"):
            rubric_id, _, item = ref.partition("/")
            if rubric_id not in self.rubrics.ids():
                return False
            rubric = self.rubrics.get(rubric_id)
            if kind == "criterion":
                return item in {c.id for _, c in rubric.criteria()}
            if kind == "stage":
                return item in {s.id for s in rubric.stages}
            return item in {p.move.value for p in rubric.phrasing}
        if kind == "rubric":
            return ref in self.rubrics.ids()
        if kind == "exam":
            return (ROOT / "rubrics" / "exams" / f"{ref}.yaml").is_file()
        if kind == "policy":
            return ref in POLICIES
        if kind == "expectation":
            return ref in self.expectations
        if kind == "doc":
            return (ROOT / ref).is_file()
        if kind == "test":
            path, _, name = ref.partition("::")
            file = ROOT / path
            return (
                file.is_file()
                and re.search(rf"^def {re.escape(name)}\(", file.read_text("utf-8"), re.M)
                is not None
            )
        return False


@pytest.fixture(scope="module")
def rows():
    return read_rows()


@pytest.fixture(scope="module")
def resolver():
    return Resolver()


def test_rows_are_numbered_by_source_and_unique(rows):
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    assert {i[:3] for i in ids} == set(SOURCE_IDS)
    assert len(rows) >= 122  # the audit counted 122 elements


def test_every_reference_resolves(rows, resolver):
    bad = [
        f"docs/domain-coverage.md:{r.line}: `{kind}:{ref}`"
        for r in rows
        for kind, ref in _REF.findall(r.implemented_in + " " + r.held_by)
        if not resolver.resolves(kind, ref)
    ]
    assert not bad, "references that name nothing:\n" + "\n".join(bad)


def test_the_resolver_refuses_what_does_not_exist(resolver):
    assert resolver.resolves("criterion", "tactics/i-will")
    assert resolver.resolves("effect", "temperament.rational.comfort_without_facts")
    assert resolver.resolves("test", "tests/test_domain_coverage.py::test_every_reference_resolves")
    for kind, ref in [
        ("criterion", "tactics/no-such"),
        ("criterion", "nope/i-will"),
        ("persona", "ghost"),
        ("move", "telepathy"),
        ("effect", "moves.x"),
        ("reaction", "swoon"),
        ("field", "Case.colour"),
        ("policy", "saint"),
        ("expectation", "unicorns"),
        ("test", "tests/cli/test_cli.py::test_x"),
        ("stage", "carp/nope"),
        ("phrasing", "carp/thank"),
        ("weird", "x"),
    ]:
        assert not resolver.resolves(kind, ref), (kind, ref)


def test_every_status_is_known_and_says_why(rows):
    for r in rows:
        where = f"docs/domain-coverage.md:{r.line}"
        assert r.status.startswith(STATUSES), f"{where}: status {r.status!r}"
        if r.status.startswith("out of scope"):
            assert re.match(r"out of scope: \S", r.status), f"{where}: no reason"
        if r.status.startswith("partly"):
            assert re.match(r"partly: \S", r.status), f"{where}: what is missing?"
        held = _REF.findall(r.held_by)
        if r.status.startswith(("implemented", "partly")):
            assert any(k in ("test", "expectation") for k, _ in held), (
                f"{where}: {r.id} is {r.status.split(':')[0]} but nothing holds it"
            )
            assert _REF.search(r.implemented_in), f"{where}: implemented where?"


def test_every_row_cites_an_existing_section(rows):
    sections = read_sections()
    for r in rows:
        assert r.sections and set(r.sections) <= set(sections), (r.line, r.sections)


def test_the_counts_paragraph_is_current(rows):
    counts = {s: sum(r.status.startswith(s) for r in rows) for s in STATUSES}
    text = COVERAGE.read_text(encoding="utf-8")
    expected = (
        f"<!-- counts --> {len(rows)} elements: {counts['implemented']} implemented, "
        f"{counts['partly']} partly, {counts['not yet']} not yet, "
        f"{counts['out of scope']} out of scope."
    )
    assert expected in text, expected


def test_the_anchors_are_verbatim_in_the_sources(rows):
    seeds = seeds_dir()
    if seeds is None:
        pytest.skip("the source documents are not beside this checkout (set FRONTLINE_SEEDS)")
    texts = {
        sid: next(seeds.glob(f"{sid}_*.txt")).read_text(encoding="utf-8") for sid in SOURCE_IDS
    }
    missing = [f"{r.id}: {r.anchor!r}" for r in rows if r.anchor not in texts[r.id[:3]]]
    assert not missing, "\n".join(missing)
