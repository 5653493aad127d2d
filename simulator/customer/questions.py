"""Which questions invite the customer to tell more (``questions.yaml`` in a language pack).

A question aimed at one of the customer's hidden facts (its ``asked_by`` patterns) uncovers
that fact. A question aimed at none uncovers the next fact the customer has not told only
when it is an *open* question, one that asks for more of the story ("What happened?",
"Could you tell me more?"); a specific question about something else gets no unrelated
fact in reply (issue 14 item 8; DOMAIN §3.3 ask for the facts, §3.7 C mix open and closed
questions). The open questions are data in each language's pack
(``simulator/languages/<code>/questions.yaml``, extended by a trainer's pack); a language
whose packs have none keeps the older, looser reading (any question gets the next fact),
so no language is left without answers until its list is written.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import saferegex
from ..errors import FrontlineError
from ..languages.pack import ENV, pack_file
from ..moves.detector import Regex
from ..yamlfile import load_model

QUESTIONS = "questions.yaml"  # in each language pack


class OpenQuestions(BaseModel):
    """A language's open questions (``<pack>/questions.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    open: list[Regex] = Field(
        description="Regexes (case-insensitive); a question matching one asks for more of "
        "the customer's story."
    )
    wish: list[Regex] = Field(
        default_factory=list,
        description="Regexes; a question matching one asks what the customer would like "
        "done ('What would you like us to do?'), and the customer says it (source 001: "
        "questions let the customer say what they would like as a resolution).",
    )
    wish_answer: str | None = Field(
        None,
        description="How the customer says it, with {expectation} (the case's expectation "
        "in the session's language): 'Honestly? What I want is {expectation}.'",
    )

    @field_validator("wish_answer")
    @classmethod
    def _names_the_expectation(cls, value: str | None) -> str | None:
        if value is not None and "{expectation}" not in value:
            raise ValueError("wish_answer must contain {expectation}")
        return value


def load_questions_file(path: Path) -> OpenQuestions:
    """Load and validate one ``questions.yaml`` (FileProblems name file:line: field)."""
    return load_model(OpenQuestions, path)


@lru_cache(maxsize=32)
def _wish(language: str, folders: str) -> tuple[tuple, str | None]:
    try:
        paths = pack_file(language, QUESTIONS)
    except FrontlineError:  # a free-form language code that names no pack
        return (), None
    files = [load_questions_file(path) for path in paths]
    patterns = tuple(saferegex.compile(p) for f in files for p in f.wish)
    answers = [f.wish_answer for f in files if f.wish_answer]
    return patterns, (answers[-1] if answers else None)  # a trainer's pack may reword it


def asks_what_they_want(question: str, language: str) -> bool:
    """Whether ``question`` asks what the customer would like done, in a language whose
    pack says how the customer answers it."""
    patterns, answer = _wish(language, os.environ.get(ENV, ""))
    return answer is not None and any(p.search(question) for p in patterns)


def what_they_want(language: str, expectation: str) -> str:
    """The customer's answer to such a question: the pack's words with the expectation."""
    _, answer = _wish(language, os.environ.get(ENV, ""))
    return (answer or "{expectation}").replace("{expectation}", expectation)


@lru_cache(maxsize=32)
def _open_patterns(language: str, folders: str) -> tuple | None:
    paths = pack_file(language, QUESTIONS)
    if not paths:
        return None
    return tuple(saferegex.compile(p) for path in paths for p in load_questions_file(path).open)


def is_open_question(question: str, language: str) -> bool:
    """Whether ``question`` asks for more of the story in ``language``; True when the
    language's packs list no open questions (the older reading), so every language still
    gets answers."""
    try:
        patterns = _open_patterns(language, os.environ.get(ENV, ""))
    except FrontlineError:  # a free-form language code that names no pack
        return True
    if patterns is None:
        return True
    return any(p.search(question) for p in patterns)
