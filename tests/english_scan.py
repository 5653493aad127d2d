"""The scan for English left in a non-English session's text, shared by the browser tests
(tests/web/) and the terminal's (tests/cli/): what counts as a leak is the same wherever
the trainee reads it."""

from __future__ import annotations

import re
from pathlib import Path

from simulator.languages.catalogue import messages, whitelist
from simulator.persona.loader import PersonaLibrary

ROOT = Path(__file__).resolve().parents[1]


def persona_words() -> list[str]:
    """What the persona files say (names, companies, case titles, summaries): theirs to
    translate (their language overlays), not the UI catalogue's."""
    lib = PersonaLibrary(ROOT / "personas")
    words = []
    for pid in lib.ids():
        p = lib.get(pid)
        words += [p.identity.name, p.identity.company, p.case.title, p.summary]
    return words


def english_left(text: str, language: str) -> list[str]:
    """Catalogue strings still in English in ``text``: the English of every key the
    language writes differently, found as whole words (not inside an id such as the rubric
    `complaint-handling`), and each line of a longer one."""
    for words in persona_words():
        text = text.replace(words, " ")
    en, mine, same = messages("en"), messages(language), whitelist(language)
    found = []
    for key, english in en.items():
        if key in same or mine.get(key) == english:
            continue
        plain = re.sub(r"<[^>]+>|[#*`]|\{[a-z_]+\}", "\n", english)
        for piece in (p.strip(" .:—·()") for p in plain.split("\n")):
            if len(piece) >= 4 and re.search(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", text):
                found.append(f"{key}: {piece!r}")
    return found
