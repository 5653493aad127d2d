"""The company's rules on the case card (issue 14 item 1, first half; DOMAIN §3.9): each
shipped persona's case states what the agent may offer and where flexibility ends, the
persona model words it as the trainee's brief, and the CLI shows it before the
conversation. The brief never gives away the customer's own lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import FileProblems
from simulator.persona.loader import PersonaLibrary, parse_persona

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PersonaLibrary(ROOT / "personas")
FIXTURE = ROOT / "tests" / "fixtures" / "personas" / "fixture-rational-refund.yaml"


@pytest.mark.parametrize("persona_id", LIBRARY.ids())
def test_every_shipped_case_states_the_company_rules(persona_id):
    persona = LIBRARY.get(persona_id)
    rules = persona.case.company_rules
    assert rules is not None, f"{persona_id}: case.company_rules is missing"
    brief = persona.trainee_brief()
    assert brief[0] == (
        f"You work for {persona.identity.company}, answering by {persona.identity.channel}."
    )
    assert f"You may offer: {rules.standard}" in brief
    assert f"Flexibility ends: {rules.limit}" in brief
    # The customer's lines are for the trainee to find out, not to be told.
    text = " ".join(brief)
    assert persona.case.expectation not in text and persona.case.bottom_line not in text


def test_a_case_without_rules_says_so():
    persona = parse_persona(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name)
    assert persona.case.company_rules is None
    assert "states no company rules" in persona.trainee_brief()[-1]


def test_incomplete_rules_name_the_line_and_field():
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "\nstyle:", '\n  company_rules:\n    standard: "A refund."\nstyle:', 1
    )
    with pytest.raises(FileProblems) as caught:
        parse_persona(text, "broken.yaml")
    message = str(caught.value)
    assert "case.company_rules.limit" in message and "broken.yaml:" in message


def test_the_practice_header_shows_the_brief(cli):
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    result = cli("practice", "--persona", "aggressive-rational-billing", stdin="/end\n", env=env)
    assert result.returncode == 0, result.stderr
    rules = LIBRARY.get("aggressive-rational-billing").case.company_rules
    header = result.stdout.split("Customer:")[0]
    assert "You work for Brightline Mobile, answering by phone." in header
    assert f"You may offer: {rules.standard}" in header
    assert f"Flexibility ends: {rules.limit}" in header
