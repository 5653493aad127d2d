"""Rubric files: the shipped ones are valid and cite DOMAIN; bad ones give file:line:
field messages; the loader is fuzzed; the library reports broken files and unknown ids."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from domain_doc import read_sections
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems, NotFound
from simulator.grading import RubricLibrary, load_rubric, parse_rubric
from simulator.grading.rubric import Rubric, cited_sections
from simulator.grading.rubric_loader import DEFAULT_RUBRIC
from simulator.schema_export import SCHEMAS_DIR

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
FILES = sorted(RUBRICS.glob("*.yaml"))
# The sections of docs/domain.md (the domain reference every rule must trace back to).
DOMAIN_SECTIONS = set(read_sections())
FRAMEWORKS = {
    "four-stages": "§3.1",
    "mood-first": "§3.2",
    "tactics": "§3.7",
    "carp": "§3.8",
    "checklist": "§3.6",
}


@pytest.fixture(scope="module")
def library() -> RubricLibrary:
    return RubricLibrary(RUBRICS)


def test_shipped_rubrics_load_cleanly(library):
    assert not library.problems
    assert set(library.ids()) == set(FRAMEWORKS) | {DEFAULT_RUBRIC}
    assert library.get() is library.get(DEFAULT_RUBRIC)


@pytest.mark.parametrize("rubric_id,section", sorted(FRAMEWORKS.items()))
def test_each_framework_rubric_rests_on_its_section(library, rubric_id, section):
    rubric = library.get(rubric_id)
    assert rubric.domain == [section]
    for stage, criterion in rubric.criteria():
        assert section in cited_sections(stage.domain)
        assert section in cited_sections(criterion.domain), criterion.id


def test_default_rubric_combines_the_frameworks_trust_and_expectations(library):
    rubric = library.get()
    cited = {s for _, c in rubric.criteria() for s in cited_sections(c.domain)}
    assert {"§3.1", "§3.2", "§3.4", "§3.5", "§3.6", "§3.7"} <= cited
    assert [s.id for s in rubric.stages] == ["accept", "explain", "solution", "trust", "follow-up"]


def test_every_citation_names_a_domain_section(library):
    for rubric in library.rubrics.values():
        refs = (
            [rubric.domain[0]]
            + [s.domain for s in rubric.stages]
            + [c.domain for _, c in rubric.criteria()]
            + [p.domain for p in rubric.phrasing]
        )
        for ref in refs:
            assert cited_sections(ref) and set(cited_sections(ref)) <= DOMAIN_SECTIONS, ref


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_files_point_at_and_match_the_committed_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../simulator/schemas/rubric.schema.json"
    schema = json.loads((SCHEMAS_DIR / "rubric.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_criteria_that_share_an_id_mean_the_same_everywhere(library):
    seen: dict[str, tuple[str, str]] = {}
    for rubric in library.rubrics.values():
        for _, c in rubric.criteria():
            check = json.dumps(c.check.model_dump(mode="json", by_alias=True), sort_keys=True)
            other = seen.setdefault(c.id, (rubric.id, check))
            assert other[1] == check, f"{c.id} differs between {other[0]} and {rubric.id}"


def test_content_hash_is_stable_and_changes_with_content(library):
    rubric = library.get()
    again = load_rubric(RUBRICS / f"{DEFAULT_RUBRIC}.yaml")
    assert again.content_hash() == rubric.content_hash()
    data = yaml.safe_load((RUBRICS / f"{DEFAULT_RUBRIC}.yaml").read_text(encoding="utf-8"))
    data["stages"][0]["criteria"][0]["weight"] = 1
    assert Rubric.model_validate(data).content_hash() != rubric.content_hash()


# ------------------------------------------------------------------ errors
BASE = """\
schema_version: 1
id: tiny
title: Tiny
summary: A tiny rubric.
domain: [§3.1]
pass_mark: 60
levels:
  - {id: fail, label: Fail, min: 0}
  - {id: pass, label: Pass, min: 60}
stages:
  - id: only
    title: Only
    domain: §3.1
    criteria:
      - id: feel
        title: Feels
        domain: §3.1
        check: {requires: {move: empathise}}
        tip: Say it.
