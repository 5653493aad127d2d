"""Reference trainee policies: scripted, deterministic agents that answer the customer.

Each policy embodies one way of handling a complaint, good or bad, so calibration can
measure whether a persona rewards what DOMAIN teaches and punishes what it warns
against. A policy sees what a trainee would see: the customer's replies and reactions
(``Conversation``) and the case as an agent learns it in conversation (the remedies it
may offer). It never reads the customer's numbers. Its words come from
``agent_lines.yaml`` in the persona's language pack (English when the pack has none); the
seed picks the wording and a few handling choices, never
whether the policy follows its rules.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..customer.state import ReactionPlan, Step
from ..languages import pack_file
from ..moves.vocabulary import Move
from ..persona.model import Persona, Remedy
from ..reactions import Reaction
from ..render.base import Turn
from ..yamlfile import load_model

AGENT_LINES = "agent_lines.yaml"  # in each language pack
AGENT_NAME = "Sam Carter"
LEVEL_ORDER = {"below": 0, "bottom_line": 1, "expectation": 2}


class LineMeaning(BaseModel):
    """The move a key's lines are meant to show, whatever the language."""

    model_config = ConfigDict(extra="forbid")

    move: Move = Field(description="Found in every variant of the key, in every language.")
    may_also: list[Move] = Field(
        default_factory=list,
        description="Moves a variant may show besides (a guarantee 'within the hour' is a "
        "timescale too); any other move found is a misreading.",
    )


