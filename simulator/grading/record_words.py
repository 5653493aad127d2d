"""The words the complaint record is read with, per language (``record.yaml`` in a pack).

The record check (:mod:`simulator.grading.record_check`) reads dates, deadlines, amounts,
follow-up actions and "unresolved" in the trainee's record. Those words are the
language's, so they live in its pack as data a trainer extends: months and weekdays
with their forms ("marzo", "марта", "三月"), relative days ("mañana", "明天"), number
words, how an ordinal ("3rd", "1º", "1号") and an amount ("£4.99", "64,50 лв", "R$ 45",
"129元") are written, the stop words, and regexes for a follow-up action and for an
unresolved call. A regional variant (``pt-BR``) without its own is read with its
language's, and a language whose packs have no ``record.yaml`` with English's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import saferegex
from ..errors import FrontlineError
from ..languages.pack import ENV, check_folder_language, language_pack, pack_file
from ..moves.detector import Regex
from ..yamlfile import load_model

RECORD_WORDS = "record.yaml"  # in each language pack
FALLBACK = "en"  # the words a language without a record.yaml is read with

Forms = list[str]


def _lower(forms: list[str]) -> list[str]:
    return [f.strip().lower() for f in forms]


class RecordWords(BaseModel):
    """One language's words for reading a complaint record (``<pack>/record.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    language: str = Field(description="The pack's language code (names its folder).")
    months: list[Forms] = Field(
        min_length=12,
        max_length=12,
        description="January to December, each as the words that name it (first: the name "
        "shown in a verdict), e.g. ['march', 'mar'] or ['марта', 'март'].",
    )
    weekdays: list[Forms] = Field(
        min_length=7,
        max_length=7,
        description="Monday to Sunday, each as its forms (first: the name shown).",
    )
    relative_days: list[Forms] = Field(
        description="Words that pin a day relative to now ('today', 'tomorrow', 'mañana'), "
        "each as its forms (first: the name shown).",
    )
    time_words: list[str] = Field(
        default_factory=list,
        description="Words that place something in time without pinning it ('week', "
        "'days', 'hours'): a record with only these still gives a time.",
    )
    day_words: dict[str, int] = Field(
        default_factory=dict,
        description="Days of the month written as words ('первого': 1, 'четвърти': 4), "
        "read only as the 'day' group of a day_month match ('первого марта'): alone, "
        "'второго' is as often 'second' as 'the 2nd'.",
    )
    number_words: dict[str, int] = Field(
        default_factory=dict,
        description="Counts written as words ('three': 3, 'tres': 3, '三': 3), read in a "
        "deadline ('within three working days').",
    )
    ordinal: Regex = Field(
        description="A day of the month written with its ordinal mark; its digits are the "
        "day. Spaced languages: it must match a whole word ('3rd', '1º'); others: any "
        "match in the text ('1号').",
    )
    day_month: list[Regex] = Field(
        default_factory=list,
        description="Regexes for a date with its day ('01/03', '3月1日', '1 de marzo', "
        "'первого марта'); the group named 'day' is the day, in digits or one of "
        "day_words, and a group named 'month', when there "
        "is one, must be 1-12. The match is read out of the text before the words are "
        "(a month word kept in a lookahead is still read).",
    )
    amounts: list[Regex] = Field(
        min_length=1,
        description="Regexes for money ('£64.50', '64,50 лв', 'R$ 45', '129元'): money is "
        "no date, so an amount is read out before dates are.",
    )
    stop_words: list[str] = Field(
        default_factory=list,
        description="Words too common to say anything about the case (spaced languages: "
        "whole words; others: pairs of characters).",
    )
    stem_length: int = Field(
        5,
        ge=2,
        le=20,
        description="Content words are cut to this many letters, so 'charged' meets "
        "'charges'. Unused in a language written without spaces (pairs of characters).",
    )
    follow_up: list[Regex] = Field(
        min_length=1,
        description="Regexes for a follow-up action in the next step ('call', 'email', "
        "'llamar', 'перезвонить', '回电').",
    )
    unresolved: list[Regex] = Field(
        min_length=1,
        description="Regexes for a resolution that says the call ended unresolved ('not "
        "resolved', 'escalated', 'sin resolver', '未解决').",
    )
    type_words: dict[Literal["matter", "attitude", "opinion"], list[str]] = Field(
        default_factory=dict,
        description="Per kind of complaint (DOMAIN §2.3), words a topic may name it by "
        "('attitude': 'rude', 'staff'…).",
    )

    @field_validator("months", "weekdays", "relative_days")
    @classmethod
    def _forms(cls, value: list[Forms]) -> list[Forms]:
        for forms in value:
            if not forms or not all(f.strip() for f in forms):
                raise ValueError("each entry needs at least one non-empty word")
            if any(len(f.split()) > 1 for f in forms):
                raise ValueError("each form is one word ('mañana', not 'pasado mañana')")
        return [_lower(forms) for forms in value]

    @field_validator("time_words", "stop_words")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        return _lower(value)

    @field_validator("number_words", "day_words")
    @classmethod
    def _numbers(cls, value: dict[str, int]) -> dict[str, int]:
        return {k.strip().lower(): v for k, v in value.items()}


