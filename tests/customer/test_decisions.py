"""The customer's reaction rules as data (simulator/customer/decisions.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.customer.decisions import CONDITIONS, DECISIONS_FILE, load_decisions
from simulator.customer.machine import CustomerMachine
from simulator.errors import FileProblems
from simulator.moves.vocabulary import Move
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction

ROOT = Path(__file__).resolve().parents[2]
PERSONA = PersonaLibrary(ROOT / "personas").get("meek-rational-subscription")


def test_the_shipped_rules_load_and_end_in_a_catch_all():
    rules = load_decisions()
    assert rules.rules[-1].when == [] and rules.rules[-1].reaction is Reaction.VENT
    used = {t.removeprefix("not ") for r in rules.rules for t in r.when}
    assert {c for c in used if not c.startswith("move:")} <= set(CONDITIONS)


def test_a_trainer_can_change_how_the_customer_reacts(tmp_path):
    """Moving 'calm down' to answer with 'argued_with' changes the machine's reaction,
    with no code change."""
    text = DECISIONS_FILE.read_text(encoding="utf-8").replace(
        "reaction: calm_down_backlash", "reaction: argued_with"
    )
    changed = tmp_path / "decisions.yaml"
    changed.write_text(text, encoding="utf-8")
    calm = "Please calm down."
    shipped = CustomerMachine(PERSONA)
    assert shipped.step(shipped.start(), calm).plan.reaction is Reaction.CALM_DOWN_BACKLASH
    machine = CustomerMachine(PERSONA, decisions=load_decisions(changed))
    assert machine.step(machine.start(), calm).plan.reaction is Reaction.ARGUED_WITH


@pytest.mark.parametrize(
    "bad, line, message",
    [
        ("when: [anger_fell]\n    reaction: vent", 7, "unknown condition"),
        ("when: [move:shout]\n    reaction: vent", 7, "unknown move"),
        ("when: []\n    reaction: sulk", 8, "reaction"),
    ],
)
def test_a_broken_rule_is_reported_with_file_line_and_field(tmp_path, bad, line, message):
    body = (
        "schema_version: 1\nrules:\n  - id: one\n    when: [hot]\n    reaction: vent\n"
        f"  - id: two\n    {bad}\n  - id: last\n    when: []\n    reaction: vent\n"
    )
    body = body.replace("when: [anger_fell]", "when: [anger_rose]")
    path = tmp_path / "decisions.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(FileProblems) as err:
        load_decisions(path)
    text = str(err.value)
    assert f"{path}:{line}: rules[1]" in text and message in text and "rules" in text


def test_rules_without_a_catch_all_are_refused(tmp_path):
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "schema_version: 1\nrules:\n  - {id: a, when: [hot], reaction: vent}\n", encoding="utf-8"
    )
    with pytest.raises(FileProblems, match="last rule"):
        load_decisions(path)


@settings(max_examples=200, deadline=None)
@given(
    facts=st.fixed_dictionaries({c: st.booleans() for c in CONDITIONS}),
    moves=st.sets(st.sampled_from(list(Move))),
)
def test_every_combination_of_facts_gets_exactly_the_first_rule_that_holds(facts, moves):
    rules = load_decisions()
    chosen = rules.decide(facts, moves)
    for rule in rules.rules:
        holds = all(
            (
                Move(t.split(":", 1)[1].removeprefix("not ")) in moves
                if t.removeprefix("not ").startswith("move:")
                else facts[t.removeprefix("not ")]
            )
            != t.startswith("not ")
            for t in rule.when
        )
        if holds:
            assert rule is chosen
            break
