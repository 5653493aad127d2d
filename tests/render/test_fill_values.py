"""The phrase-bank renderer's placeholder values stay in the persona's language.

{offer} and {rejected} without a remedy named in the plan were filled with the English
word "that", so a Spanish customer could say "Ay, muchas gracias, hija. that, qué
maravilla." (reported by the Bulgarian overlay's writer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.customer.state import CustomerState, ReactionPlan
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest
from simulator.render.offline import fill_values

ROOT = Path(__file__).resolve().parents[2]
MEEK = PersonaLibrary(ROOT / "personas").get("meek-emotional-late-delivery")


@pytest.mark.parametrize("language", ["es", "ru", "zh", "bg", "pt"])
def test_no_remedy_in_the_plan_is_no_english_word(language):
    persona = MEEK.in_language(language)
    plan = ReactionPlan(reaction=Reaction.ACCEPT)
    values = fill_values(
        RenderRequest(persona, CustomerState(anger=20, trust=50, patience=50), plan)
    )
    assert values["offer"] == persona.case.expectation
    assert values["rejected"] == persona.case.rejects[0]
    on_table = CustomerState(
        anger=20,
        trust=50,
        patience=50,
        offer=persona.case.remedies[0].id,
        rejected=["goodwill-voucher"],
    )
    values = fill_values(RenderRequest(persona, on_table, plan))
    assert values["offer"] == persona.case.remedies[0].description
    by_id = {r.id: r.description for r in persona.case.remedies}
    assert values["rejected"] == by_id["goodwill-voucher"]