phrasing:
  - {move: calm_down, title: Calm, domain: §4, penalty: 10, tip: Don't.}
"""


def test_the_base_example_is_valid():
    assert parse_rubric(BASE).id == "tiny"


@pytest.mark.parametrize(
    "old,new,message",
    [
        (
            "schema_version: 1",
            "schema_version: 3",
            "t.yaml:1: schema_version: unsupported version 3; this Frontline reads 1, 2",
        ),
        (
            "        tip: Say it.\n",
            "        tip: Say it.\n        colour: red\n",
            "t.yaml:20: stages[0].criteria[0].colour: unknown field",
        ),
        (
            "{move: empathise}",
            "{move: empathy}",
            "t.yaml:18: stages[0].criteria[0].check.requires.move[0]: must be 'thank'",
        ),
        (
            "{move: empathise}",
            "{move: []}",
            "t.yaml:18: stages[0].criteria[0].check.requires.move: must have at least 1 item",
        ),
        (
            "{requires: {move: empathise}}",
            "{requires: {move: ask}, count: {move: ask}}",
            "t.yaml:18: stages[0].criteria[0].check: a condition needs exactly one of "
            "requires, before, with, position, count, agent_turns, record, call, all, any; "
            "got requires, count",
        ),
        (
            "{requires: {move: empathise}}",
            "{position: {move: ask}}",
            "stages[0].criteria[0].check.position: give exactly one of in_first or in_last",
        ),
        (
            "{requires: {move: empathise}}",
            "{count: {move: ask, min: 3, max: 1}}",
            "check.count: max (1) is below min (3)",
        ),
        (
            "domain: §3.1\n    criteria",
            "domain: section 3\n    criteria",
            "t.yaml:13: stages[0].domain: must be a DOMAIN section reference such as §3.2",
        ),
        (
            "{move: calm_down,",
            "{move: thank,",
            "phrasing[0].move: 'thank' is a good move, not a violation",
        ),
        ("pass_mark: 60", "pass_mark: 70", "pass_mark 70 must be the min of one level"),
        (
            "{id: fail, label: Fail, min: 0}",
            "{id: fail, label: Fail, min: 10}",
            "levels: the first level must start at min 0",
        ),
        (
            "{id: pass, label: Pass, min: 60}",
            "{id: fail, label: Pass, min: 60}",
            "duplicate level id: fail",
        ),
        (
            "      - id: feel\n",
            "      - id: feel\n        weight: 11\n",
            "stages[0].criteria[0].weight: must be at most 10 (got 11)",
        ),
        ("stages:\n", "stages: []\nx:\n", "t.yaml:11: x: unknown field"),
        ("title: Tiny", "title: [Tiny", "t.yaml:4: invalid YAML"),
    ],
)
def test_bad_rubrics_give_file_line_field_messages(old, new, message):
    assert old in BASE
    with pytest.raises(FileProblems) as exc:
        parse_rubric(BASE.replace(old, new, 1), "t.yaml")
    assert message in str(exc.value), str(exc.value)


def test_duplicate_criterion_ids_are_refused():
    doubled = BASE.replace(
        "phrasing:",
        """  - id: two
    title: Two
    domain: §3.1
    criteria:
      - {id: feel, title: Again, domain: §3.1, check: {requires: {move: ask}}, tip: Ask.}
phrasing:""",
    )
    with pytest.raises(FileProblems, match="duplicate criterion id: feel"):
        parse_rubric(doubled, "t.yaml")


def test_library_keeps_broken_files_as_problems_and_refuses_duplicates(tmp_path):
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(BASE)
    (tmp_path / "c.yaml").write_text("id: [")
    (tmp_path / "exams").mkdir()
    (tmp_path / "exams" / "e.yaml").write_text("not: a rubric")
    lib = RubricLibrary(tmp_path)
    assert lib.ids() == ["tiny"]
    assert [str(p).split(": ", 1)[1][:25] for p in lib.problems] == [
        "id: duplicate rubric id '",
        "invalid YAML: expected th",
    ]
    assert str(lib.problems[0]).startswith(str(tmp_path / "b.yaml"))
    with pytest.raises(NotFound, match=r"no rubric 'nope' .* \(known: tiny\)"):
        lib.get("nope")


# ------------------------------------------------------------------ fuzzing
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_any_text_is_a_rubric_or_problems(text):
    try:
        parse_rubric(text, "fuzz.yaml")
    except FileProblems as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml") for p in exc.problems)


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.text(max_size=12)
    | st.sampled_from(["empathise", "calm_down", "§3.1", "remedy", "x"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "requires",
                    "move",
                    "with",
                    "partner",
                    "before",
                    "after",
                    "first",
                    "then",
                    "position",
                    "in_last",
                    "count",
                    "min",
                    "all",
                    "any",
                    "id",
                ]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["check", "applies_if", "weight", "tip", "domain", "id"]), yaml_values)
def test_fuzz_criterion_fields_are_validated_not_crashed(field, value):
    data = yaml.safe_load(BASE)
    data["stages"][0]["criteria"][0][field] = value
    try:
        parse_rubric(yaml.safe_dump(data, allow_unicode=True), "fuzz.yaml")
    except FileProblems as exc:
        assert all(str(p).startswith("fuzz.yaml") for p in exc.problems)
