"""The complaint record (DOMAIN §3.10, source 001; issue 14 item 6): made after the call,
kept with the session, graded against the case field by field, and what the checklist's
"record the complaint" criterion reads (it used to read a restatement, a distortion)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from simulator.complaint_record import RECORD_FIELDS, ComplaintRecord
from simulator.customer.state import Outcome
from simulator.grading import RubricLibrary, grade, render_text
from simulator.grading.record_check import assess_record
from simulator.persona.loader import PersonaLibrary
from simulator.sessions import Conversation, SessionStore
from simulator.sessions.migrations import LATEST
from simulator.transcript import PersonaRef, Transcript, Turn

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = PersonaLibrary(ROOT / "personas")
RUBRICS = RubricLibrary(ROOT / "rubrics")
BILLING = PERSONAS.get("aggressive-rational-billing")

GOOD_CALL = [
    "I'm so sorry, that sounds really frustrating. Could you give me your account number?",
    "Do you have the reference from your call on the 4th?",
    # A rational customer takes the bottom line once the rule is explained (§3.5).
    "Our billing system took the direct debit twice because of a glitch on the 1st; the rule "
    "for a duplicate charge is a full refund, so I'll refund the duplicate £64.50 within three "
    "working days and email you the confirmation.",
    "Is there anything else I can help with?",
]
GOOD_RECORD = ComplaintRecord(
    topic="Billing: charged twice for the March bill",
    customer="Darren Hollis, account BM-7731-0492, previous reference CR-558120",
    date="1st March (called again on the 4th)",
    details="Direct debit of £64.50 taken twice; the second payment put him in his overdraft",
    resolution="Duplicate £64.50 refunded within three working days; he accepted",
    next_step="Process the refund and email the confirmation",
    deadline="Within three working days",
)


def billing_call(outcome: Outcome = Outcome.RESOLVED) -> Transcript:
    """The billing customer's call as the session runs it (customer words included)."""
    turns = [Turn("customer", "You took £64.50 out of my account twice on the 1st of March.")]
    answers = [
        "Account number's BM-7731-0492, in my name, Darren Hollis.",
        "The reference they gave me on the 4th was CR-558120.",
        "Fine. That's fair.",
        "No, that's all.",
    ]
    for agent, customer in zip(GOOD_CALL, answers, strict=True):
        turns += [Turn("agent", agent), Turn("customer", customer)]
    return Transcript(
        turns=turns,
        outcome=outcome,
        persona=PersonaRef(id=BILLING.id, hash=BILLING.content_hash()),
    )


def verdicts(record: ComplaintRecord, transcript: Transcript | None = None) -> dict[str, str]:
    result = assess_record(record, BILLING, transcript or billing_call())
    return {f.field: f.verdict for f in result.fields}


# -- the assessment, field by field ------------------------------------------------------
def test_a_faithful_record_meets_every_field():
    result = assess_record(GOOD_RECORD, BILLING, billing_call())
    assert result.against_case and result.complete, result.fields
    assert [f.field for f in result.fields] == [name for name, _, _ in RECORD_FIELDS]


@pytest.mark.parametrize(
    "field,wrong,why",
    [
        ("topic", "Rude staff in the shop", "kind of complaint"),
        ("customer", "Mr Smith", "name"),
        ("customer", "Darren Hollis", "CR-558120"),  # the reference he gave is lost
        ("date", "2nd June", "1, 4, march"),
        ("date", "no idea", "no date"),
        ("details", "angry caller", "too little"),
        ("resolution", "Gave him a voucher", "what was agreed"),
        ("next_step", "x", "too short"),
        ("deadline", "next month", "not the time you gave"),
        ("deadline", "soon", "no time"),
        ("topic", "", "left empty"),
    ],
)
def test_each_field_is_checked_against_the_case_with_the_reason(field, wrong, why):
    record = GOOD_RECORD.model_copy(update={field: wrong})
    result = assess_record(record, BILLING, billing_call())
    got = next(f for f in result.fields if f.field == field)
    assert got.verdict == "missed" and why in got.reason, got
    # The other fields are untouched by one wrong field.
    assert all(f.verdict == "met" for f in result.fields if f.field != field)


def test_an_unresolved_call_must_be_recorded_as_unresolved():
    call = billing_call(Outcome.ESCALATED)
    assert verdicts(GOOD_RECORD, call)["resolution"] == "missed"
    honest = GOOD_RECORD.model_copy(update={"resolution": "Not resolved: escalated to a manager"})
    assert verdicts(honest, call)["resolution"] == "met"


def test_money_is_not_a_date_or_a_deadline():
    # '£64.50' must not count as 'the 64th' or as the '50' of a deadline.
    record = GOOD_RECORD.model_copy(update={"date": "£64.50", "deadline": "£64.50"})
    v = verdicts(record)
    assert v["date"] == "missed" and v["deadline"] == "missed"


def test_without_the_persona_only_completeness_is_checked_and_it_says_so():
    result = assess_record(GOOD_RECORD.model_copy(update={"date": ""}), None, billing_call())
    assert not result.against_case
    assert [f.verdict for f in result.fields].count("missed") == 1
    assert all(
        "not checked against the case" in f.reason for f in result.fields if f.field != "date"
    )


def test_a_record_field_has_a_length_limit():
    with pytest.raises(ValidationError):
        ComplaintRecord(details="x" * 2001)
    with pytest.raises(ValidationError):
        ComplaintRecord(topic="billing", colour="red")  # no field beyond the record's


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from([n for n, _, _ in RECORD_FIELDS]), st.text(max_size=300)))
def test_any_record_is_graded_without_error(values):
    record = ComplaintRecord(**values)
    result = assess_record(record, BILLING, billing_call())
    assert len(result.fields) == len(RECORD_FIELDS)
    assert all(f.reason for f in result.fields)