class AgentLines(BaseModel):
    """The lines the policies speak, by key (mostly a move name)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    agent_name: str = Field(
        AGENT_NAME, min_length=1, description="The name the reference trainee gives ({name})."
    )
    either_or: str = Field(
        "{first} Or {second}",
        description="How two offers are put as a choice ({remedies} in 'options'): "
        "{first} and {second} are the two remedies' sentences.",
    )
    lines: dict[str, list[str]] = Field(description="Key -> variants; one is said per turn.")
    means: dict[str, LineMeaning] = Field(
        default_factory=dict,
        description="Key -> the move its lines are meant to show (English's file holds the "
        "shipped keys'; the same in every language). A key without one is a template "
        "filled with the persona's own words ({remedy}).",
    )


def load_agent_lines(language: str = "en") -> AgentLines:
    """The policies' lines in ``language`` (English when its packs have none): the shipped
    pack's, with a trainer's variants added to each key. What each key means comes from
    English's files and then the language's (a trainer's new key may bring its own)."""
    paths = pack_file(language, AGENT_LINES) or pack_file("en", AGENT_LINES)
    meaning_paths = list(dict.fromkeys([*pack_file("en", AGENT_LINES), *paths]))
    merged: dict[str, list[str]] = {}
    means: dict[str, LineMeaning] = {}
    scalars: dict[str, str] = {}
    for path in paths:
        loaded = _agent_lines(path)
        for key, variants in loaded.lines.items():
            merged[key] = merged.get(key, []) + variants
        # A later file (a trainer's) that names the agent or the choice wins.
        scalars.update({k: getattr(loaded, k) for k in SCALARS if k in loaded.model_fields_set})
    for path in meaning_paths:
        means.update(_agent_lines(path).means)
    return AgentLines(schema_version=1, lines=merged, means=means, **scalars)


SCALARS = ("agent_name", "either_or")


def load_agent_lines_file(path: Path) -> AgentLines:
    """Load and validate one ``agent_lines.yaml`` (FileProblems name file:line: field)."""
    return load_model(AgentLines, path)


@lru_cache(maxsize=16)
def _agent_lines(path: Path) -> AgentLines:
    return load_agent_lines_file(path)  # cached: every policy turn reads them


@dataclass
class Conversation:
    """The conversation so far, as the trainee sees it."""

    persona: Persona
    history: list[Turn] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def turn(self) -> int:
        """Agent turns taken so far."""
        return len(self.steps)

    @property
    def last_reply(self) -> str:
        customer = [t.text for t in self.history if t.role == "customer"]
        return customer[-1] if customer else ""

    @property
    def last_plan(self) -> ReactionPlan | None:
        return self.steps[-1].plan if self.steps else None

    def reacted(self, *reactions: Reaction) -> bool:
        """Whether the customer's last reply was (or included) one of ``reactions``."""
        plan = self.last_plan
        if plan is None:
            return False
        return plan.reaction in reactions or any(r in reactions for r in plan.extras)

    @property
    def answered_last(self) -> bool:
        """Whether the last reply answered a question with something new."""
        plan = self.last_plan
        return bool(plan and plan.fact)

    @property
    def rejected(self) -> set[str]:
        """Remedy ids the customer has turned down."""
        return {s.plan.rejected for s in self.steps if s.plan.rejected}


class Policy:
    """A scripted trainee. Subclasses implement :meth:`next_turn`."""

    id: ClassVar[str]
    label: ClassVar[str]
    domain: ClassVar[str]
    description: ClassVar[str]
    # A policy that is another's twin but for one difference words everything else as
    # that one does for the same seed, so calibration compares exactly the difference.
    words_as: ClassVar[str] = ""

    def __init__(self, persona: Persona, seed: int):
        self.persona = persona
        self.seed = seed
        # Seeded by policy and seed only: every persona hears the same first turn for a
        # seed, so the matrix compares customers, not wordings.
        digest = hashlib.sha256(f"{self.words_as or self.id}:{seed}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        words = load_agent_lines(persona.language)
        self._lines = words.lines
        self._agent_name = words.agent_name
        self._either_or = words.either_or

    # -- words -------------------------------------------------------------------------
    def say(self, key: str, **values: str) -> str:
        """One variant of the line for ``key``, placeholders filled."""
        variants = self._lines[key]
        line = variants[self.rng.randrange(len(variants))]
        fill = {
            "name": self._agent_name,
            "title": _lower_first(self.persona.case.title),
            "remedy": "",
            "remedies": "",
        }
        fill.update(values)
        return line.format(**fill)

    def join(self, *keys: str, **values: str) -> str:
        return " ".join(self.say(k, **values) for k in keys)

    # -- the case as a trained agent learns it ------------------------------------------
    def acceptable_remedies(self, exclude: Set[str] = frozenset()) -> list[Remedy]:
        """Remedies within policy that meet at least the bottom line, best first."""
        found = [
            r
            for r in self.persona.case.remedies
            if r.level != "below" and r.id not in exclude and not r.beyond_rules
        ]
        return sorted(found, key=lambda r: -LEVEL_ORDER[r.level])

    def offer(self, convo: Conversation, allow_choice: bool = True) -> str:
        """Offer a remedy (or a choice of two) that the customer has not turned down."""
        allowed = [r for r in self.persona.case.remedies if not r.beyond_rules]
        choices = (
            self.acceptable_remedies(convo.rejected)
            or [r for r in allowed if r.id not in convo.rejected]
            or allowed
        )
        if allow_choice and len(choices) >= 2 and self.rng.random() < 0.5:
            a, b = choices[0], choices[1]
            return self.say(
                "options",
                remedies=self._either_or.format(
                    first=_sentence(a.example), second=_lower_first(_sentence(b.example))
                ),
            )
        return self.say("remedy", remedy=_sentence(choices[0].example))

    def next_turn(self, convo: Conversation) -> str:
        """The agent's next message."""
        raise NotImplementedError


# Marks that end a sentence: Chinese writes its own, with no space after them.
SENTENCE_ENDS = ".!?。！？"


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".!。！")
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in SENTENCE_ENDS else text + "."


class Exemplary(Policy):
    """Everything DOMAIN teaches, in its order: mood first, then the matter."""

    id = "exemplary"
    label = "Exemplary"
    domain = "§3.1-§3.8, §4"
    description = (
        "Thanks, apologises and acknowledges feelings; asks until the facts are "
        "known; restates, explains, offers a remedy within policy with a "
        "timescale, owns it, gives a contact and checks the customer is happy."
    )

    def __init__(self, persona: Persona, seed: int):
        super().__init__(persona, seed)
        self.two_questions = self.rng.random() < 0.5
        self.offered = False

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0:
            questions = ("ask_open", "ask_closed") if self.two_questions else ("ask_open",)
            return self.join("thank", "apologise", "empathise", *questions)
        if convo.reacted(Reaction.NOT_HEARD):
            return self.join("apologise", "empathise", "restate", "own", "check")
        if convo.reacted(Reaction.DEMAND_FACTS):
            return (
                self.join("explain", "own", "timescale")
                if self.offered
                else self.join("explain", "ask_more")
            )
        if convo.reacted(Reaction.PREMATURE_OFFER) or (not self.offered and convo.answered_last):
            return (
                self.join("empathise", "ask_more")
                if convo.turn % 2
                else self.join("restate", "ask_more")
            )
        if convo.reacted(Reaction.ASK_TIMESCALE):
            return self.join("timescale", "own", "contact", "check")
        if convo.reacted(Reaction.REJECT_OFFER):
            return " ".join(
                [
                    self.say("explain"),
                    self.offer(convo, allow_choice=False),
                    self.say("timescale"),
                    self.say("check"),
                ]
            )
        if not self.offered:
            self.offered = True
            return " ".join(
                [
                    self.say("restate"),
                    self.say("explain"),
                    self.offer(convo),
                    self.say("timescale"),
                    self.say("own"),
                    self.say("contact"),
                    self.say("check"),
                ]
            )
        # Offered and still doubted: build trust without giving more away (§3.4, §3.5).
        return self.join("empathise", "explain", "own", "contact", "timescale", "check")


class ColdFixer(Policy):
    """Gets the facts and fixes the problem, but never acknowledges how the customer feels."""

    id = "cold_fixer"
    label = "Cold fixer"
    domain = "§2.1, §3.2"
    description = (
        "Asks the needed questions, then offers a remedy with a timescale and "
        "explanation; no thanks, apology or empathy."
    )

    def __init__(self, persona: Persona, seed: int):
        super().__init__(persona, seed)
        self.offered = False

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0:
            return self.join("ask_open", "ask_closed")
        if convo.reacted(Reaction.PREMATURE_OFFER) or (not self.offered and convo.answered_last):
            return self.say("ask_more")
        if convo.reacted(Reaction.REJECT_OFFER):
            return " ".join(
                [self.say("explain"), self.offer(convo, allow_choice=False), self.say("timescale")]
            )
        if not self.offered:
            self.offered = True
            return " ".join([self.offer(convo, allow_choice=False), self.say("timescale")])
        return self.join("explain", "timescale")


class WarmButEmpty(Policy):
    """All sympathy and no substance: never proposes anything."""

    id = "warm_but_empty"
    label = "Warm but empty"
    domain = "§2.1, §3.4"
    description = "Thanks, apologises and empathises every turn; offers no remedy or plan."

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0:
            return self.join("thank", "apologise", "empathise")
        return (
            self.join("empathise", "apologise")
            if convo.turn % 2
            else self.join("apologise", "empathise")
        )


class Defensive(Policy):
    """Makes excuses, blames a colleague and argues; never offers a fix."""

    id = "defensive"
    label = "Defensive"
    domain = "§3.1 stage 2, §4"
    description = "Excuses and blames a colleague, then argues with the customer."

    def next_turn(self, convo: Conversation) -> str:
        cycle = [("excuse", "blame_others"), ("argue",), ("excuse",), ("blame_others",)]
        return self.join(*cycle[convo.turn % len(cycle)])


class Dismissive(Policy):
    """Tells the customer to calm down and refuses flatly."""

    id = "dismissive"
    label = "Dismissive"
    domain = "§2.5, §3.7 C, §4"
    description = "Tells the customer to calm down, then refuses in one go."

    def __init__(self, persona: Persona, seed: int):
        super().__init__(persona, seed)
        self.refuse_first = self.rng.random() < 0.3

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0 and not self.refuse_first:
            return self.say("calm_down")
        return (
            self.join("calm_down", "flat_refusal") if convo.turn % 2 else self.say("flat_refusal")
        )


class Transferrer(Policy):
    """Passes the customer on, or puts them on hold, without a reason."""

    id = "transferrer"
    label = "Transferrer"
    domain = "§3.1 stage 2, §4"
    description = "Transfers or puts the customer on hold every turn, never saying why."

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0 and self.rng.random() < 0.5:
            return self.join("thank", "bare_transfer")
        return self.say("bare_transfer")


class OverPromiser(Policy):
    """Pleasant and quick to fix, but promises beyond what the company can deliver."""

    id = "over_promiser"
    label = "Over-promiser"
    domain = "§3.6, §3.7 T, §4"
    description = (
        "Apologises and empathises, asks, then offers a remedy with a guarantee "
        "beyond policy ('within the hour'), and doubles down when doubted."
    )

    # What backs the offer: the guarantee. The realistic fixer below says a timescale.
    promise = "over_promise"

    def __init__(self, persona: Persona, seed: int):
        super().__init__(persona, seed)
        self.offered = False

    def next_turn(self, convo: Conversation) -> str:
        if convo.turn == 0:
            return self.join("apologise", "empathise", "ask_open")
        if not self.offered and (convo.answered_last or convo.reacted(Reaction.PREMATURE_OFFER)):
            return self.join("empathise", "ask_more")
        if convo.reacted(Reaction.NOT_HEARD):
            return self.join("apologise", "empathise", self.promise)
        if convo.reacted(Reaction.REJECT_OFFER) or not self.offered:
            self.offered = True
            return " ".join([self.offer(convo, allow_choice=False), self.say(self.promise)])
        return self.join("empathise", self.promise)


class RealisticFixer(OverPromiser):
    """The over-promiser's twin: the same turns, with a realistic timescale in place of
    the guarantee, so calibration compares exactly that difference (DOMAIN §4.4)."""

    id = "realistic_fixer"
    label = "Realistic fixer"
    domain = "§3.7 T, §4.4"
    description = (
        "The over-promiser's script with a realistic timescale ('within two "
        "working days') wherever the over-promiser guarantees the impossible."
    )
    promise = "timescale"


class GiveAway(Exemplary):
    """The exemplary script, but generous beyond the company's rules: with the allowed
    offer it gives away what the case card says is not allowed (DOMAIN §3.9, the
    "prodigal son" of §3.4). The customer may be pleased; the grader is not."""

    id = "give_away"
    words_as = "exemplary"
    label = "Give-away"
    domain = "§3.9, §3.4"
    description = (
        "Handles as the exemplary policy does, but adds to every offer a remedy "
        "beyond the company's rules for the case (a goodwill payment, free "
        "months, cash the rules exclude)."
    )

    def offer(self, convo: Conversation, allow_choice: bool = True) -> str:
        allowed = super().offer(convo, allow_choice=False)
        extras = sorted(self.persona.give_aways(), key=lambda r: -LEVEL_ORDER[r.level])
        return f"{allowed} {_sentence(extras[0].example)}" if extras else allowed


class Boundary(Exemplary):
    """The exemplary script, opened with a calm, respectful boundary (DOMAIN §4.2): do not
    mirror the aggression, do not indulge it."""

    id = "boundary"
    words_as = "exemplary"
    label = "Boundary"
    domain = "§4.2, §2.4 aggressive"
    description = (
        "Opens by asking calmly to keep the conversation respectful while saying "
        "they want to help, then handles as the exemplary policy does."
    )

    def next_turn(self, convo: Conversation) -> str:
        turn = super().next_turn(convo)
        if convo.turn:
            return turn
        # Worded from the seed alone, so every other choice is the exemplary policy's for
        # the same seed and calibration compares exactly the boundary.
        variants = self._lines["set_boundary"]
        return f"{variants[self.seed % len(variants)]} {turn}"


class Precedent(Policy):
    """Brings the expectation down (DOMAIN §3.5): asks, explains the rule from the
    company's side with a precedent, then offers the least the customer accepts within the
    rules, with a timescale. Its twin, the bottom-liner, says the same without the
    explanation."""

    id = "precedent"
    label = "Precedent"
    domain = "§3.5, §2.5"
    description = (
        "Asks for the facts, then explains the company's rule with a precedent and "
        "offers the bottom-line remedy (not the expectation) with a timescale."
    )
    explains = True

    def __init__(self, persona: Persona, seed: int):
        super().__init__(persona, seed)
        self.offered = False

    def bottom_line(self, convo: Conversation) -> str:
        found = [r for r in self.acceptable_remedies(convo.rejected) if r.level == "bottom_line"]
        return (
            self.say("remedy", remedy=_sentence(found[0].example))
            if found
            else self.offer(convo, allow_choice=False)
        )

    def next_turn(self, convo: Conversation) -> str:
        why = ("precedent",) if self.explains else ()
        if convo.turn == 0:
            return self.join("apologise", "empathise", "ask_open")
        if not self.offered and (convo.answered_last or convo.reacted(Reaction.PREMATURE_OFFER)):
            return self.join("empathise", "ask_more")
        if not self.offered or convo.reacted(Reaction.REJECT_OFFER):
            self.offered = True
            return " ".join(
                [*(self.say(k) for k in why), self.bottom_line(convo)]
                + [self.say("timescale"), self.say("check")]
            )
        return self.join(*why, "own", "contact", "timescale", "check")


class BottomLiner(Precedent):
    """The precedent policy's twin: the same turns without the explanation, so calibration
    compares exactly that difference (DOMAIN §3.5)."""

    id = "bottom_liner"
    words_as = "precedent"
    label = "Bottom-liner"
    domain = "§2.5, §3.5"
    description = (
        "The precedent policy's script without the explanation: offers the "
        "bottom-line remedy with a timescale and no reason why it is fair."
    )
    explains = False


POLICIES: dict[str, type[Policy]] = {
    p.id: p
    for p in (
        Exemplary,
        ColdFixer,
        WarmButEmpty,
        Defensive,
        Dismissive,
        Transferrer,
        OverPromiser,
        RealisticFixer,
        GiveAway,
        Boundary,
        Precedent,
        BottomLiner,
    )
}
