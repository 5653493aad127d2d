"""Complaint types (DOMAIN §2.3, source 002) change how the customer reacts, and the
shipped set has ordinary, reasonable customers (§2.6, sources 002 and 003) with matter and
attitude complaints, rational and emotional (issue 14 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.customer.effects import load_effects
from simulator.customer.machine import CustomerMachine
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import Archetype, ComplaintType, Temperament

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PersonaLibrary(ROOT / "personas")
COMFORT = "I'm so sorry this happened. That sounds really frustrating."
FIX = "I'll sort this out for you within two working days."


def first_step(persona_id: str, text: str):
    machine = CustomerMachine(LIBRARY.get(persona_id))
    start = machine.start()
    return start, machine.step(start, text)


def test_the_shipped_set_has_ordinary_customers_of_both_types_and_temperaments():
    kinds = {
        (p.case.type, p.temperament)
        for p in LIBRARY.personas.values()
        if p.archetype is Archetype.ORDINARY
    }
    for kind in (ComplaintType.MATTER, ComplaintType.ATTITUDE):
        for temperament in Temperament:
            assert (kind, temperament) in kinds, (kind, temperament)


@pytest.mark.parametrize("kind", list(ComplaintType))
def test_every_type_has_its_rules_citing_its_section(kind):
    rules = load_effects().complaint_type[kind.value]
    assert rules.multipliers and rules.domain.startswith(f"§2.3 {kind.value}")


@pytest.mark.parametrize(
    "attitude,matter",
    [
        ("ordinary-rational-dismissive-clerk", "ordinary-rational-faulty-earbuds"),
        ("ordinary-emotional-hung-up-on", "ordinary-emotional-cancelled-lessons"),
    ],
)
def test_comfort_weighs_more_with_an_attitude_complaint(attitude, matter):
    """Same temperament, same words: apology and empathy calm an attitude complaint more,
    and the change's reason says why (§2.3)."""
    calmed = {}
    for pid in (attitude, matter):
        start, step = first_step(pid, COMFORT)
        calmed[pid] = start.anger - step.state.anger
    assert calmed[attitude] > calmed[matter]
    _, step = first_step(attitude, COMFORT)
    assert any("an attitude complaint" in c.reason and "§2.3" in c.domain for c in step.changes)


def test_the_fix_weighs_more_with_a_matter_complaint():
    """A rational customer's trust gained from a plain fix and date: more for a matter
    complaint than for an attitude one (§2.3)."""
    gained = {}
    for pid in ("ordinary-rational-faulty-earbuds", "ordinary-rational-dismissive-clerk"):
        start, step = first_step(pid, FIX)
        gained[pid] = step.state.trust - start.trust
    assert gained["ordinary-rational-faulty-earbuds"] > gained["ordinary-rational-dismissive-clerk"]


def test_ordinary_customers_start_milder_than_the_difficult_ones():
    """§2.6: reasonable customers; they open less angry than any aggressive or VIP one and
    give more patience than the meek or the VIP."""
    ordinary = [p for p in LIBRARY.personas.values() if p.archetype is Archetype.ORDINARY]
    hot = [
        p for p in LIBRARY.personas.values() if p.archetype in (Archetype.AGGRESSIVE, Archetype.VIP)
    ]
    assert max(p.start.anger for p in ordinary) < min(p.start.anger for p in hot)
    assert all(p.thresholds.exit == "escalate" for p in ordinary)
    assert all(p.case.follow_up is not None for p in ordinary)
