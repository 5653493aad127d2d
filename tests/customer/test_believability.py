"""Believability fixes seen when Frontline was tried as a new user would (issue 14 item 8).

Each test reproduces one defect through the real thing (the terminal practice session, or
the customer machine and the persona files) and failed before its fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator import saferegex
from simulator.customer.machine import CustomerMachine
from simulator.customer.state import reasons_once
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = PersonaLibrary(ROOT / "personas")
SHIPPED = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}


def practise(cli, persona: str, *lines: str) -> str:
    """A terminal practice session with the shipped persona; its output."""
    run = cli(
        "practice", "--persona", persona, stdin="\n".join([*lines, "/end"]) + "\n", env=SHIPPED
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def mood_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith("mood:")]


# -- 1. sympathy heard as an argument -----------------------------------------------------
SYMPATHY = "Oh no, Doreen, that's rubbish, I'd be fuming too if that happened to me."


def test_sympathy_is_not_heard_as_an_argument(cli):
    """The meek customer answered this sympathy with "I'm sorry, I don't think I've made
    it up" (anger +22): "that's rubbish" about what happened to her is no contradiction
    (DOMAIN §3.6 empathy; §2.1 argue)."""
    out = practise(cli, "meek-emotional-late-delivery", SYMPATHY)
    assert "made it up" not in out
    assert "Argued or blamed the customer" not in out
    assert "anger" in mood_lines(out)[-1] and "↑" not in mood_lines(out)[-1].split("·")[0]
    # A real contradiction still is one.
    machine = CustomerMachine(PERSONAS.get("meek-emotional-late-delivery"))
    step = machine.step(machine.start(), "That's rubbish, you never ordered it.")
    assert step.plan.reaction is Reaction.ARGUED_WITH


# -- 2. a £25 nobody offered ----------------------------------------------------------------
@pytest.mark.parametrize(
    "turn",
    [
        "I'll refund the duplicate £64.50 within three working days, and I've noted the "
        "£25 overdraft fee.",
        "I can see the £25 overdraft fee on your statement, and I'll refund the £64.50 "
        "within three working days.",
        "I'll refund the duplicate payment within three working days and I'm sorry about "
        "the overdraft fee.",
        "I'll pay back the £64.50 today and you can ask your bank to waive the £25 fee.",
    ],
)
def test_the_billing_customer_hears_no_25_pounds_that_were_not_offered(turn):
    billing = PERSONAS.get("aggressive-rational-billing")
    machine = CustomerMachine(billing)
    assert "refund-plus-fee" not in machine.interpret(machine.read(turn), machine.start()).offers


@pytest.mark.parametrize(
    "turn",
    [
        "I'll refund the duplicate £64.50 to your account today and add £25 to cover the "
        "overdraft fee your bank charged.",
        "I'll refund both the £64.50 and the £25 overdraft fee today.",
        "I'll cover the overdraft fee and refund the £64.50 today.",
    ],
)
def test_the_25_pounds_offered_is_still_heard(turn):
    machine = CustomerMachine(PERSONAS.get("aggressive-rational-billing"))
    assert "refund-plus-fee" in machine.interpret(machine.read(turn), machine.start()).offers


def test_the_billing_customer_accepts_what_was_offered_not_25_pounds(cli):
    out = practise(
        cli,
        "aggressive-rational-billing",
        "I'm sorry about this. Could you give me your account number?",
        "Do you have the reference from your call on the 4th?",
        "I can see the £25 overdraft fee on your statement, and I'll refund the duplicate "
        "£64.50 within three working days and email you the confirmation. My name is Sam and "
        "my direct line is 0161 496 0000. Does that work for you?",
        "I'll take care of this personally, and you'll have the email today.",
    )
    customer = [line for line in out.splitlines() if line.startswith("Customer:")]
    assert customer and not any("£25" in line for line in customer[3:]), customer


# -- 3. a voucher nobody mentioned -----------------------------------------------------------
# Reactions that can follow an offer of any remedy: they must not name a particular one.
ANY_OFFER = (Reaction.NOT_HEARD, Reaction.PREMATURE_OFFER, Reaction.IMPLAUSIBLE_PROMISE)


@pytest.mark.parametrize("pid", PERSONAS.ids())
def test_replies_to_any_offer_name_no_remedy_of_their_own(pid):
    """The shop customer said "I don't want a voucher" when offered the kettle refund: a
    reply that follows whatever was offered names no remedy, except through {offer}."""
    p = PERSONAS.get(pid)
    triggers = [(r.id, [saferegex.compile(t) for t in r.triggers]) for r in p.case.remedies]
    for reaction in ANY_OFFER:
        entry = p.phrases[reaction]
        lines = entry.hot + entry.cool if hasattr(entry, "hot") else entry
        for line in lines:
            bare = re.sub(r"\{\w+\}", "", line)
            named = [rid for rid, pats in triggers if any(t.search(bare) for t in pats)]
            assert not named, f"{pid} {reaction.value}: {line!r} names {named}"


# -- 4. a question answered with an unrelated fact ------------------------------------------
def test_a_specific_question_gets_no_unrelated_hidden_fact():
    billing = PERSONAS.get("aggressive-rational-billing")
    machine = CustomerMachine(billing)
    start = machine.start()
    for question in ("When were you charged?", "What colour is your van?"):
        step = machine.step(start, question)
        assert step.plan.fact is None and step.state.revealed == [], question
    # Aimed at a fact: that fact; open: the next thing the customer has not said.
    assert machine.step(start, "Do you have the reference?").plan.fact == "previous-reference"
    assert machine.step(start, "Could you tell me what happened?").plan.fact == "account-number"


# -- 5. every reason twice --------------------------------------------------------------------
def test_each_reason_is_given_once(cli):
    """'Apologised; Apologised (not yet heard…)': the terminal listed the reason for the
    anger and again for the trust."""
    out = practise(
        cli,
        "meek-emotional-late-delivery",
        "Could you tell me what happened?",
        "I'll send a replacement dolls' house by tracked express tomorrow.",
    )
    for line in mood_lines(out)[1:]:
        reasons = re.search(r"\((.*)\)$", line).group(1)
        assert "Asked about the facts; Asked about the facts" not in reasons
        assert "Proposed a remedy; Proposed a remedy" not in reasons
    assert reasons_once(["Apologised", "Apologised (not yet heard)", "Apologised"]) == [
        "Apologised (not yet heard)"
    ]


def test_open_questions_are_pack_data_checked_by_validate(cli, tmp_path):
    """A trainer's questions.yaml extends a language; a broken one is reported at its line."""
    pack = tmp_path / "langs" / "en"
    pack.mkdir(parents=True)
    (pack / "questions.yaml").write_text('schema_version: 1\nopen:\n  - "(a+)+$"\n')
    run = cli("validate", "--languages", env={"FRONTLINE_LANGUAGES": str(tmp_path / "langs")})
    assert run.returncode == 1
    assert "questions.yaml:3: open[0]: nested repeat" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


