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

from pydantic import BaseModel, ConfigDict, Field

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


def load_questions_file(path: Path) -> OpenQuestions:
    """Load and validate one ``questions.yaml`` (FileProblems name file:line: field)."""
    return load_model(OpenQuestions, path)


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
