"""What a persona says about their age agrees with ``identity.age``, in every language.

The VIP of the cancelled flight is 58, yet told the follow-up call (English, Russian,
Bulgarian, Portuguese) that they ran through the terminal "at sixty-two"."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VIP = ROOT / "personas" / "vip-emotional-cancelled-flight.yaml"
# The persona's age, and the one it said, spelled out as each language's text spells them.
AGE_WORDS = {
    58: {
        "en": "fifty-eight",
        "es": "cincuenta y ocho",
        "ru": "пятьдесят восемь",
        "bg": "петдесет и осем",
        "pt": "cinquenta e oito",
        "zh": "五十八",
    },
    62: {
        "en": "sixty-two",
        "es": "sesenta y dos",
        "ru": "шестьдесят два",
        "bg": "шейсет и две",
        "pt": "sessenta e dois",
        "zh": "六十二",
    },
}


def strings(node: object) -> list[str]:
    """Every string in a parsed YAML tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def texts_by_language(data: dict) -> dict[str, str]:
    """The persona's own text (its base language) and each overlay's, one string each."""
    base = {k: v for k, v in data.items() if k != "languages"}
    out = {data["language"]: " ".join(strings(base))}
    out |= {code: " ".join(strings(o)) for code, o in data.get("languages", {}).items()}
    return out


@pytest.mark.parametrize("language", ["en", "es", "ru", "zh", "bg", "pt"])
def test_the_vip_never_gives_another_age(language):
    data = yaml.safe_load(VIP.read_text(encoding="utf-8"))
    age = data["identity"]["age"]
    text = texts_by_language(data)[language].lower()
    for other, words in AGE_WORDS.items():
        if other != age:
            assert words[language] not in text, f"{language}: says {words[language]!r}, is {age}"
