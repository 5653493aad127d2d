"""Which questions invite the customer to tell more (``questions.yaml``).

A question aimed at one of the customer's hidden facts (its ``asked_by`` patterns) uncovers
that fact. A question aimed at none uncovers the next fact the customer has not told only
when it is an *open* question, one that asks for more of the story ("What happened?",
"Could you tell me more?"); a specific question about something else gets no unrelated
fact in reply (issue 14 item 8; DOMAIN §3.3 ask for the facts, §3.7 C mix open and closed
questions). The open questions are data per language; a language without a list keeps the
older, looser reading (any question gets the next fact), so no language is left without
answers until its list is written.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .. import saferegex
from ..moves.detector import Regex
from ..yamlfile import load_model

QUESTIONS_FILE = Path(__file__).parent / "questions.yaml"


class OpenQuestions(BaseModel):
    """Patterns of open questions, by language (a code such as ``en``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    open: dict[str, list[Regex]] = Field(
        description="Language -> regexes (case-insensitive); a question matching one asks "
        "for more of the customer's story."
    )
    _compiled: dict[str, list] = PrivateAttr(default_factory=dict)

    def is_open(self, question: str, language: str) -> bool:
        """Whether ``question`` invites more of the story; True for a language with no list
        (the older reading), so every language still gets answers."""
        base = language.split("-")[0]
        if base not in self.open:
            return True
        if base not in self._compiled:
            self._compiled[base] = [saferegex.compile(p) for p in self.open[base]]
        return any(p.search(question) for p in self._compiled[base])


@lru_cache(maxsize=2)
def load_questions(path: Path = QUESTIONS_FILE) -> OpenQuestions:
    """The open-question patterns (cached: every question reads them)."""
    return load_model(OpenQuestions, path)
