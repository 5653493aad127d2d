"""Shared triggers: what every customer of a language reacts to beyond the moves
(``triggers.yaml`` in each language pack; simulator/customer/shared_triggers.py).

DOMAIN §3.4 (2), source 000 ("límite de tiempo de procesamiento de 24 horas": the sooner
within the time limit, the more trust) and §1.2, source 004 ("reafirmação de que não
tomaram uma decisão ruim"). Both were "not yet" / "partly" in docs/domain-coverage.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.customer.machine import CustomerMachine
from simulator.customer.shared_triggers import load_shared_triggers_file, shared_triggers
from simulator.errors import FileProblems
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import Temperament

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "simulator" / "languages"
LIBRARY = PersonaLibrary(ROOT / "personas")
MEEK = LIBRARY.get("meek-emotional-late-delivery")  # emotional, offered in all six languages
BILLING = LIBRARY.get("aggressive-rational-billing")  # rational, all six too

# (prompt offer, distant offer, reassurance) written in each language.
LINES = {
    "en": (
        "I'll send you a new one today.",
        "I'll send you a new one within ten working days.",
        "You did nothing wrong, it's not your fault.",
    ),
    "es": (
        "Le envío uno nuevo hoy mismo.",
        "Le envío uno nuevo en un plazo de diez días hábiles.",
        "No es culpa suya, usted no hizo nada mal.",
    ),
    "ru": (
        "Я отправлю вам новый сегодня.",
        "Я отправлю вам новый в течение десяти рабочих дней.",
        "Вы ни в чём не виноваты.",
    ),
    "zh": ("我今天就給您寄一個新的。", "我會在十個工作天內給您寄一個新的。", "這不是您的錯。"),
    "bg": (
        "Ще ви изпратя нов още днес.",
        "Ще ви изпратя нов в рамките на десет работни дни.",
        "Не сте виновни за нищо.",
    ),
    "pt": (
        "Envio-lhe um novo hoje mesmo.",
        "Envio-lhe um novo no prazo de dez dias úteis.",
        "Não foi culpa sua, não fez nada de errado.",
    ),
}


def shared_fired(machine: CustomerMachine, text: str) -> list[str]:
    """The ids of the shared triggers the turn set off."""
    rec = machine.read(text).recognitions
    own = len(machine.persona.triggers)
    return [machine.recogniser.triggers[i].id for i in rec.triggers if i >= own]


@pytest.mark.parametrize("language", sorted(LINES))
def test_a_prompt_time_limit_earns_more_trust_than_a_distant_one(language):
    machine = CustomerMachine(BILLING.in_language(language))
    soon, later, _ = LINES[language]
    assert shared_fired(machine, soon) == ["prompt-time-limit"], soon
    assert shared_fired(machine, later) == [], later
    start = machine.start()
    assert machine.step(start, soon).state.trust > machine.step(start, later).state.trust
    # Only the rational feel it (they want the result; §2.1), and never from a guarantee.
    assert shared_fired(CustomerMachine(MEEK.in_language(language)), soon) == []


def test_a_guarantee_is_no_prompt_time_limit():
    machine = CustomerMachine(BILLING)
    assert shared_fired(machine, "I guarantee it will be sorted today, 100%.") == []


@pytest.mark.parametrize("language", sorted(LINES))
def test_an_emotional_customer_is_glad_to_hear_it_was_no_mistake(language):
    _, _, reassure = LINES[language]
    emotional = CustomerMachine(MEEK.in_language(language))
    rational = CustomerMachine(BILLING.in_language(language))
    assert shared_fired(emotional, reassure) == ["not-a-bad-decision"], reassure
    assert shared_fired(rational, reassure) == []  # the rational want the fix (§2.1)
    step = emotional.step(emotional.start(), reassure)
    assert any("(shared trigger)" in r for r in step.reasons()), step.reasons()


def test_today_outside_the_timescale_clause_is_not_prompt():
    """'today' only counts inside the clause that gives the timescale: a refusal for today
    followed by next week is not a prompt time limit."""
    machine = CustomerMachine(BILLING)
    assert shared_fired(machine, "I can't do it today; it will be with you next week.") == []
    assert shared_fired(machine, "How are you today?") == []


def test_every_shipped_language_has_shared_triggers_and_examples_match():
    for pack in sorted(PACKS.iterdir()):
        path = pack / "triggers.yaml"
        if (pack / "pack.yaml").is_file():
            assert path.is_file(), f"{pack.name} has no triggers.yaml"
            found = load_shared_triggers_file(path)
            assert found.language == pack.name
            assert {t.id for t in found.triggers} == {"prompt-time-limit", "not-a-bad-decision"}


def test_a_language_without_a_pack_has_none():
    assert shared_triggers("xx-unknown", Temperament.RATIONAL) == []


def test_a_broken_file_names_its_line_and_field(tmp_path):
    bad = tmp_path / "en" / "triggers.yaml"
    bad.parent.mkdir()
    bad.write_text(
        "schema_version: 1\nlanguage: en\ntriggers:\n"
        "  - id: soon\n    pattern: '\\btoday\\b'\n    examples: ['tomorrow then']\n"
        "    effect: {trust: 3}\n    reason: soon\n",
        encoding="utf-8",
    )
    with pytest.raises(FileProblems) as err:
        load_shared_triggers_file(bad)
    text = str(err.value)
    assert "triggers.yaml:4" in text and "does not match its example" in text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_fuzz_a_turn_never_breaks_the_shared_triggers(text):
    machine = CustomerMachine(MEEK.in_language("zh"))
    shared_fired(machine, text)
