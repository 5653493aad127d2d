"""Over-promising never pays (DOMAIN §4.4; sources 001 and 004): an implausible guarantee
is not a timescale, raises a rational customer's doubt, which they voice in their own
words, and is at best neutral for an emotional customer. The calibration side (the
over-promiser never resolves more often than its realistic twin) is in
simulator/calibration/expectations.yaml and runs in tests/calibration/test_calibration.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.customer.machine import CustomerMachine
from simulator.customer.state import Outcome
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import Temperament
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest
from simulator.render.offline import OfflineRenderer, bank_for

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PersonaLibrary(ROOT / "personas")

# The billing customer's case, handled well up to the offer (the facts he needs asked).
BILLING_OPENING = [
    "Thank you for calling, and I'm so sorry about this, that sounds really frustrating. "
    "Could you give me your account number so I can pull up the payments?",
    "Thanks. Do you have the reference from your call on the 4th?",
]
GUARANTEE = "I'll refund the duplicate £64.50 and the £25 overdraft fee, I guarantee it, 100% sure."
REALISTIC = (
    "I'll refund the duplicate £64.50 and add £25 for the overdraft fee within "
    "three working days, and email you the confirmation."
)


def _run(persona_id: str, turns: list[str]):
    machine = CustomerMachine(LIBRARY.get(persona_id))
    state, steps = machine.start(), []
    for text in turns:
        step = machine.step(state, text)
        steps.append(step)
        state = step.state
    return steps


def test_a_guarantee_is_no_timescale():
    # The example: on main this made the billing customer accept with no date.
    last = _run("aggressive-rational-billing", BILLING_OPENING + [GUARANTEE])[-1]
    assert not last.state.timescale
    assert last.state.outcome is Outcome.ONGOING
    assert last.plan.reaction is not Reaction.ACCEPT


def test_the_same_offer_with_a_realistic_timescale_is_accepted():
    # The control: the customer is ready to settle; only the guarantee stood in the way.
    last = _run("aggressive-rational-billing", BILLING_OPENING + [REALISTIC])[-1]
    assert last.state.timescale and last.plan.reaction is Reaction.ACCEPT


def test_a_rational_customer_doubts_a_guarantee_in_his_own_words():
    persona = LIBRARY.get("aggressive-rational-billing")
    steps = _run(persona.id, BILLING_OPENING + [GUARANTEE])
    last = steps[-1]
    assert last.plan.reaction is Reaction.IMPLAUSIBLE_PROMISE
    doubt = [c for c in last.changes if c.reason.startswith("An implausible guarantee")]
    assert doubt and all(c.delta < 0 for c in doubt if c.field == "trust")
    assert all(c.delta > 0 for c in doubt if c.field == "anger")
    assert "§4.4" in doubt[0].domain
    reply = OfflineRenderer().reply(
        RenderRequest(persona=persona, state=last.state, plan=last.plan)
    )
    assert reply in bank_for(persona, Reaction.IMPLAUSIBLE_PROMISE, last.state.anger)


@pytest.mark.parametrize(
    "persona_id", [i for i in LIBRARY.ids() if LIBRARY.get(i).temperament is Temperament.RATIONAL]
)
def test_a_guarantee_never_raises_a_rational_customers_trust(persona_id):
    step = _run(persona_id, ["I guarantee this will never happen again."])[-1]
    guarantee = [c for c in step.changes if c.reason.startswith("An implausible guarantee")]
    assert guarantee, "the guarantee had no effect"
    assert all(c.delta <= 0 for c in guarantee if c.field == "trust")
    assert step.plan.reaction in (
        Reaction.IMPLAUSIBLE_PROMISE,
        Reaction.ESCALATE,
        Reaction.LEAVE,
    ), step.plan.reaction


@pytest.mark.parametrize(
    "persona_id", [i for i in LIBRARY.ids() if LIBRARY.get(i).temperament is Temperament.EMOTIONAL]
)
def test_a_guarantee_is_at_best_neutral_for_an_emotional_customer(persona_id):
    plain = _run(persona_id, ["I'm so sorry this happened to you."])[-1].state
    promised = _run(
        persona_id, ["I'm so sorry this happened to you. I guarantee this will never happen again."]
    )[-1].state
    assert promised.trust <= plain.trust and promised.anger >= plain.anger
    assert not promised.timescale


def test_every_persona_can_voice_doubt_about_a_guarantee():
    for pid in LIBRARY.ids():
        lines = LIBRARY.get(pid).phrases[Reaction.IMPLAUSIBLE_PROMISE]
        assert len(lines) >= 2, pid


@pytest.mark.parametrize("persona_id", LIBRARY.ids())
def test_a_time_inside_a_guarantee_is_no_timescale(persona_id):
    # "Within the hour" is recognised as a timescale, but said as a guarantee it is part
    # of the over-promise; a realistic time in a sentence of its own still counts.
    guaranteed = _run(persona_id, ["I guarantee it will be sorted within the hour."])[-1]
    assert not guaranteed.state.timescale
    both = _run(
        persona_id, ["I guarantee it will be sorted. You'll have it within two working days."]
    )[-1]
    assert both.state.timescale
