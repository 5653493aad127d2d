"""The follow-up call (DOMAIN §3.11; issue 14 item 5): after a resolved session the
trainee calls the customer back days later; the customer remembers whether the promise was
kept, late or broken (the scenario's choice), reacts to it, and the rubrics grade the call
on their follow-up stage. The follow-up session links to its original in the store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulator.customer.follow_up import choose_promise, follow_up_state, load_follow_up
from simulator.customer.state import Outcome
from simulator.errors import FrontlineError
from simulator.grading import RubricLibrary, grade
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import FollowUpScenario
from simulator.sessions import Conversation, SessionStore
from simulator.sessions.follow_up import start_follow_up

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = PersonaLibrary(ROOT / "personas")
RUBRICS = RubricLibrary(ROOT / "rubrics")
BILLING = PERSONAS.get("aggressive-rational-billing")
CALL = [
    "I'm so sorry, that sounds really frustrating. Could you give me your account number?",
    "Do you have the reference from your call on the 4th?",
    # A rational customer takes the bottom line once the rule is explained (§3.5).
    "Our billing system took the direct debit twice because of a glitch on the 1st; the rule "
    "for a duplicate charge is a full refund, so I'll refund the duplicate £64.50 within three "
    "working days and email you the confirmation.",
]
REPORT = "Hi Darren, it's Sam from Brightline. I can see the £64.50 refund has gone through."
OWN_IT = (
    "I'm sorry it took longer than we promised; that's on us, and I will make sure it doesn't "
    "happen again. Are you happy with how it was resolved?"
)
NEW_DATE = (
    "I'm so sorry, that's not good enough and it's on us. I'll refund the duplicate £64.50 "
    "within three working days and email you the confirmation today; I'll call you on "
    "Friday to check it has landed."
)


def resolved(store: SessionStore, seed: int = 0, text: list[str] = CALL) -> Conversation:
    conv = Conversation.start(BILLING, store=store, user="ana", seed=seed, rubric="four-stages")
    list(conv.opening())
    for line in text:
        list(conv.reply(line))
    assert conv.outcome is Outcome.RESOLVED
    return conv


def run(conv: Conversation, *lines: str) -> Conversation:
    list(conv.opening())
    for line in lines:
        if not conv.accepts_input:
            break
        list(conv.reply(line))
    return conv


# -- the customer remembers the promise -------------------------------------------------------
@pytest.mark.parametrize("promise", ["kept", "late", "broken"])
def test_the_customer_opens_with_how_the_promise_turned_out(store, promise):
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise=promise)
    opening = "".join(follow.opening())
    lines = BILLING.case.follow_up.phrases[promise]["opening"]
    # One of the scenario's lines for this outcome, placeholders filled.
    shapes = [re.sub(r"\\\{\w+\\\}", ".+", re.escape(line)) for line in lines]
    assert any(re.fullmatch(shape, opening) for shape in shapes), opening
    effect = load_follow_up().outcomes[promise]
    assert follow.state.follow_up == promise
    assert [c.reason for c in follow.steps[0].changes] == [effect.reason] * len(
        follow.steps[0].changes
    )


def test_kept_late_and_broken_leave_the_customer_progressively_worse(store):
    original = resolved(store)
    states = {p: follow_up_state(BILLING, original.state, p)[0] for p in ("kept", "late", "broken")}
    assert states["kept"].trust > states["late"].trust > states["broken"].trust
    assert states["kept"].anger < states["late"].anger < states["broken"].anger
    # A broken promise leaves no date standing: a new one is needed (§3.4 (2), §4.4).
    assert states["kept"].timescale and states["late"].timescale
    assert not states["broken"].timescale


def test_a_kept_promise_is_closed_by_reporting_and_checking(store):
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="kept")
    run(follow, REPORT)
    assert follow.outcome is Outcome.RESOLVED


# The late gate is the customer's mood: since a rule explained lowers a rational customer's
# expectation (§3.5), a first call opened with an apology ends calm enough that a report
# alone settles a late promise. This call leaves them crosser (no apology at the start).
CROSS_CALL = ["Could you give me your account number?", *CALL[1:]]


def test_a_late_promise_needs_the_delay_owned(store):
    original = resolved(store, text=CROSS_CALL)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="late")
    run(follow, REPORT)
    assert follow.outcome is Outcome.ONGOING  # reporting alone does not settle it
    list(follow.reply(OWN_IT))
    assert follow.outcome is Outcome.RESOLVED


def test_a_broken_promise_needs_a_new_date_and_a_report_is_no_news(store):
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="broken")
    run(follow, REPORT)
    assert follow.last_step.plan.reaction.value == "demand_action"
    assert follow.outcome is Outcome.ONGOING
    list(follow.reply(NEW_DATE))
    list(follow.reply("Thank you for bearing with us, Darren. Is there anything else?"))
    assert follow.state.timescale


def test_an_over_promise_is_always_found_broken():
    # §4.4: "I guarantee it" cannot be kept, whatever the trainee asks for.
    assert choose_promise(BILLING, _final(overpromised=True), seed=0, asked="kept") == "broken"
    assert choose_promise(BILLING, _final(), seed=0, asked="kept") == "kept"


def _final(**update):
    from simulator.customer.machine import CustomerMachine

    return CustomerMachine(BILLING).start().model_copy(update=update)


def test_the_seed_picks_among_the_scenarios_outcomes():
    picked = {choose_promise(BILLING, _final(), seed=s) for s in range(6)}
    assert picked == {"kept", "late", "broken"}
    assert choose_promise(BILLING, _final(), seed=4) == choose_promise(BILLING, _final(), seed=4)


def test_only_a_resolved_first_call_can_be_followed_up(store):
    conv = Conversation.start(BILLING, store=store, user="ana")
    list(conv.opening())
    list(conv.reply("Please calm down."))
    conv.end()
    with pytest.raises(FrontlineError, match="accepted"):
        start_follow_up(store, conv.session_id, PERSONAS, user="ana")
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana")
    run(follow, REPORT)
    with pytest.raises(FrontlineError, match="itself a follow-up"):
        start_follow_up(store, follow.session_id, PERSONAS, user="ana")
    with pytest.raises(FrontlineError, match="no session"):
        start_follow_up(store, original.session_id, PERSONAS, user="bob")  # not hers


def test_a_persona_without_a_scenario_says_so(store):
    lost = PERSONAS.get("never-satisfied-rational-lost-luggage")
    assert lost.case.follow_up is None
    with pytest.raises(FrontlineError, match="no follow-up scenario"):
        choose_promise(lost, _final(), seed=0)


def test_a_scenario_must_give_each_outcome_its_words():
    with pytest.raises(ValidationError, match="phrases.late lacks: accept"):
        FollowUpScenario.model_validate(
            {
                "phrases": {
                    "kept": {"opening": ["hi"], "accept": ["ok"]},
                    "late": {"opening": ["hi"]},
                    "broken": {"opening": ["hi"], "accept": ["ok"]},
                }
            }
        )
    # An outcome the scenario leaves out needs no words, and is never picked.
    only = FollowUpScenario.model_validate(
        {"outcomes": ["kept"], "phrases": {"kept": {"opening": ["hi"], "accept": ["ok"]}}}
    )
    assert only.outcomes == ["kept"]


# -- the store links the calls -----------------------------------------------------------------
def test_the_follow_up_links_to_its_original_and_resumes(store, tmp_path):
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="late")
    list(follow.opening())
    info = store.get(follow.session_id, "ana")
    assert info.follow_up_of == original.session_id and info.promise == "late"
    assert [s.id for s in store.follow_ups(original.session_id, "ana")] == [follow.session_id]
    again = Conversation.resume(store, follow.session_id, PERSONAS, user="ana")
    assert again.state.follow_up == "late" and again.persona.content_hash() == info.persona_hash
    assert store.transcript(follow.session_id, "ana").follow_up_of == original.session_id


# -- the rubrics grade the follow-up call on their follow-up stage -----------------------------
def test_the_follow_up_call_is_graded_on_the_follow_up_stage(store):
    original = resolved(store)
    follow = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="late")
    run(follow, REPORT, OWN_IT, "Thank you. What else can I help you with?")
    card = grade(follow.transcript(), RUBRICS.get("four-stages"))
    by_id = {c.id: c for c in card.criteria}
    assert by_id["report-result"].verdict == "met"
    assert by_id["check-satisfaction"].verdict == "met"
    for c in card.criteria:
        if c.stage != "follow-up":
            assert c.verdict == "not_applicable" and "follow-up call" in c.note
    silent = start_follow_up(store, original.session_id, PERSONAS, user="ana", promise="kept")
    run(silent, "Hello, it's Sam from Brightline. Are you happy with how it was resolved?")
    missed = {c.id: c for c in grade(silent.transcript(), RUBRICS.get("four-stages")).criteria}
    assert missed["report-result"].verdict == "missed"


def test_the_report_criterion_applies_only_in_the_follow_up_call(store):
    original = resolved(store)
    card = grade(original.transcript(), RUBRICS.get("complaint-handling"))
    result = next(c for c in card.criteria if c.id == "report-result")
    assert result.verdict == "not_applicable" and "follow-up call" in result.note


# -- the terminal ----------------------------------------------------------------------------
def test_the_cli_runs_the_follow_up_call(cli, tmp_path):
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    first = cli("practice", "--persona", BILLING.id, stdin="\n".join(CALL) + "\n/end\n", env=env)
    assert first.returncode == 0, first.stderr
    assert "frontline practice --follow-up " in first.stdout
    sid = first.stdout.split("frontline practice --follow-up ")[1].split()[0]
    done = cli(
        "practice",
        "--follow-up",
        sid,
        "--promise",
        "broken",
        "--export",
        "f.json",
        stdin=f"{REPORT}\n/end\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert f"days after session {sid}" in done.stdout
    assert "The promise was broken" in done.stdout
    assert '"follow_up_of": "' + sid in (tmp_path / "f.json").read_text()
    bad = cli("practice", "--follow-up", "nope", env=env)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "no session" in bad.stderr


@pytest.mark.parametrize("pid", PERSONAS.ids())
def test_every_resolvable_persona_has_a_follow_up_that_runs(pid, store):
    """Every persona the trainee can resolve can be followed up, in each of its outcomes;
    the never satisfied are never resolved, so they have none (§2.4, §3.11)."""
    persona = PERSONAS.get(pid)
    if persona.archetype.value == "never_satisfied":
        assert persona.case.follow_up is None
        return
    scenario = persona.case.follow_up
    assert scenario is not None, f"{pid} has no case.follow_up"
    from simulator.customer.follow_up import follow_up_persona

    for promise in scenario.outcomes:
        spoken = follow_up_persona(persona, promise)
        state, changes = follow_up_state(persona, _final(), promise)
        assert state.follow_up == promise and changes
        assert spoken.phrases["opening"] == scenario.phrases[promise]["opening"]
