"""Which missed criteria a conversation in progress can still meet (the hint's filter).

Built from moves alone (no detector, no rubric file), so each case says exactly which
moves came in which turn."""

from __future__ import annotations

import pytest

from simulator.grading.achievable import still_achievable
from simulator.grading.conditions import Observed
from simulator.grading.rubric import Condition
from simulator.moves.detector import Detection
from simulator.moves.vocabulary import Move


def seen(*turns: list[str]) -> Observed:
    """A conversation in progress whose k-th agent turn shows the moves named in turns[k]."""
    out = []
    for k, moves in enumerate(turns):
        dets = tuple(Detection(Move(m), i, i + 1, "x", "x", i) for i, m in enumerate(moves))
        out.append((2 * k + 1, dets))
    return Observed(out, ended=False)


def cond(data: dict) -> Condition:
    return Condition.model_validate(data)


FEELINGS_FIRST = {"before": {"first": "empathise", "then": "remedy"}}


@pytest.mark.parametrize(
    ("check", "turns", "expected"),
    [
        # Order: open until the later move comes; then settled either way.
        (FEELINGS_FIRST, [["ask"]], True),
        (FEELINGS_FIRST, [["remedy"]], False),  # the case: remedy given first
        (FEELINGS_FIRST, [["remedy"], ["empathise"]], False),
        (FEELINGS_FIRST, [["empathise"], ["remedy"]], True),
        # A move anywhere: always still possible.
        ({"requires": {"move": "empathise"}}, [["ask"]] * 5, True),
        # In the first N turns: possible only while fewer than N turns have gone.
        ({"position": {"move": "thank", "in_first": 2}}, [["ask"]], True),
        ({"position": {"move": "thank", "in_first": 2}}, [["ask"], ["ask"]], False),
        ({"position": {"move": "thank", "in_first": 2}}, [["ask"], ["thank"]], True),
        ({"position": {"move": "check_satisfaction", "in_last": 2}}, [["ask"]] * 4, True),
        # Pairing: a later pair can meet it, unless each move needed its own partner.
        ({"with": {"move": "remedy", "partner": "timescale"}}, [["remedy"], ["ask"]], True),
        (
            {"with": {"move": "remedy", "partner": "timescale", "each": True}},
            [["remedy"], ["ask"]],
            False,
        ),
        (
            {"with": {"move": "remedy", "partner": "timescale", "after": 1, "each": True}},
            [["remedy"]],
            True,
        ),  # its window is still open
        # Count: too few can be made up, too many cannot be taken back.
        ({"count": {"move": "apologise", "min": 1, "max": 2}}, [["ask"]], True),
        (
            {"count": {"move": "apologise", "min": 1, "max": 1, "per": "turn"}},
            [["apologise"], ["apologise"]],
            False,
        ),
        # all / any combine their parts.
        ({"all": [FEELINGS_FIRST, {"requires": {"move": "ask"}}]}, [["remedy"]], False),
        ({"any": [FEELINGS_FIRST, {"requires": {"move": "ask"}}]}, [["remedy"]], True),
    ],
)
def test_still_achievable(check, turns, expected):
    assert still_achievable(cond(check), seen(*turns)) is expected


def test_hint_never_asks_for_feelings_before_a_remedy_already_given():
    """Through the web's hint filter on the shipped default rubric: after a bare remedy
    the order criterion is past mending, and the stage moves on from it."""
    from simulator.grading.grader import observe
    from simulator.grading.rubric_loader import RubricLibrary
    from simulator.transcript import Transcript, TranscriptTurn
    from simulator.web.grading import achievable_misses

    rubric = RubricLibrary().get("complaint-handling")
    order = [
        (s.id, c.id)
        for s in rubric.stages
        for c in s.criteria
        if c.check.kind == "before" and Move.EMPATHISE in c.check.before.first
    ]
    assert order, "the default rubric checks feelings before the remedy"
    turns = [
        TranscriptTurn(role="customer", text="My sofa broke again."),
        TranscriptTurn(role="agent", text="I'll send you a replacement sofa."),
        TranscriptTurn(role="customer", text="Hm."),
    ]
    still = achievable_misses(observe(Transcript(turns=turns), ended=False), rubric)
    assert not set(order) & still
    empathy = [
        (s.id, c.id)
        for s in rubric.stages
        for c in s.criteria
        if c.check.kind == "requires" and Move.EMPATHISE in c.check.requires.move
    ]
    assert set(empathy) <= still
