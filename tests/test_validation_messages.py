"""Validation messages in plain words, the same for `frontline validate` and the designer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import FileProblems
from simulator.persona.loader import parse_persona
from simulator.validation_messages import PATTERN_MEANINGS
from simulator.web.persona_edit import validate_text

ROOT = Path(__file__).resolve().parent.parent
BILLING = (ROOT / "personas" / "aggressive-rational-billing.yaml").read_text(encoding="utf-8")


def _patterns(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        for value in node.values():
            found |= _patterns(value)
    elif isinstance(node, list):
        for value in node:
            found |= _patterns(value)
    return found


def test_every_pattern_in_the_schemas_has_a_meaning():
    patterns = set()
    for path in (ROOT / "simulator" / "schemas").glob("*.json"):
        patterns |= _patterns(json.loads(path.read_text(encoding="utf-8")))
    assert patterns and patterns <= set(PATTERN_MEANINGS), patterns - set(PATTERN_MEANINGS)


@pytest.mark.parametrize(
    "old,new,field,message",
    [
        (
            "id: aggressive-rational-billing",
            "id: Billing_Case",
            "id",
            "must be lowercase letters, digits and hyphens, 2–63 characters, starting with a "
            "letter or digit (got 'Billing_Case')",
        ),
        ("difficulty: ", "difficulty: hard #", "difficulty", "must be a whole number (got 'hard')"),
        (
            "archetype: aggressive",
            "archetype: angry",
            "archetype",
            "must be 'ordinary', 'meek', 'aggressive', 'vip', 'chronic' or 'never_satisfied' "
            "(got 'angry')",
        ),
        (
            "language: en",
            "language: english",
            "language",
            "must be a language code such as en or en-GB (got 'english')",
        ),
    ],
)
def test_designer_and_loader_give_the_same_plain_message(old, new, field, message):
    text = BILLING.replace(old, new, 1)
    assert text != BILLING
    _, problems = validate_text(text)
    assert [(p.field, p.message) for p in problems] == [(field, message)]
    with pytest.raises(FileProblems) as info:
        parse_persona(text, "x.yaml")
    assert str(info.value).endswith(f"{field}: {message}")
    assert "should" not in message and "^" not in message
