"""Give-aways beyond the company's rules (issue 14 item 1; DOMAIN §3.9, source 000's
"prodigal son"): the persona recognises offers beyond its case card (a remedy marked
``beyond_rules``, a sum above ``company_rules.max_amount``), the customer may welcome them,
and every rubric's ``give_away`` rule penalises them with the reason on the scorecard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.customer.machine import CustomerMachine
from simulator.grading import RubricLibrary, grade
from simulator.moves.reading import reading_json
from simulator.persona.loader import PersonaLibrary
from simulator.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = PersonaLibrary(ROOT / "personas")
RUBRICS = RubricLibrary(ROOT / "rubrics")
BILLING = PERSONAS.get("aggressive-rational-billing")
LUGGAGE = PERSONAS.get("never-satisfied-rational-lost-luggage")


def given_away(persona, text: str) -> list[str]:
    """What the persona recognises as given away beyond its rules in ``text``."""
    reading = CustomerMachine(persona).read(text)
    return [f.beyond for f in reading.moves if f.beyond]


@pytest.mark.parametrize("pid", PERSONAS.ids())
def test_every_case_card_marks_a_give_away_its_customer_recognises(pid):
    p = PERSONAS.get(pid)
    assert p.case.company_rules is not None
    extras = p.give_aways()
    assert extras, f"{pid}: mark at least one remedy beyond_rules (§3.9)"
    for r in extras:
        why = given_away(p, r.example)
        assert why and r.description in why[0], (pid, r.id, why)


@pytest.mark.parametrize(
    ("text", "gives_away"),
    [
        # A sum above the £89.50 the error cost him, in a clause that offers it.
        ("I'll refund the £64.50 today and add £500 for the trouble.", True),
        ("On top of the refund I'll give you £1,000.", True),
        ("I'll refund the duplicate £64.50 today and add £25 for the overdraft fee.", False),
        # A sum that is said, not offered; or refused.
        ("I can see you were charged £129 in total.", False),
        ("I can't give you £500, but I'll refund the £64.50 within three working days.", False),
        # A remedy the case marks beyond the rules.
        ("I'll refund the £64.50 today, plus a free year of line rental.", True),
    ],
)
def test_sums_and_remedies_beyond_the_rules_are_recognised(text, gives_away):
    assert bool(given_away(BILLING, text)) is gives_away


def test_saying_back_a_demand_gives_nothing_away():
    # The restatement of what he wants is no offer of it (§3.2 restate, §3.9).
    said_back = "Just to check I have this right: you now want £1,800 in cash."
    assert given_away(LUGGAGE, said_back) == []
    machine = CustomerMachine(LUGGAGE)
    assert machine.interpret(machine.read(said_back), machine.start()).offers == []
    assert given_away(LUGGAGE, "I'll pay you £1,800 in cash compensation.")


def test_the_customer_may_be_pleased_but_the_grade_is_not(tmp_path):
    """The never satisfied are satisfied only by the impossible (§2.4): £1,800 cash
    warms him up, and the scorecard penalises it, citing §3.9, with the reason."""
    machine = CustomerMachine(LUGGAGE)
    state = machine.start()
    turns: list[dict] = []
    lines = [
        "Could you give me your booking reference and the flight number?",
        "What did you have to buy while you waited?",
        "Could you tell me anything else I should know about it?",
        "I'll pay you £1,800 in cash compensation within fourteen days.",
    ]
    before = None
    for text in lines:
        step = machine.step(state, text)
        if "1,800" in text:
            before = state
        state = step.state
        reading = json.loads(reading_json(step.reading))
        turns.append({"role": "agent", "text": text, "reading": reading})
        turns.append({"role": "customer", "text": "…"})
    assert state.offer == "cash-compensation" and state.trust > before.trust
    transcript = Transcript.model_validate(
        {
            "schema_version": 1,
            "persona": {"id": LUGGAGE.id, "hash": LUGGAGE.content_hash()},
            "turns": turns,
        }
    )
    for rubric in RUBRICS.rubrics.values():
        card = grade(transcript, rubric)
        [v] = [v for v in card.violations if v.move == "give_away"]
        assert v.penalty == rubric.give_away.penalty and "§3.9" in v.domain
        assert "£1,800 in cash compensation" in v.why and "No cash compensation" in v.why
        assert v.quote.startswith("I'll pay you £1,800")


def test_the_cli_scorecard_explains_a_give_away(cli, tmp_path):
    """Practise in the terminal, give £500 away, grade the export: the scorecard says
    what was given away and what to do instead."""
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    lines = [
        "Could you give me your account number?",
        "Do you have the reference from your call on the 4th?",
        "I'll refund the duplicate £64.50 to your account today and add £25 to cover the "
        "overdraft fee. I'll also add £500 for the trouble.",
        "/end",
    ]
    out = tmp_path / "t.json"
    run = cli(
        "practice",
        "--persona",
        BILLING.id,
        "--export",
        str(out),
        stdin="\n".join(lines) + "\n",
        env=env,
    )
    assert run.returncode == 0, run.stderr
    graded = cli("grade", str(out), env=env)
    assert graded.returncode == 0, graded.stderr
    text = graded.stdout
    assert "Gave away more than the company allows [§3.9, §3.4]" in text
    assert "Why: offered £500, more than the £89.50 the company allows" in text
    assert "Instead: Offer what the case card allows" in text


def test_the_html_scorecard_says_why_a_give_away_was_one():
    """The web scorecard shows the give-away with its reason, escaped (DOMAIN §3.9)."""
    from simulator.web.scorecard_html import scorecard_fragment

    machine = CustomerMachine(BILLING)
    text = "I'll refund the £64.50 today and add £500 <b>for the trouble</b>."
    step = machine.step(machine.start(), text)
    transcript = Transcript.model_validate(
        {
            "schema_version": 1,
            "persona": {"id": BILLING.id, "hash": BILLING.content_hash()},
            "turns": [
                {"role": "customer", "text": "You charged me twice."},
                {
                    "role": "agent",
                    "text": text,
                    "reading": json.loads(reading_json(step.reading)),
                },
            ],
        }
    )
    card = grade(transcript, RUBRICS.get()).model_dump(mode="json")
    html = scorecard_fragment(card, transcript)
    assert "Gave away more than the company allows" in html
    assert '<div class="sc-why"><b>Why:</b> offered £500, more than the £89.50' in html
    assert "<b>for the trouble</b>" not in html
