"""Which language a turn is written in, from data in each language pack (``detect.yaml``).

Each pack says which scripts its language is written in and which letters and short words
are frequent in it and rare in its neighbours (:class:`DetectProfile`): Russian has ы, э and
ё where Bulgarian has ъ, "е", "съм" and "ще"; Portuguese has ã, õ, ç, "não" and "você" where
Spanish has ñ, ¿, "y" and "usted". :func:`detect_language` counts the text's letters by
script, keeps the languages written in the script that dominates, and scores each by its
letters and words; the highest score wins, ``prior`` breaks ties (English among the Latin
languages when nothing else tells them apart).

A trainer adds a language by adding ``<folder>/<code>/detect.yaml`` to a folder named in
``FRONTLINE_LANGUAGES`` (found by :func:`~.pack.pack_file`, like every pack file); a
trainer's file for a shipped language replaces the shipped one. Foundations layer: imports
no concept. The work per text is linear in its length (one pass
over the characters, one over the words), and nothing here can raise on any text.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..errors import FrontlineError
from ..yamlfile import load_model
from .pack import CODE, ENV, SHIPPED_DIR, check_folder_language, pack_file, trainer_folders

DETECT_FILE = "detect.yaml"
Script = Literal["latin", "cyrillic", "han"]
# A Chinese character says more about the language than a Latin letter does ("hold一下",
# "App里点一下" are Chinese), so each counts as this many letters when scripts are compared.
HAN_WEIGHT = 3
# Only this much of a text is looked at: enough to tell, and bounded work on a pasted book.
MAX_CHARS = 20_000
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Typographic apostrophes read as a plain one, so "I’m" counts as the word "i'm".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _one_letter(value: str) -> str:
    if len(value) != 1 or not value.isalpha() and value not in "¿¡":
        raise ValueError(f"must be one letter (or ¿ ¡), not {value!r}")
    return value.lower()


def _a_word(value: str) -> str:
    if not WORD.fullmatch(value):
        raise ValueError(f"must be one word of letters, not {value!r}")
    return value.lower()


Letter = Annotated[str, AfterValidator(_one_letter)]
Word = Annotated[str, AfterValidator(_a_word)]
Weight = Annotated[float, Field(gt=0, le=10)]


class DetectProfile(BaseModel):
    """How to recognise one language (``<code>/detect.yaml`` in a language pack)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    language: str = Field(pattern=CODE.pattern, description="The pack's language code.")
    scripts: list[Script] = Field(
        min_length=1,
        description="The scripts the language is written in (Bulgarian chat is often typed "
        "in Latin letters: 'mersi, veche gledam').",
    )
    prior: float = Field(
        0,
        ge=0,
        le=1,
        description="Breaks ties between languages of the same script (higher wins).",
    )
    letters: dict[Letter, Weight] = Field(
        default_factory=dict,
        description="Letters frequent in this language and rare in its neighbours, with the "
        "weight of each occurrence.",
    )
    words: dict[Word, Weight] = Field(
        default_factory=dict,
        description="Short frequent words (lower case), with the weight of each occurrence.",
    )


@dataclass(frozen=True)
class Guess:
    """The language found (None when the text has no letters to tell by) and each
    candidate's score, best first."""

    language: str | None
    scores: tuple[tuple[str, float], ...] = ()


def _script_of(char: str) -> Script | None:
    code = ord(char)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if char.isalpha() and (code < 0x0250 or 0x1E00 <= code <= 0x1EFF):
        return "latin"
    return None


def profile_files() -> dict[str, Path]:
    """The ``detect.yaml`` of each language: a trainer's replaces the shipped one (the last
    of :func:`~.pack.pack_file`, which reads only inside the configured folders)."""
    codes: set[str] = set()
    for root in [SHIPPED_DIR, *trainer_folders()]:
        if root.is_dir():
            found = (p.parent.name for p in root.glob(f"*/{DETECT_FILE}"))
            codes |= {code for code in found if CODE.match(code)}
    return {code: pack_file(code, DETECT_FILE)[-1] for code in sorted(codes)}


def load_profile(path: Path) -> DetectProfile:
    """Load and validate one ``detect.yaml``; its ``language`` must name its folder."""
    profile = load_model(DetectProfile, path)
    check_folder_language(path, profile.language, "profile")
    return profile


@lru_cache(maxsize=8)
def _profiles(folders: str) -> tuple[DetectProfile, ...]:
    return tuple(load_profile(path) for _code, path in sorted(profile_files().items()))


def profiles() -> tuple[DetectProfile, ...]:
    """Every language's profile, loaded once per configuration of ``FRONTLINE_LANGUAGES``."""
    return _profiles(os.environ.get(ENV, ""))


def guess_language(text: str, candidates: tuple[DetectProfile, ...] | None = None) -> Guess:
    """Score ``text`` against each profile (see the module docstring); never raises."""
    candidates = profiles() if candidates is None else candidates
    sample = unicodedata.normalize("NFC", text[:MAX_CHARS]).lower().translate(_APOSTROPHES)
    by_script: Counter[str] = Counter()
    letters: Counter[str] = Counter()
    for char in sample:
        script = _script_of(char)
        if script is not None:
            by_script[script] += HAN_WEIGHT if script == "han" else 1
        letters[char] += 1
    if not by_script:
        return Guess(None)
    script = max(by_script, key=lambda s: (by_script[s], s))
    same = [p for p in candidates if script in p.scripts]
    if not same:
        return Guess(None)
    words = Counter(WORD.findall(sample)) if script != "han" else Counter()
    scored = []
    for p in same:
        score = sum(w * letters[c] for c, w in p.letters.items())
        score += sum(w * words[word] for word, w in p.words.items())
        scored.append((p.language, score, p.prior))
    scored.sort(key=lambda s: (-s[1], -s[2], s[0]))
    return Guess(scored[0][0], tuple((code, score) for code, score, _prior in scored))


def detect_language(text: str) -> str:
    """The language ``text`` is written in; :class:`FrontlineError` when it cannot tell."""
    guess = guess_language(text)
    if guess.language is None:
        known = ", ".join(p.language for p in profiles()) or "none"
        raise FrontlineError(
            "cannot tell which language this is written in (no letters of a known script; "
            f"languages known: {known}); name it with --language"
        )
    return guess.language
