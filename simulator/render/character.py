"""Is an LLM customer's sentence still in character? Checks in code, rules in data.

A model playing the customer can slip: talk like the agent ("How can I help you?"), say
it is an AI, give away a fact the trainee has not asked for, or declare itself satisfied
when the state machine decided otherwise (often because the trainee told it to). These
checks run on every sentence of a reply; the rules are regexes and word lists in
``character.yaml`` of the language's pack (``simulator/languages/<language>/``, then
trainers' packs, whose lists are added to the shipped ones).

While a reply streams in, :meth:`TurnCheck.scan` says how much of an unfinished sentence
could still fail: the rules are matched with the ``regex`` module's *partial* matching,
so only a tail that could still grow into a forbidden phrase (or a sentence part from a
hidden fact's distinctive word on) needs holding back; the rest may be shown before the
sentence ends (:mod:`.release`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import saferegex
from ..languages import ENV as LANGUAGES_ENV
from ..languages import pack_file
from ..reactions import Reaction
from ..yamlfile import load_model
from .base import RenderRequest

PACK_FILE = "character.yaml"  # in each language pack
# Lists a trainer's file adds to; its numbers replace the shipped file's.
_LISTS = (
    "agent_speech",
    "ai_disclosure",
    "acceptance",
    "approval",
    "approval_allowed_in",
    "acceptance_unless",
    "stopwords",
)


def _compile_all(values: list[str]) -> list[str]:
    for v in values:
        why = saferegex.problem(v, regex.IGNORECASE | regex.MULTILINE)
        if why is not None:
            raise ValueError(f"{v!r}: {why}")
    return values


class CharacterRules(BaseModel):
    """The file format of a language pack's ``character.yaml``."""

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

    @field_validator("agent_speech", "ai_disclosure", "acceptance", "approval", "acceptance_unless")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return _compile_all(values)


_REASONS = {  # each completes "the reply ..." when the model is told why it was rejected
    "agent_speech": "spoke as the service agent, not the customer",
    "ai_disclosure": "stepped out of the role (mentioned being an AI, a model or a role-play)",
    "false_accept": "accepted or said it was satisfied when the customer is not",
}


@dataclass(frozen=True)
class CharacterBreak:
    """One way a sentence left the role; ``reason`` completes "the reply ..."."""

    kind: str  # agent_speech, ai_disclosure, false_accept, hidden_fact, empty
    reason: str
    sentence: str


_WORD = regex.compile(r"\w+(?:[.,']\w+)*")
# What may follow a word at the end of streamed text and still be joined to it ("49." of
# "49.90", "don'" of "don't").
_JOINERS = ("", ".", ",", "'")


