"""Names left over from a rename: the linter's [stale-name] warning and the designer's
replacement, on the shipped personas and on edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.calibration.lint import lint_persona
from simulator.persona.loader import PersonaLibrary, parse_persona
from simulator.persona.name_check import name_words, replace_name, stale_name_mentions

ROOT = Path(__file__).resolve().parents[2]
LIB = PersonaLibrary(ROOT / "personas")
RECLINER = "chronic-emotional-faulty-recliner"


@pytest.mark.parametrize("persona_id", LIB.ids())
def test_shipped_personas_name_no_one_else(persona_id):
    assert stale_name_mentions(LIB.get(persona_id)) == []


def renamed(text: str, old: str, new: str):
    return parse_persona(text.replace(f"name: {old}", f"name: {new}", 1), "x.yaml")


def test_a_renamed_persona_is_warned_about_by_line():
    path = ROOT / "personas" / f"{RECLINER}.yaml"
    text = path.read_text(encoding="utf-8")
    persona = renamed(text, "Bernadette Okafor", "Zora Quinn")
    warnings = [w for w in lint_persona(persona, "x.yaml", text) if w.code == "stale-name"]
    fields = {w.field: w for w in warnings}
    assert set(fields) == {"case.facts[0]", "case.hidden_facts[0].example"}
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "It's Bernie Okafor" in t)
    assert fields["case.facts[0]"].line == line
    assert "'Bernie Okafor'" in fields["case.facts[0]"].message


def test_titles_introductions_and_trigger_patterns_are_mentions():
    text = (ROOT / "personas" / "vip-emotional-cancelled-flight.yaml").read_text("utf-8")
    persona = renamed(text, "Dr Anand Mehra", "Dr Priya Rao")
    tops = {path[0] for path, _ in stale_name_mentions(persona)}
    assert {"triggers", "phrases"} <= tops, tops  # (Dr\.?|Doctor) Mehra; My name is Mehra.


def test_replace_name_swaps_the_full_name_and_its_first_and_last_words():
    text = (
        "name: Zora Quinn\nfact: It's Bernie Okafor.\nex: Mrs Okafor? Bernadette Okafor.\n"
        "not: Okaforville\n"
    )
    out, count = replace_name(text, "Bernadette Okafor", "Zora Quinn")
    assert out == (
        "name: Zora Quinn\nfact: It's Bernie Quinn.\nex: Mrs Quinn? Zora Quinn.\nnot: Okaforville\n"
    )
    assert count == 3
    assert replace_name(text, "Zora Quinn", "Zora Quinn") == (text, 0)


def test_name_words_leave_titles_out():
    assert name_words("Dr Anand Mehra") == {"Anand", "Mehra"}
    assert name_words("Catherine Ashdown-Price") == {"Catherine", "Ashdown-Price"}


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.text(max_size=30), st.text(max_size=30))
def test_replace_name_never_raises(text, old, new):
    out, count = replace_name(text, old, new)
    assert count >= 0 and (count > 0 or out == text)
