"""The reading of a turn: made once when the turn is taken, stored with it, graded as is.

The customer reacts to a reading and the grader grades the same reading, so what the
customer accepted is what the scorecard credits; a detector runs once per agent turn over
a whole session, its hints and its scorecard; old databases upgrade in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulator.errors import FrontlineError
from simulator.grading import RubricLibrary, grade
from simulator.grading.transcript_input import parse_json as parse_transcript
from simulator.moves.detector import RuleDetector, default_detector
from simulator.moves.reading import Found, Reading, reading_json
from simulator.moves.vocabulary import Move
from simulator.persona.loader import PersonaLibrary
from simulator.sessions import Conversation, SessionStore
from simulator.sessions.migrations import LATEST, MIGRATIONS
from simulator.web import grading as web_grading

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = PersonaLibrary(ROOT / "personas")
RUBRICS = RubricLibrary(ROOT / "rubrics")
EMPATHY = (
    "I'm so sorry, that sounds awful, being spoken to like that is upsetting and I "
    "completely understand why you're angry."
)


def say(chunks) -> str:
    return "".join(chunks)


def _rude_staff_session(store: SessionStore) -> Conversation:
    """A session in which the customer accepts an offer that only the persona's own remedy
    triggers recognise: the rules read "I'll raise it with the store manager" as a
    commitment and a timescale, not as a remedy."""
    persona = PERSONAS.get("aggressive-emotional-rude-staff")
    offer = next(r for r in persona.case.remedies if r.id == "raised-with-manager").example
    conv = Conversation.start(persona, store=store, user="ana")
    say(conv.opening())
    for text in [EMPATHY, *[f.example for f in persona.case.hidden_facts], offer]:
        say(conv.reply(text))
    assert conv.outcome.value == "resolved"
    return conv


def test_a_persona_remedy_the_customer_accepted_is_credited_by_the_grader(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3")
    conv = _rude_staff_session(store)
    offer_turn = conv.turns[-2]
    assert offer_turn.role == "agent"
    rules = {d.move for d in default_detector("en").detect(offer_turn.text)}
    assert Move.REMEDY not in rules  # the premise: the rules alone do not see a remedy
    found = [f for f in offer_turn.reading.moves if f.move is Move.REMEDY]
    assert [f.remedy for f in found] == ["raised-with-manager"]
    assert offer_turn.text[found[0].start : found[0].end] == found[0].text

    card = grade(conv.transcript(), RUBRICS.get())
    verdicts = {c.id: c for c in card.criteria}
    assert verdicts["concrete-remedy"].verdict == "met"
    assert verdicts["concrete-remedy"].evidence[0].quote == offer_turn.text
    assert verdicts["remedy-timescale"].verdict == "met"

    # The exported JSON carries the readings, so grading the file gives the same card.
    exported = parse_transcript(store.export_json(conv.session_id, "ana"), "t.json")
    assert grade(exported, RUBRICS.get()).model_dump() == card.model_dump()
    # The same words imported without readings are read afresh, by the rules alone.
    for turn in exported.turns:
        turn.reading = None
    fresh = {c.id: c.verdict for c in grade(exported, RUBRICS.get()).criteria}
    assert fresh["concrete-remedy"] == "missed"


def test_a_detector_runs_once_per_agent_turn_over_a_20_turn_session_hints_and_scorecard(
    tmp_path, monkeypatch
):
    calls = []
    real = RuleDetector.detect

    def counting(self, text):
        calls.append(text)
        return real(self, text)

    monkeypatch.setattr(RuleDetector, "detect", counting)
    monkeypatch.setenv("FRONTLINE_RUBRICS", str(ROOT / "rubrics"))
    base = PERSONAS.get("aggressive-rational-billing")
    # Room for 20 turns: no resolution, no exit, no patience drain.
    persona = base.model_copy(
        update={
            "max_turns": 30,
            "thresholds": base.thresholds.model_copy(
                update={
                    "escalate_at": 100.0,
                    "accept_anger": 0.0,
                    "accept_trust": 100.0,
                    "patience_drain": 0.0,
                }
            ),
        }
    )
    store = SessionStore(tmp_path / "s.sqlite3")
    conv = Conversation.start(persona, store=store, user="ana", rubric="complaint-handling")
    say(conv.opening())
    lines = [
        "I'm sorry, that sounds really frustrating.",
        "When exactly were you charged?",
        "I will look into the second charge myself.",
        "Could you tell me the amount?",
    ]
    hints = []
    for n in range(20):
        assert not conv.finished, f"the session ended after {n} turns"
        say(conv.reply(f"{lines[n % len(lines)]} ({n})"))
        hints.append(web_grading.next_stage(conv))
    assert len(calls) == 20
    conv.end()
    card = web_grading.scorecard_for(store, conv.session_id, "ana")
    assert card["agent_turns"] == 20
    assert len(calls) == 20  # the scorecard graded the stored readings: no detector call
    assert any(hints)


def test_the_incremental_hint_equals_a_full_partial_grade(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_RUBRICS", str(ROOT / "rubrics"))
    store = SessionStore(tmp_path / "s.sqlite3")
    persona = PERSONAS.get("aggressive-rational-billing")
    conv = Conversation.start(persona, store=store, user="ana", rubric="complaint-handling")
    say(conv.opening())
    for text in [
        "When were you charged?",
        "I'm so sorry, that sounds really frustrating.",
        "Thank you for telling us.",
        "I will refund the duplicate charge today.",
    ]:
        if conv.finished:
            break
        say(conv.reply(text))
        rubric = RUBRICS.get("complaint-handling")
        card = grade(conv.transcript(), rubric, partial=True)
        incremental = web_grading.grade_observed(web_grading._observed(conv), None, rubric)
        assert [(c.id, c.verdict) for c in incremental.criteria] == [
            (c.id, c.verdict) for c in card.criteria
        ]
        assert incremental.overall == card.overall


def test_a_reading_that_does_not_fit_its_turn_is_ignored_and_the_turn_read_afresh():
    text = "Thanks for waiting."
    forged = Reading(
        language="en",
        moves=[Found(move=Move.REMEDY, start=0, end=6, text="refund", quote=text, quote_start=0)],
    )
    assert not forged.fits(text)
    t = parse_transcript(
        '{"turns": [{"role": "customer", "text": "Hi."}, {"role": "agent", '
        f'"text": "{text}", "reading": {reading_json(forged)}}}]}}',
        "t.json",
    )
    card = grade(t, RUBRICS.get())
    assert all(not c.evidence or c.evidence[0].move != "remedy" for c in card.criteria)


def _old_database(path: Path) -> None:
    """A database as Frontline made it before migrations: the version-1 tables only."""
    conn = sqlite3.connect(path)
    for sql in MIGRATIONS[0][2]:
        conn.execute(sql)
    conn.execute(
        "INSERT INTO sessions VALUES ('abc', 'ana', 'aggressive-rational-billing', "
        "'h', NULL, 'training', 0, 'offline', '2026-01-01T00:00:00+00:00', "
        "'2026-01-01T00:00:00+00:00', 'ended', 'ongoing')"
    )
    conn.execute(
        "INSERT INTO turns VALUES ('abc', 0, 'customer', 'You charged me twice.', "
        "'2026-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO turns VALUES ('abc', 1, 'agent', 'I will refund the duplicate "
        "charge today.', '2026-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()


def test_an_old_database_is_upgraded_in_place_and_its_sessions_still_grade(tmp_path):
    path = tmp_path / "old.sqlite3"
    _old_database(path)
    with SessionStore(path) as store:
        versions = [r[0] for r in store._query("SELECT version FROM schema_migrations")]
        assert versions == [v for v, _, _ in MIGRATIONS] and versions[-1] == LATEST
        transcript = store.transcript("abc", "ana")
        assert transcript.turns[1].reading is None and transcript.language is None
        card = grade(transcript, RUBRICS.get())
        assert {c.id: c.verdict for c in card.criteria}["concrete-remedy"] == "met"
    with SessionStore(path) as store:  # opening again applies nothing twice
        assert len(store._query("SELECT version FROM schema_migrations")) == len(MIGRATIONS)


def test_a_database_newer_than_this_frontline_is_refused_clearly(tmp_path):
    path = tmp_path / "new.sqlite3"
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 'now')", (LATEST + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(FrontlineError, match="newer than this Frontline knows"):
        SessionStore(path)