def _singular(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def words(text: str, stopwords: frozenset[str] = frozenset()) -> set[str]:
    """Lower-cased words of ``text`` without stopwords; a plural 's' is dropped."""
    out = set()
    for w in _WORD.findall(text.lower().replace("’", "'")):
        if w in stopwords:
            continue
        out.add(_singular(w))
    return out


class CharacterChecker:
    """Checks sentences of customer replies against one language's rules."""

    def __init__(self, rules: CharacterRules):
        self.rules = rules
        flags = regex.IGNORECASE | regex.MULTILINE

        def c(values: list[str]) -> list[saferegex.SafePattern]:
            return [saferegex.compile(v, flags) for v in values]

        self._agent = c(rules.agent_speech)
        self._ai = c(rules.ai_disclosure)
        self._accept = c(rules.acceptance)
        self._approve = c(rules.approval)
        self._unless = c(rules.acceptance_unless)
        self._stop = frozenset(rules.stopwords)

    def bind(self, request: RenderRequest) -> TurnCheck:
        """The checks for the sentences of one reply; the turn's context is computed once."""
        case = request.persona.case
        allowed = set(request.state.revealed) | {request.plan.fact}
        public = words(
            " ".join(
                [
                    *case.facts,
                    case.title,
                    case.expectation,
                    case.bottom_line,
                    case.if_crossed,
                    *(t.text for t in request.history),
                ]
            ),
            self._stop,
        )
        pending = []
        for fact in case.hidden_facts:
            distinctive = words(fact.text, self._stop) - public
            if fact.id not in allowed and distinctive:
                pending.append((fact.id, frozenset(distinctive)))
        reaction = request.plan.reaction
        return TurnCheck(self, pending, reaction, reaction in self.rules.approval_allowed_in)

    def check(self, sentence: str, request: RenderRequest) -> CharacterBreak | None:
        """The first rule ``sentence`` breaks in this turn's context, or None."""
        return self.bind(request)(sentence)


class TurnCheck:
    """The in-character checks of one reply (made by :meth:`CharacterChecker.bind`).

    Calling it checks a complete sentence. :meth:`hold_from` serves streaming: what of an
    unfinished sentence could still fail once more text arrives.
    """

    def __init__(
        self,
        checker: CharacterChecker,
        pending: list[tuple[str, frozenset[str]]],
        reaction: Reaction,
        may_approve: bool,
    ):
        self.rules = checker.rules
        self.pending = pending  # (hidden fact id, its distinctive words) not to be given
        self.distinctive = frozenset().union(*(d for _, d in pending))
        self._stop = checker._stop
        # Acceptance only counts when the plan is not 'accept' (approval: nor a reaction
        # weighing an acceptable offer) and no 'unless' pattern is in the same sentence.
        self._accepting = (
            []
            if reaction is Reaction.ACCEPT
            else checker._accept + ([] if may_approve else checker._approve)
        )
        self._unless = checker._unless
        self._agent, self._ai = checker._agent, checker._ai

    def __call__(self, sentence: str) -> CharacterBreak | None:
        """The first rule the complete ``sentence`` breaks in this turn, or None."""
        s = sentence.replace("’", "'")
        if any(p.search(s) for p in self._agent):
            return CharacterBreak("agent_speech", _REASONS["agent_speech"], sentence)
        if any(p.search(s) for p in self._ai):
            return CharacterBreak("ai_disclosure", _REASONS["ai_disclosure"], sentence)
        if (
            self._accepting
            and not any(p.search(s) for p in self._unless)
            and any(p.search(s) for p in self._accepting)
        ):
            return CharacterBreak("false_accept", _REASONS["false_accept"], sentence)
        said = words(s, self._stop)
        for fact_id, distinctive in self.pending:
            hits = len(distinctive & said)
            need = min(self.rules.hidden_fact_min_words, len(distinctive))
            if hits >= need and hits / len(distinctive) >= self.rules.hidden_fact_overlap:
                return CharacterBreak(
                    "hidden_fact",
                    f"gave away a fact the agent had not asked about ({fact_id})",
                    sentence,
                )
        return None

    def hold_from(self, text: str, start: int = 0) -> int:
        """Where to start holding back the unfinished sentence ``text`` (without leading
        space): the earliest position at which a rule could still match when more text
        comes, or ``len(text)`` when none could. See :meth:`scan`."""
        return self.scan(text, start)[0]

    def scan(self, text: str, start: int = 0) -> tuple[int, CharacterBreak | None]:
        """:meth:`hold_from`, and the break ``text`` already is whatever follows, if any.

        Everything before the hold cannot become part of a failure: a phrase rule that
        matches the finished sentence matches (fully or partially) every prefix reaching
        its start, so the hold never passes that start. For the same reason the hold never
        moves back as the sentence grows: ``start``, the hold of a shorter prefix, is where
        the search may resume. A break is certain when an agent-speech or AI rule matched
        whole and more text follows the match (so its closing word boundary is decided);
        acceptance and hidden facts wait for the end of the sentence.
        """
        s = text.replace("’", "'")  # same length, so positions carry over
        hold, brk = len(s), None
        groups = [("agent_speech", self._agent), ("ai_disclosure", self._ai)]
        if self._accepting and not self._settled_unless(s):
            groups.append(("false_accept", self._accepting))
        for kind, patterns in groups:
            for p in patterns:
                m = p.search(s, start, partial=True)  # sees behind start: \b, lookbehind
                if m is None:
                    continue
                hold = min(hold, m.start())
                if brk is None and kind != "false_accept" and not m.partial and m.end() < len(s):
                    brk = CharacterBreak(kind, _REASONS[kind], text)
        if self.distinctive:
            hold = min(hold, self._fact_hold(s, s.rfind(" ", 0, start) + 1))
        return hold, brk

    def _settled_unless(self, s: str) -> bool:
        """An 'unless' pattern matches, and no later text can undo it (it ends before the
        text does, so a closing word boundary is decided)."""
        return any(m.end() < len(s) for p in self._unless for m in p.finditer(s))

    def _fact_hold(self, s: str, start: int) -> int:
        """Where the first word from ``start`` on that is (or, unfinished, could become) a
        distinctive word of a hidden fact not to be given starts; ``len(s)`` if none."""
        for m in _WORD.finditer(s, start):
            w = m.group().lower()
            if _singular(w) in self.distinctive:
                return m.start()
            if s[m.end() :] in _JOINERS and any(
                d.startswith(w) or (d + "s").startswith(w) for d in self.distinctive
            ):
                return m.start()
        return len(s)


def load_character_rules(path: Path) -> CharacterRules:
    """Load and validate one ``character.yaml`` (FileProblems name file:line: field)."""
    return load_model(CharacterRules, path)


def rules_files(language: str = "en") -> list[Path]:
    """The character rule files of ``language`` (the shipped pack's, then trainers'); the
    English ones when the language has none."""
    code = language.split("-")[0]
    return (
        pack_file(language, PACK_FILE) or pack_file(code, PACK_FILE) or pack_file("en", PACK_FILE)
    )


def merged_rules(files: list[CharacterRules]) -> CharacterRules:
    """One set of rules from several files: lists added up, numbers from the last file."""
    merged = files[0]
    for extra in files[1:]:
        update = {k: getattr(merged, k) + getattr(extra, k) for k in _LISTS}
        update["hidden_fact_overlap"] = extra.hidden_fact_overlap
        update["hidden_fact_min_words"] = extra.hidden_fact_min_words
        merged = merged.model_copy(update=update)
    return merged


def checker_for(language: str = "en") -> CharacterChecker:
    """The checker for a persona's language (English rules when it has none of its own),
    built once per process and configuration of trainers' language folders."""
    return _cached_checker(language, os.environ.get(LANGUAGES_ENV, ""))


@lru_cache(maxsize=16)
def _cached_checker(language: str, folders: str) -> CharacterChecker:
    return CharacterChecker(
        merged_rules([load_model(CharacterRules, p) for p in rules_files(language)])
    )
