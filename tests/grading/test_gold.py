"""The gold set: hand-written transcripts of exemplary, adequate, poor and abusive handling
across the five archetypes (DOMAIN §2.4), graded in the expected order with the expected
criteria met and missed (tests/gold/expectations.yaml)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
import yaml

from simulator.grading import RubricLibrary, grade, parse_transcripts
from simulator.moves.encoder import encoder_installed, encoder_switched_off

ROOT = Path(__file__).resolve().parents[2]
GOLD = Path(__file__).resolve().parents[1] / "gold"
LIBRARY = RubricLibrary(ROOT / "rubrics")
EXPECTED = yaml.safe_load((GOLD / "expectations.yaml").read_text(encoding="utf-8"))["transcripts"]
QUALITIES = ["exemplary", "adequate", "poor", "abusive"]
ARCHETYPES = ["meek", "aggressive", "vip", "chronic", "never_satisfied"]
LEVELS = {"exemplary": {"distinction"}, "adequate": {"pass"}, "poor": {"fail"}, "abusive": {"fail"}}


def _load():
    loaded, problems = parse_transcripts(GOLD)
    assert not problems, problems
    return {Path(x.source).name: x.transcript for x in loaded}  # JSONL: "file.jsonl:2"


TRANSCRIPTS = _load()
CARDS = {name: grade(t, LIBRARY.get()) for name, t in TRANSCRIPTS.items()}


def test_the_gold_set_is_big_enough_and_covers_every_archetype_and_quality():
    assert set(TRANSCRIPTS) == set(EXPECTED)
    assert len(TRANSCRIPTS) >= 24
    for archetype in ARCHETYPES:
        for quality in QUALITIES:
            assert any(
                e["archetype"] == archetype and e["quality"] == quality for e in EXPECTED.values()
            ), (archetype, quality)


# Where the default reader (rules + encoder) is known to read a gold turn wrongly: the
# expectation stays the careful rater's, and the test says so until the reader is fixed
# (strict: it fails as soon as the reading is right). docs/moves.md, "Known errors".
KNOWN_ENCODER_ERRORS = {
    "never-satisfied-abusive.txt": "the encoder vetoes the rules' argue in 'You should have "
    "packed essentials in your hand luggage.'",
}
# Fixed: "chronic-poor.txt", "I'll book an engineer to repair it." read as a timescale (gone
# since the heads read where a sentence stands); "meek-poor.txt", "It says delivered on
# Tuesday." read as a timescale (gone since the heads read the sentence's n-grams);
# "vip-emotional-partial.json", the restatement "Just to confirm, your ... flight tonight
# was cancelled ..." read as a remedy; the remedy came from the whole turn's embedding (the
# turn's features), which the heads no longer read (docs/moves.md).


def _cases():
    on = encoder_installed() and not encoder_switched_off()
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_ENCODER_ERRORS[name]),
        )
        if on and name in KNOWN_ENCODER_ERRORS
        else name
        for name in sorted(EXPECTED)
    ]


@pytest.mark.parametrize("name", _cases())
def test_expected_level_criteria_and_violations(name):
    want, card = EXPECTED[name], CARDS[name]
    assert card.level == want["level"] and card.level in LEVELS[want["quality"]] | {"pass"}
    verdicts = {c.id: c.verdict for c in card.criteria}
    assert sorted(k for k, v in verdicts.items() if v == "missed") == sorted(want["missed"])
    assert sorted(k for k, v in verdicts.items() if v == "not_applicable") == sorted(
        want["not_applicable"]
    )
    assert [v.move for v in card.violations] == want["violations"]
    assert card.ended == want.get("ended", True)
    assert (card.customer.outcome.value if card.customer else None) == want.get("outcome")


def test_levels_follow_quality():
    for name, want in EXPECTED.items():
        if want.get("ended", True):
            assert CARDS[name].level in LEVELS[want["quality"]], name


def _by_quality(rubric_id: str, archetype: str) -> dict[str, list[float]]:
    rubric = LIBRARY.get(rubric_id)
    out: dict[str, list[float]] = {q: [] for q in QUALITIES}
    for name, want in EXPECTED.items():
        if want["archetype"] == archetype and want.get("ended", True):
            out[want["quality"]].append(grade(TRANSCRIPTS[name], rubric).overall)
    return out


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_default_rubric_orders_each_archetype_strictly(archetype):
    scores = _by_quality("complaint-handling", archetype)
    for better, worse in combinations(QUALITIES, 2):
        assert min(scores[better]) > max(scores[worse]), (better, worse, scores)


@pytest.mark.parametrize("rubric_id", sorted(set(LIBRARY.ids()) - {"complaint-handling"}))
def test_framework_rubrics_never_rank_worse_handling_higher(rubric_id):
    for archetype in ARCHETYPES:
        scores = _by_quality(rubric_id, archetype)
        for better, worse in combinations(QUALITIES, 2):
            assert min(scores[better]) >= max(scores[worse]), (archetype, better, worse)
        assert min(scores["exemplary"]) > max(scores["poor"]), (archetype, scores)


def test_abusive_handling_is_caught_by_the_phrasing_rules():
    for name, want in EXPECTED.items():
        if want["quality"] == "abusive":
            card = CARDS[name]
            assert len({v.move for v in card.violations}) >= 3 and card.overall == 0, name


# -- how the weights order the gold set (docs/rubrics.md; issue 12 item 6) ---------------
SOLVING = "concrete-remedy"  # the default rubric's resolution criterion (remedy or inform)


def _with_solving_weight(weight: int):
    rubric = LIBRARY.get().model_copy(deep=True)
    for stage in rubric.stages:
        for c in stage.criteria:
            if c.id == SOLVING:
                c.weight = weight
    return rubric


def weights_table() -> str:
    """The table docs/rubrics.md shows: each ended gold transcript's default-rubric score,
    with the shipped weight for solving and with the weight it had before (3)."""
    before = _with_solving_weight(3)
    rows = []
    order = {q: i for i, q in enumerate(QUALITIES)}
    for name in sorted(
        EXPECTED, key=lambda n: (EXPECTED[n]["archetype"], order[EXPECTED[n]["quality"]], n)
    ):
        want = EXPECTED[name]
        if not want.get("ended", True):
            continue
        card = CARDS[name]
        solved = {c.id: c.verdict for c in card.criteria}[SOLVING] == "met"
        rows.append(
            f"| {want['archetype'].replace('_', ' ')} | {want['quality']} | `{name}` | "
            f"{'yes' if solved else 'no'} | {card.overall:g} | "
            f"{grade(TRANSCRIPTS[name], before).overall:g} |"
        )
    head = (
        "| archetype | quality | transcript | solved | score | with solving weighed 3 |\n"
        "|---|---|---|---|---|---|"
    )
    return "\n".join([head, *rows])


@pytest.mark.skipif(
    not encoder_installed() or encoder_switched_off(),
    reason="the table shows the default reader's scores (the rules plus the encoder)",
)
def test_the_rubrics_doc_shows_how_the_weights_order_the_gold_set():
    doc = (ROOT / "docs" / "rubrics.md").read_text(encoding="utf-8")
    assert weights_table() in doc, "update the table in docs/rubrics.md:\n" + weights_table()


def test_solving_weighs_most_and_orders_handling():
    """Solving (a remedy, or the information that settles it) carries the most weight in
    every rubric (source 000: solving is 80% of the job), and in the gold set, within each
    quality, handling that solves outscores handling that does not."""
    for rubric in LIBRARY.rubrics.values():
        weights = {c.id: c.weight for _, c in rubric.criteria()}
        solving = [
            c.id
            for _, c in rubric.criteria()
            if c.check.requires is not None and set(c.check.requires.move) == {"remedy", "inform"}
        ]
        assert len(solving) == 1, rubric.id
        others = [w for cid, w in weights.items() if cid != solving[0]]
        assert weights[solving[0]] > max(others), rubric.id
    for quality in QUALITIES:
        solved, unsolved = [], []
        for name, want in EXPECTED.items():
            if want["quality"] != quality or not want.get("ended", True):
                continue
            verdict = {c.id: c.verdict for c in CARDS[name].criteria}[SOLVING]
            (solved if verdict == "met" else unsolved).append(CARDS[name].overall)
        if solved and unsolved:
            assert min(solved) > max(unsolved), (quality, solved, unsolved)
