"""Is an LLM customer's sentence still in character? Checks in code, rules in data.

A model playing the customer can slip: talk like the agent ("How can I help you?"), say
it is an AI, give away a fact the trainee has not asked for, or declare itself satisfied
when the state machine decided otherwise (often because the trainee told it to). These
checks run on every sentence before the trainee sees it; the rules are regexes and word
lists in ``character.<language>.yaml`` beside this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..customer.reactions import Reaction
from ..yamlfile import load_model
from .base import RenderRequest

RULES_DIR = Path(__file__).parent


def _compile_all(values: list[str]) -> list[str]:
    for v in values:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
    return values


class CharacterRules(BaseModel):
    """The file format of ``character.<language>.yaml``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    language: str
    agent_speech: list[str] = Field(default_factory=list)
    ai_disclosure: list[str] = Field(default_factory=list)
    acceptance: list[str] = Field(default_factory=list)
    approval: list[str] = Field(default_factory=list)
    approval_allowed_in: list[Reaction] = Field(default_factory=list)
    acceptance_unless: list[str] = Field(default_factory=list)
    stopwords: list[str] = Field(default_factory=list)
    hidden_fact_overlap: float = Field(0.6, gt=0, le=1)
    hidden_fact_min_words: int = Field(2, ge=1)

    @field_validator("agent_speech", "ai_disclosure", "acceptance", "approval",
                     "acceptance_unless")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return _compile_all(values)


@dataclass(frozen=True)
class CharacterBreak:
    """One way a sentence left the role; ``reason`` completes "the reply ...". """

    kind: str   # agent_speech, ai_disclosure, false_accept, hidden_fact, empty
    reason: str
    sentence: str


_WORD = re.compile(r"\w+(?:[.,']\w+)*", re.UNICODE)


def words(text: str, stopwords: frozenset[str] = frozenset()) -> set[str]:
    """Lower-cased words of ``text`` without stopwords; a plural 's' is dropped."""
    out = set()
    for w in _WORD.findall(text.lower().replace("’", "'")):
        if w in stopwords:
            continue
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


class CharacterChecker:
    """Checks sentences of customer replies against one language's rules."""

    def __init__(self, rules: CharacterRules):
        self.rules = rules
        flags = re.IGNORECASE | re.MULTILINE

        def c(values: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(v, flags) for v in values]

        self._agent = c(rules.agent_speech)
        self._ai = c(rules.ai_disclosure)
        self._accept = c(rules.acceptance)
        self._approve = c(rules.approval)
        self._unless = c(rules.acceptance_unless)
        self._stop = frozenset(rules.stopwords)

    def bind(self, request: RenderRequest) -> Callable[[str], CharacterBreak | None]:
        """A check for the sentences of one reply; the turn's context is computed once."""
        case = request.persona.case
        allowed = set(request.state.revealed) | {request.plan.fact}
        public = words(" ".join([*case.facts, case.title, case.expectation, case.bottom_line,
                                 case.if_crossed, *(t.text for t in request.history)]),
                       self._stop)
        pending = []
        for fact in case.hidden_facts:
            distinctive = words(fact.text, self._stop) - public
            if fact.id not in allowed and distinctive:
                pending.append((fact.id, distinctive))
        reaction = request.plan.reaction
        may_approve = reaction in self.rules.approval_allowed_in

        def check(sentence: str) -> CharacterBreak | None:
            s = sentence.replace("’", "'")
            if any(p.search(s) for p in self._agent):
                return CharacterBreak("agent_speech", "spoke as the service agent, not the "
                                      "customer", sentence)
            if any(p.search(s) for p in self._ai):
                return CharacterBreak("ai_disclosure", "stepped out of the role (mentioned "
                                      "being an AI, a model or a role-play)", sentence)
            if self._accepts(s, reaction, may_approve):
                return CharacterBreak("false_accept", "accepted or said it was satisfied "
                                      "when the customer is not", sentence)
            said = words(s, self._stop)
            for fact_id, distinctive in pending:
                hits = len(distinctive & said)
                need = min(self.rules.hidden_fact_min_words, len(distinctive))
                if hits >= need and hits / len(distinctive) >= self.rules.hidden_fact_overlap:
                    return CharacterBreak("hidden_fact", f"gave away a fact the agent had not "
                                          f"asked about ({fact_id})", sentence)
            return None

        return check

    def _accepts(self, s: str, reaction: Reaction, may_approve: bool) -> bool:
        if reaction is Reaction.ACCEPT or any(p.search(s) for p in self._unless):
            return False
        return any(p.search(s) for p in self._accept) or \
            (not may_approve and any(p.search(s) for p in self._approve))

    def check(self, sentence: str, request: RenderRequest) -> CharacterBreak | None:
        """The first rule ``sentence`` breaks in this turn's context, or None."""
        return self.bind(request)(sentence)


@lru_cache(maxsize=16)
def checker_for(language: str = "en") -> CharacterChecker:
    """The checker for a persona's language (English rules when it has none of its own)."""
    code = language.split("-")[0]
    path = RULES_DIR / f"character.{code}.yaml"
    if not path.exists():
        path = RULES_DIR / "character.en.yaml"
    return CharacterChecker(load_model(CharacterRules, path))