# Every language's open questions (its pack's questions.yaml): an open question gets the
# next thing the customer has not said; a specific one about something else gets nothing.
OPEN_AND_SPECIFIC = {
    "es": ("¿Podría contarme qué pasó?", "¿De qué color es su furgoneta?"),
    "ru": ("Что именно случилось?", "Какого цвета ваш фургон?"),
    "zh": ("可以說說發生了什麼事嗎？", "您的車是什麼顏色？"),
    "bg": ("Бихте ли ми разказали какво се случи?", "Какъв цвят е вашият бус?"),
    "pt": ("Pode contar-me o que aconteceu?", "De que cor é a sua carrinha?"),
}


@pytest.mark.parametrize("language", sorted(OPEN_AND_SPECIFIC))
def test_open_questions_are_told_apart_in_every_language(language):
    machine = CustomerMachine(PERSONAS.get("aggressive-rational-billing").in_language(language))
    start = machine.start()
    open_question, specific = OPEN_AND_SPECIFIC[language]
    assert machine.step(start, specific).plan.fact is None, specific
    assert machine.step(start, open_question).plan.fact == "account-number", open_question


# Source 001 (§3.6): questions give the customer the chance to say what they would like
# as a resolution. Before, "What would you like us to do?" got the next hidden fact, or
# nothing; now the customer names the case's expectation, in the session's language.
WISH = {
    "en": "I'm so sorry. What would you like us to do?",
    "es": "Lo siento mucho. ¿Qué le gustaría que hiciéramos?",
    "ru": "Мне очень жаль. Что бы вы хотели, чтобы мы сделали?",
    "zh": "非常抱歉。您希望我们怎么处理？",
    "bg": "Много съжалявам. Какво бихте искали да направим?",
    "pt": "Sinto muito. O que a senhora gostaria que fizéssemos?",
}


@pytest.mark.parametrize("language", sorted(WISH))
def test_asked_what_they_want_the_customer_says_it(language):
    from simulator.render.base import RenderRequest
    from simulator.render.offline import OfflineRenderer
    from simulator.render.prompts import decision

    persona = PERSONAS.get("meek-emotional-late-delivery").in_language(language)
    machine = CustomerMachine(persona)
    step = machine.step(machine.start(), WISH[language])
    assert step.reading.recognitions.wish
    assert step.plan.wish and step.plan.fact is None
    request = RenderRequest(persona, step.state, step.plan)
    reply = "".join(OfflineRenderer().render(request))
    assert persona.case.expectation in reply, reply
    assert persona.case.expectation in decision(request)  # the LLM customer is told too
    # A question about a fact is still answered with the fact.
    fact_q = persona.case.hidden_facts[0].example
    assert not machine.step(machine.start(), fact_q).plan.wish