def load_record_words_file(path: Path) -> RecordWords:
    """Load and validate one ``record.yaml`` (FileProblems name file:line: field)."""
    found = load_model(RecordWords, path)
    check_folder_language(path, found.language, "record words")
    return found


@dataclass(frozen=True)
class RecordReader:
    """A language's record words merged over its packs (shipped first, then trainers'),
    with the patterns compiled and the lookups the check uses built."""

    spaced: bool
    month_of: dict[str, str]  # each form -> the month's shown name
    day_of: dict[str, str]  # each weekday or relative-day form -> its shown name
    specific: frozenset[str]  # the shown names that pin a moment (months, days)
    time_words: frozenset[str]
    day_words: dict[str, str]
    number_words: dict[str, str]
    ordinal: saferegex.SafePattern
    day_month: tuple[saferegex.SafePattern, ...]
    amounts: tuple[saferegex.SafePattern, ...]
    stop_words: frozenset[str]
    stem_length: int
    follow_up: tuple[saferegex.SafePattern, ...]
    unresolved: tuple[saferegex.SafePattern, ...]
    type_words: dict[str, frozenset[str]]


def _reader(files: list[RecordWords], spaced: bool) -> RecordReader:
    base = files[0]
    month_of: dict[str, str] = {}
    day_of: dict[str, str] = {}
    for f in files:
        for i, forms in enumerate(f.months):
            shown = base.months[i][0]
            month_of.update((form, shown) for form in forms)
        for i, forms in enumerate(f.weekdays):
            shown = base.weekdays[i][0]
            day_of.update((form, shown) for form in forms)
        for forms in f.relative_days:
            day_of.update((form, forms[0]) for form in forms)
    kinds = {k for f in files for k in f.type_words}
    return RecordReader(
        spaced=spaced,
        month_of=month_of,
        day_of=day_of,
        specific=frozenset(month_of.values()) | frozenset(day_of.values()),
        time_words=frozenset(w for f in files for w in f.time_words),
        day_words={w: str(n) for f in files for w, n in f.day_words.items()},
        number_words={w: str(n) for f in files for w, n in f.number_words.items()},
        ordinal=saferegex.compile(files[-1].ordinal),
        day_month=tuple(saferegex.compile(p) for f in files for p in f.day_month),
        amounts=tuple(saferegex.compile(p) for f in files for p in f.amounts),
        stop_words=frozenset(w for f in files for w in f.stop_words),
        stem_length=files[-1].stem_length,
        follow_up=tuple(saferegex.compile(p) for f in files for p in f.follow_up),
        unresolved=tuple(saferegex.compile(p) for f in files for p in f.unresolved),
        type_words={
            k: frozenset(w.lower() for f in files for w in f.type_words.get(k, [])) for k in kinds
        },
    )


def _files(language: str) -> list[Path]:
    try:
        return pack_file(language, RECORD_WORDS)
    except FrontlineError:  # a free-form language code that names no pack
        return []


@lru_cache(maxsize=32)
def _cached(language: str, folders: str) -> RecordReader:
    paths = _files(language)
    if not paths and "-" in language:  # a regional variant (pt-BR) reads as its language
        language = language.split("-")[0]
        paths = _files(language)
    if not paths:
        language, paths = FALLBACK, pack_file(FALLBACK, RECORD_WORDS)
    pack = language_pack(language)
    spaced = pack.spaces_between_words if pack is not None else True
    return _reader([load_record_words_file(p) for p in paths], spaced)


def record_reader(language: str) -> RecordReader:
    """How a record in ``language`` is read (English's words when no pack has a
    ``record.yaml`` for it). A broken file raises :class:`FileProblems` naming its line."""
    return _cached(language, os.environ.get(ENV, ""))
