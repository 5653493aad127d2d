"""docs/domain.md is the product's own domain reference: every '§N.M' cited by a persona,
rubric, effect, expectation, move, reaction or doc resolves to one of its sections, and
every section names the source documents (and the passages) it digests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from domain_doc import DOMAIN_DOC, ROOT, SOURCE_IDS, cited_sections, read_sections, seeds_dir

# Where citations live: the data trainers edit, the code's comments, the docs.
CITING_GLOBS = (
    "personas/*.yaml",
    "rubrics/**/*.yaml",
    "simulator/**/*.yaml",
    "simulator/**/*.py",
    "docs/*.md",
    "README.md",
)


def _citing_files() -> list[Path]:
    files = {p for g in CITING_GLOBS for p in ROOT.glob(g)}
    return sorted(files)


@pytest.fixture(scope="module")
def sections():
    return read_sections()


def test_the_reference_has_the_sections_the_product_was_built_on(sections):
    # The numbers cited before the reference moved into the repository keep their meaning.
    kept = {
        "§1",
        "§2",
        "§2.1",
        "§2.2",
        "§2.3",
        "§2.4",
        "§2.5",
        "§3",
        "§3.1",
        "§3.2",
        "§3.3",
        "§3.4",
        "§3.5",
        "§3.6",
        "§3.7",
        "§3.8",
        "§4",
        "§5",
    }
    assert kept <= set(sections)
    assert sections["§3.1"].title == "Four stages"
    assert sections["§2.4"].title == "Five difficult archetypes"
    assert sections["§3.7"].title == "TACTICS"


def test_every_section_names_its_sources(sections):
    problems = [p for s in sections.values() for p in s.problems]
    assert not problems, "\n".join(problems)
    for s in sections.values():
        assert s.sources, f"{s.number} names no source"
        assert all(anchors for anchors in s.sources.values()), s.number


def test_the_parser_reports_a_section_without_sources(tmp_path):
    doc = tmp_path / "domain.md"
    doc.write_text(
        "## §1 One\nSources: 002, 'x'.\n\ntext\n\n### §1.1 Two\ntext\n"
        "### §1.2 Three\nSources: 009, 'y'.\n## §1 One again\nSources: 000, 'z'\n",
        encoding="utf-8",
    )
    found = read_sections(doc)
    assert found["§1.1"].problems == ["line 7: no 'Sources:' line under §1.1"]
    assert "is not" in found["§1.2"].problems[0]
    assert "numbered twice" in found["§1"].problems[0]


def test_every_cited_section_exists(sections):
    missing = []
    for path in _citing_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for ref in cited_sections(line):
                if ref not in sections:
                    missing.append(f"{path.relative_to(ROOT)}:{n}: {ref}")
    assert not missing, "cited but not in docs/domain.md:\n" + "\n".join(missing)


def test_the_citing_files_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in _citing_files()}
    assert {
        "personas/aggressive-rational-billing.yaml",
        "rubrics/complaint-handling.yaml",
        "rubrics/exams/foundation.yaml",
        "simulator/customer/effects.yaml",
        "simulator/calibration/expectations.yaml",
        "simulator/moves/vocabulary.py",
        "docs/personas.md",
    } <= names


def test_citations_point_inside_the_repository():
    outside = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _citing_files()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"shared/DOMAIN\.md|\bDOMAIN\.md\b", line)
    ]
    assert not outside, outside


def test_the_anchors_are_verbatim_in_the_sources(sections):
    seeds = seeds_dir()
    if seeds is None:
        pytest.skip("the source documents are not beside this checkout (set FRONTLINE_SEEDS)")
    texts = {
        sid: next(seeds.glob(f"{sid}_*.txt")).read_text(encoding="utf-8") for sid in SOURCE_IDS
    }
    missing = [
        f"{s.number}: {sid} {a!r}"
        for s in sections.values()
        for sid, anchors in s.sources.items()
        for a in anchors
        if a not in texts[sid]
    ]
    assert not missing, "anchors not found in their source:\n" + "\n".join(missing)


def test_the_doc_says_what_a_citation_means():
    text = DOMAIN_DOC.read_text(encoding="utf-8")
    assert "`DOMAIN §N.M`" in text and "`docs/domain.md`" in text
