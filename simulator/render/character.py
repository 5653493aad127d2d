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
from ..languages import check_folder_language, pack_file, splitter_for
from ..reactions import Reaction
from ..yamlfile import load_model
from .base import RenderRequest
from .reply_checks import (
    containment,
    gives_values,
    has_prompt_text,
    jaccard,
    key_values,
    prompt_ngrams,
    sentences_of,
    units,
)

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
    "role_reversal",
    "acquiescence",
    "acquiescence_forbidden_in",
    "acquiescence_unless",
    "withholding",
    "self_address",
    "agent_introduction",
    "as_agent",
    "special_tokens",
)
# Numbers (and the break-off text) a trainer's file sets for the whole language.
_SETTINGS = (
    "hidden_fact_overlap",
    "hidden_fact_min_words",
    "echo_overlap",
    "echo_min_words",
    "repeat_overlap",
    "prompt_words",
    "reveal_min_share",
    "break_off",
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
    # The customer speaking as the company: promising its actions ("I will confirm this
    # payment to your account"), talking about the customer's own things as "your".
    role_reversal: list[str] = Field(default_factory=list)
    # Going along with the agent ("I understand. I'll write that down."): a break under
    # the reactions in acquiescence_forbidden_in, unless acquiescence_unless matches.
    acquiescence: list[str] = Field(default_factory=list)
    acquiescence_forbidden_in: list[Reaction] = Field(default_factory=list)
    acquiescence_unless: list[str] = Field(default_factory=list)
    # Saying the fact the machine chose to give is not at hand ("I don't have the
    # reference number"): a break when the plan gives a fact.
    withholding: list[str] = Field(default_factory=list)
    # The customer addressing themselves: $name stands for the persona's full or first name.
    self_address: list[str] = Field(default_factory=list)
    # The agent introducing themselves (a named group "name": "my name is Sarah"), and the
    # customer then speaking as that person ($name: the agent's name, "this is Sarah").
    agent_introduction: list[str] = Field(default_factory=list)
    as_agent: list[str] = Field(default_factory=list)
    # Model control tokens and prompt markup: never part of a customer's words, whatever
    # the language (these defaults apply unless a file lists its own).
    special_tokens: list[str] = Field(default_factory=lambda: list(SPECIAL_TOKENS))
    # Echo of the agent's last turn: a sentence with at least echo_min_words content words
    # of which this share are in the agent's last turn (questions excepted).
    echo_overlap: float = Field(0.8, gt=0, le=1)
    echo_min_words: int = Field(4, ge=1)
    # Repeating an earlier customer sentence: this word-set similarity (Jaccard) or more.
    repeat_overlap: float = Field(0.75, gt=0, le=1)
    # Prompt text: this many consecutive words of the prompt's own instructions.
    prompt_words: int = Field(5, ge=3)
    # A planned reveal is given when the reply has the fact's key values (every value with
    # at least three digits, else one with a digit) or, for a fact without digits, this
    # share of its distinctive words.
    reveal_min_share: float = Field(0.5, gt=0, le=1)
    # Put between shown text that a later check cut short and the phrase-bank reply that
    # finishes it (release="early" only).
    break_off: str = " … "

    @field_validator(
        "agent_speech",
        "ai_disclosure",
        "acceptance",
        "approval",
        "acceptance_unless",
        "role_reversal",
        "acquiescence",
        "acquiescence_unless",
        "withholding",
        "special_tokens",
    )
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return _compile_all(values)

    @field_validator("agent_introduction")
    @classmethod
    def _introductions(cls, values: list[str]) -> list[str]:
        for v in values:
            if "(?P<name>" not in v:
                raise ValueError(f"{v!r}: has no (?P<name>...) group")
        return _compile_all(values)

    @field_validator("self_address", "as_agent")
    @classmethod
    def _name_templates(cls, values: list[str]) -> list[str]:
        for v in values:
            if "$name" not in v:
                raise ValueError(f"{v!r}: has no $name")
            _compile_all([v.replace("$name", "(?:Dana Fixture|Dana)")])
        return values


# Chat-template and prompt markup of common model families (ChatML, Llama, Mistral,
# Gemma, Phi) and of Frontline's own prompts.
SPECIAL_TOKENS = (
    r"<\|[a-z_]{1,30}\|>",
    r"</?s>",
    r"\[/?INST\]",
    r"<</?SYS>>",
    r"<(start|end)_of_turn>",
    r"</?(agent_message|transcript)>",
    r"^\s*(user|assistant|system)\s*:",
)


_REASONS = {  # each completes "the reply ..." when the model is told why it was rejected
    "agent_speech": "spoke as the service agent, not the customer",
    "ai_disclosure": "stepped out of the role (mentioned being an AI, a model or a role-play)",
    "false_accept": "accepted or said it was satisfied when the customer is not",
    "role_reversal": "spoke as the company (promised the company's actions or addressed the "
    "customer), not as the customer",
    "special_token": "contained control tokens or markup",
    "prompt_text": "repeated the instructions instead of speaking as the customer",
    "self_address": "addressed the customer by name or took the agent's name, as only the "
    "agent would",
    "not_rejecting": "went along with the agent when the customer does not accept this",
    "withholding": "said the customer does not have the fact they were asked for; give it",
    "echo": "repeated the agent's words instead of answering them",
    "repeat": "repeated something the customer already said",
    "missing_reveal": "did not give the fact the agent asked for; give it, with its exact "
    "numbers and names",
}
# Checks every reply gets (``kind`` of a break), for the record of which ran.
ALWAYS = (
    "special_token",
    "prompt_text",
    "agent_speech",
    "role_reversal",
    "self_address",
    "ai_disclosure",
    "echo",
    "repeat",
    "empty",
)


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
        self._reversal = c(rules.role_reversal)
        self._tokens = c(rules.special_tokens)
        self._acquiesce = c(rules.acquiescence)
        self._acq_unless = c(rules.acquiescence_unless)
        self._withholding = c(rules.withholding)
        # Case-sensitive: a name is capitalised ("I'm Sarah", not "I'm sorry").
        self._intro = [saferegex.compile(v, regex.MULTILINE) for v in rules.agent_introduction]
        self._stop = frozenset(rules.stopwords)

    def bind(self, request: RenderRequest, prompt_templates: list[str] | None = None) -> TurnCheck:
        """The checks for the sentences of one reply; the turn's context is computed once.
        ``prompt_templates`` are the prompt's own wording (for the prompt-text check)."""
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
        keys: dict[str, list[str]] = {}
        # Values the customer may say anyway: in the open facts, the remedies, the chat.
        known = _alnum(
            " ".join(
                [
                    *case.facts,
                    case.title,
                    case.expectation,
                    case.bottom_line,
                    case.if_crossed,
                    *(r.description for r in case.remedies),
                    *(t.text for t in request.history),
                ]
            )
        )
        for fact in case.hidden_facts:
            distinctive = words(fact.text, self._stop) - public
            if fact.id not in allowed and distinctive:
                pending.append((fact.id, frozenset(distinctive)))
                # A reference, an amount or an account number alone gives the fact away.
                keys[fact.id] = [
                    k for k in key_values(fact.text) if _digit_count(k) >= 3 and k not in known
                ]
        return TurnCheck(self, request, pending, public, prompt_templates or [], keys)

    def check(self, sentence: str, request: RenderRequest) -> CharacterBreak | None:
        """The first rule ``sentence`` breaks in this turn's context, or None."""
        return self.bind(request)(sentence)


class TurnCheck:
    """The in-character checks of one reply (made by :meth:`CharacterChecker.bind`).

    Calling it checks a complete sentence; :meth:`reply` checks the whole reply (the
    planned reveal). :meth:`hold_from` serves streaming: what of an unfinished sentence
    could still fail once more text arrives.
    """

    def __init__(
        self,
        checker: CharacterChecker,
        request: RenderRequest,
        pending: list[tuple[str, frozenset[str]]],
        public: set[str],
        prompt_templates: list[str],
        pending_keys: dict[str, list[str]] | None = None,
    ):
        rules = self.rules = checker.rules
        reaction = request.plan.reaction
        may_approve = reaction in rules.approval_allowed_in
        self.pending = pending  # (hidden fact id, its distinctive words) not to be given
        self.distinctive = frozenset().union(*(d for _, d in pending))
        self._pending_keys = pending_keys or {}
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
        self._reversal, self._tokens = checker._reversal, checker._tokens
        self._acquiescing = (
            checker._acquiesce if reaction in rules.acquiescence_forbidden_in else []
        )
        self._acq_unless = checker._acq_unless
        self._self_address = _self_address(
            tuple(rules.self_address), request.persona.identity.name
        ) + _as_agent(checker, request)
        # The planned reveal: the fact the machine chose to give in this reply.
        hidden = {f.id: f.text for f in request.persona.case.hidden_facts}
        self.reveal = hidden.get(request.plan.fact or "")
        self.reveal_id = request.plan.fact
        # Unless the fact itself reads like one ("That's the bit I can't get past.").
        self._withholding = (
            [w for w in checker._withholding if not w.search(self.reveal.replace("’", "'"))]
            if self.reveal
            else []
        )
        self._reveal_keys = key_values(self.reveal) if self.reveal else []
        self._reveal_words = units(self.reveal, self._stop) - public if self.reveal else set()
        last = request.history[-1] if request.history else None
        self._agent_last = (
            units(last.text, self._stop) if last is not None and last.role == "agent" else set()
        )
        self._splitter = splitter_for(request.persona.language)
        self._said = [
            u
            for s in sentences_of(
                (t.text for t in request.history if t.role == "customer"), self._splitter
            )
            if len(u := units(s, self._stop)) >= rules.echo_min_words
        ]
        # Whole earlier replies, for a reply that says one again word for word, however
        # short ("No idea." three turns running): too short for the sentence check above.
        self._replies = {
            r for t in request.history if t.role == "customer" and (r := _alnum(t.text))
        }
        self._prompt = prompt_ngrams(tuple(prompt_templates), rules.prompt_words)
        self.checks = [
            *ALWAYS,
            *(["false_accept"] if self._accepting else []),
            *(["not_rejecting"] if self._acquiescing else []),
            *(["withholding", "missing_reveal"] if self.reveal else []),
            *(["hidden_fact"] if pending else []),
        ]

    def _brk(self, kind: str, sentence: str) -> CharacterBreak:
        return CharacterBreak(kind, _REASONS[kind], sentence)

    def __call__(self, sentence: str) -> CharacterBreak | None:
        """The first rule the complete ``sentence`` breaks in this turn, or None."""
        s = sentence.replace("’", "'")
        if any(p.search(s) for p in self._tokens):
            return self._brk("special_token", sentence)
        if any(p.search(s) for p in self._agent):
            return self._brk("agent_speech", sentence)
        if any(p.search(s) for p in self._reversal):
            return self._brk("role_reversal", sentence)
        if any(p.search(s) for p in self._self_address):
            return self._brk("self_address", sentence)
        if any(p.search(s) for p in self._ai):
            return self._brk("ai_disclosure", sentence)
        # After the specific kinds: the prompt quotes phrases they forbid.
        if self._prompt and has_prompt_text(s, self._prompt, self.rules.prompt_words):
            return self._brk("prompt_text", sentence)
        if (
            self._accepting
            and not any(p.search(s) for p in self._unless)
            and any(p.search(s) for p in self._accepting)
        ):
            return self._brk("false_accept", sentence)
        if any(p.search(s) for p in self._withholding):
            return self._brk("withholding", sentence)
        said = units(s, self._stop)
        long_enough = len(said) >= self.rules.echo_min_words
        question = s.rstrip().endswith(("?", "？"))  # "So you'll refund me today?" asks
        if long_enough and not question and self._echoes(said):
            return self._brk("echo", sentence)
        if long_enough and any(
            jaccard(said, before) >= self.rules.repeat_overlap for before in self._said
        ):
            return self._brk("repeat", sentence)
        for fact_id, distinctive in self.pending:
            hits = len(distinctive & said)
            need = min(self.rules.hidden_fact_min_words, len(distinctive))
            keys = self._pending_keys.get(fact_id)
            if (hits >= need and hits / len(distinctive) >= self.rules.hidden_fact_overlap) or (
                keys and any(k in _alnum(s) for k in keys)
            ):
                return CharacterBreak(
                    "hidden_fact",
                    f"gave away a fact the agent had not asked about ({fact_id})",
                    sentence,
                )
        return None

    def _echoes(self, said: set[str]) -> bool:
        return containment(said, self._agent_last) >= self.rules.echo_overlap

    def _acquiescent(self, sentence: str) -> bool:
        s = sentence.replace("’", "'")
        return not any(p.search(s) for p in self._acq_unless) and any(
            p.search(s) for p in self._acquiescing
        )

    def all_acquiescent(self, text: str) -> bool:
        """Whether every sentence of ``text`` so far goes along with the agent (True for
        no text): under a reaction that pushes back, such a reply has not pushed back."""
        return bool(self._acquiescing) and all(
            self._acquiescent(text[a:b]) for a, b in self._splitter.sentences(text)
        )

    def needs_whole(self, text: str) -> bool:
        """Whether the reply so far (``text``) must be held back: a whole-reply check could
        still fail on it (the planned reveal, a reply that only goes along, or one that may
        yet be an earlier reply again)."""
        return (
            self.reveal is not None or self.all_acquiescent(text) or self._may_repeat_a_reply(text)
        )

    def _may_repeat_a_reply(self, text: str) -> bool:
        """Whether ``text`` (the reply so far) could still end as an earlier reply."""
        so_far = _alnum(text)
        return any(reply.startswith(so_far) for reply in self._replies)

    def reply(self, text: str) -> CharacterBreak | None:
        """The whole reply's checks: it is not an earlier reply again, word for word; under
        a reaction that pushes back, not every sentence goes along with the agent ("I
        understand. I'll write that down."); the fact the machine chose to reveal is in it
        (its key values; for a fact without digits, enough of its distinctive words)."""
        if _alnum(text) in self._replies:
            return self._brk("repeat", text)
        if text.strip() and self.all_acquiescent(text):
            return self._brk("not_rejecting", text)
        if not self.reveal:
            return None
        if self._reveal_keys:
            given = gives_values(text, self._reveal_keys)
        else:
            given = (
                not self._reveal_words
                or containment(self._reveal_words, units(text, self._stop))
                >= self.rules.reveal_min_share
            )
        return None if given else self._brk("missing_reveal", text)

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
        groups = [
            ("special_token", self._tokens),
            ("agent_speech", self._agent),
            ("role_reversal", self._reversal),
            ("self_address", self._self_address),
            ("ai_disclosure", self._ai),
        ]
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


def _as_agent(checker: CharacterChecker, request: RenderRequest) -> list[saferegex.SafePattern]:
    """The ``as_agent`` rules for each name the agent introduced themselves by so far."""
    names = {
        m.group("name")
        for t in request.history
        if t.role == "agent"
        for p in checker._intro
        for m in p.finditer(t.text)
        if m.group("name")
    }
    out: list[saferegex.SafePattern] = []
    for name in sorted(names):
        out += _self_address(tuple(checker.rules.as_agent), name)
    return out


@lru_cache(maxsize=64)
def _self_address(templates: tuple[str, ...], who: str) -> list[saferegex.SafePattern]:
    """The self-address rules with ``$name`` as the persona's full or first name."""
    names = "|".join(regex.escape(n) for n in dict.fromkeys([who, who.split()[0]]) if n)
    flags = regex.IGNORECASE | regex.MULTILINE
    return [saferegex.compile(t.replace("$name", f"(?:{names})"), flags) for t in templates]


def _digit_count(value: str) -> int:
    return sum(c.isdigit() for c in value)


def _alnum(text: str) -> str:
    return regex.sub(r"[^\w]", "", text.lower())


def load_character_rules(path: Path) -> CharacterRules:
    """Load and validate one ``character.yaml`` (FileProblems name file:line: field); it
    must be written for its pack folder's language."""
    rules = load_model(CharacterRules, path)
    if path.name == PACK_FILE:  # a pack's file; a loose one (a test's) has no folder language
        check_folder_language(path, rules.language, "character rules")
    return rules


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
        # The special-token defaults are in every file: listed once.
        update["special_tokens"] = list(dict.fromkeys(update["special_tokens"]))
        update.update({k: getattr(extra, k) for k in _SETTINGS})
        merged = merged.model_copy(update=update)
    return merged


def checker_for(language: str = "en") -> CharacterChecker:
    """The checker for a persona's language (English rules when it has none of its own),
    built once per process and configuration of trainers' language folders."""
    return _cached_checker(language, os.environ.get(LANGUAGES_ENV, ""))


@lru_cache(maxsize=16)
def _cached_checker(language: str, folders: str) -> CharacterChecker:
    return CharacterChecker(merged_rules([load_character_rules(p) for p in rules_files(language)]))