# -- the rubric criterion ------------------------------------------------------------------
def criterion(card, cid: str = "record-details"):
    return next(c for c in card.criteria if c.id == cid)


def test_the_checklist_no_longer_grades_a_restatement_as_the_record():
    rubric = RUBRICS.get("checklist")
    restated = billing_call().model_copy(
        update={
            "turns": billing_call().turns
            + [Turn("agent", "Just to confirm, you were charged twice on the 1st of March.")]
        }
    )
    card = grade(restated, rubric, persona=BILLING)
    assert criterion(card).verdict == "missed"
    assert "no complaint record" in criterion(card).note
    assert "§3.10" in criterion(card).domain


def test_the_record_criterion_follows_the_record():
    rubric = RUBRICS.get("checklist")
    good = billing_call().model_copy(update={"record": GOOD_RECORD})
    card = grade(good, rubric, persona=BILLING)
    assert criterion(card).verdict == "met"
    assert card.record is not None and card.record.against_case and card.record.met == 7
    poor = GOOD_RECORD.model_copy(update={"resolution": "sorted", "deadline": "soon"})
    card = grade(good.model_copy(update={"record": poor}), rubric, persona=BILLING)
    assert criterion(card).verdict == "missed"
    assert "Resolution" in criterion(card).note and "Deadline" in criterion(card).note
    text = render_text(card)
    assert "Complaint record [§3.10]: 5/7 fields right" in text
    assert "MISSED Deadline: holds no time" in text


def test_a_partial_conversation_leaves_the_record_for_later():
    card = grade(billing_call(Outcome.ONGOING), RUBRICS.get("checklist"), persona=BILLING)
    assert criterion(card).verdict == "not_applicable"


def test_another_personas_case_is_not_used():
    rubric = RUBRICS.get("checklist")
    other = PERSONAS.get("meek-emotional-late-delivery")
    good = billing_call().model_copy(update={"record": GOOD_RECORD})
    card = grade(good, rubric, persona=other)
    assert card.record is not None and not card.record.against_case


# -- the store ---------------------------------------------------------------------------------
def test_the_record_is_kept_with_the_session_and_exported(tmp_path):
    with SessionStore(tmp_path / "s.sqlite3") as store:
        conv = Conversation.start(BILLING, store=store, user="ana")
        list(conv.opening())
        list(conv.reply(GOOD_CALL[0]))
        with pytest.raises(Exception, match="after the call"):
            store.save_record(conv.session_id, "ana", GOOD_RECORD)
        conv.end()
        store.save_record(conv.session_id, "ana", GOOD_RECORD)
        assert store.load_record(conv.session_id, "ana") == GOOD_RECORD
        exported = json.loads(store.export_json(conv.session_id, "ana"))
        assert exported["record"]["customer"].startswith("Darren Hollis")
        assert Transcript.model_validate(exported).record == GOOD_RECORD
        with pytest.raises(Exception, match="no session"):
            store.load_record(conv.session_id, "bob")  # a trainee sees only their own


def test_an_older_database_gains_the_records_table(tmp_path):
    path = tmp_path / "old.sqlite3"
    with SessionStore(path) as store:
        conv = Conversation.start(BILLING, store=store, user="ana")
        list(conv.opening())
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE records")
    conn.execute("DELETE FROM schema_migrations WHERE version = 6")
    conn.execute("DROP INDEX sessions_by_original")
    conn.execute("ALTER TABLE sessions DROP COLUMN follow_up_of")
    conn.execute("ALTER TABLE sessions DROP COLUMN promise")
    conn.commit()
    conn.close()
    with SessionStore(path) as store:
        assert store.load_record(conv.session_id, "ana") is None
        versions = [r[0] for r in store._query("SELECT version FROM schema_migrations")]
        assert max(versions) == LATEST
        assert store.get(conv.session_id, "ana").follow_up_of is None


# -- the terminal --------------------------------------------------------------------------------
def practise(cli, *lines: str):
    return cli(
        "practice",
        "--persona",
        BILLING.id,
        "--export",
        "t.json",
        stdin="\n".join(lines) + "\n",
        env={"FRONTLINE_PERSONAS": str(ROOT / "personas")},
    )


def test_the_cli_asks_for_the_record_after_the_call_and_grades_it(cli, tmp_path):
    record = [getattr(GOOD_RECORD, name) for name, _, _ in RECORD_FIELDS]
    done = practise(cli, *GOOD_CALL, *record[:-1], "next month")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("Outcome: resolved") < out.index("Record the complaint (§3.10)")
    assert "Complaint record: 6/7 fields right." in out
    assert "MISS Deadline: is not the time you gave the customer" in out
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["record"]["deadline"] == "next month"
    graded = cli(
        "grade",
        "t.json",
        "--rubric",
        "checklist",
        env={"FRONTLINE_PERSONAS": str(ROOT / "personas")},
    )
    assert "Complaint record [§3.10]: 6/7 fields right" in graded.stdout, graded.stderr


def test_the_cli_record_is_skippable(cli, tmp_path):
    done = practise(cli, *GOOD_CALL, "")
    assert done.returncode == 0, done.stderr
    assert "No record made." in done.stdout
    assert "record" not in json.loads((tmp_path / "t.json").read_text())
