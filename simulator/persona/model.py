"""The persona file format. These pydantic models are the source of truth: the JSON Schema
in ``simulator/schemas/persona.schema.json`` is generated from them (``frontline
export-schemas``) and a test fails when the committed copy drifts.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import saferegex
from ..languages.catalogue import Texts
from ..moves.vocabulary import Move
from ..reactions import Reaction

# 2 adds per-language overlays (``languages``, simulator/persona/overlay.py); 1 still loads.
PERSONA_SCHEMA_VERSION = 2

Score = Annotated[float, Field(ge=0, le=100, strict=True)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]

# Placeholders a phrase may use; the renderer fills them from the case and the state.
PLACEHOLDERS = frozenset(
    {
        "name",
        "company",
        "title",
        "fact",
        "hidden_fact",
        "expectation",
        "bottom_line",
        "if_crossed",
        "offer",
        "rejected",
    }
)


class Archetype(StrEnum):
    """DOMAIN §2.4, the five difficult ones; and §2.6, the ordinary, reasonable customer
    most conversations are with."""

    ORDINARY = "ordinary"
    MEEK = "meek"
    AGGRESSIVE = "aggressive"
    VIP = "vip"
    CHRONIC = "chronic"
    NEVER_SATISFIED = "never_satisfied"


class Temperament(StrEnum):
    """DOMAIN §2.1."""

    RATIONAL = "rational"
    EMOTIONAL = "emotional"


class ComplaintType(StrEnum):
    """DOMAIN §2.3."""

    MATTER = "matter"
    ATTITUDE = "attitude"
    OPINION = "opinion"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


def _check_placeholders(bank: dict, where: str = "") -> None:
    """Every phrase's braces parse and name known placeholders."""
    for reaction, entry in bank.items():
        lines = entry.hot + entry.cool if isinstance(entry, BandedPhrases) else entry
        for line in lines:
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(line) if f is not None}
            except ValueError as exc:
                raise ValueError(
                    f"{where}{reaction.value}: bad braces in {line!r}: {exc}"
                ) from None
            unknown = names - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"{where}{reaction.value}: unknown placeholder "
                    f"{{{sorted(unknown)[0]}}} in {line!r}; "
                    f"known: {', '.join(sorted(PLACEHOLDERS))}"
                )


def _regex(value: str) -> str:
    why = saferegex.problem(value)  # invalid, or a shape that can take exponential time
    if why is not None:
        raise ValueError(
            why.replace("regular expression", f"regular expression {value!r}", 1)
            if why.startswith("invalid")
            else f"{value!r}: {why}"
        )
    return value


class Mood(Strict):
    """The customer's state on three 0-100 scales."""

    anger: Score = Field(description="How upset the customer is; high anger escalates.")
    trust: Score = Field(description="How far the customer believes the handler will fix it.")
    patience: Score = Field(description="How much longer they will stay; at 0 they exit.")


class MoodDelta(Strict):
    anger: float = Field(0, strict=True, ge=-100, le=100)
    trust: float = Field(0, strict=True, ge=-100, le=100)
    patience: float = Field(0, strict=True, ge=-100, le=100)


class Identity(Strict):
    name: str = Field(min_length=1, max_length=80)
    age: int | None = Field(None, strict=True, ge=16, le=110)
    occupation: str = ""
    background: str = Field(min_length=1, description="Who they are, in a sentence or two.")
    company: str = Field(min_length=1, description="The business they are complaining to.")
    channel: Literal["chat", "phone", "email"] = "chat"


class Thresholds(Strict):
    escalate_at: Score = Field(
        90,
        description="Anger at or above this ends the session: "
        "the customer escalates (or leaves, if exit is 'leave').",
    )
    accept_anger: Score = Field(55, description="Anger must be at or below this to accept.")
    accept_trust: Score = Field(50, description="Trust must be at or above this to accept.")
    patience_drain: float = Field(
        5, strict=True, ge=0, le=50, description="Patience lost every turn."
    )
    exit: Literal["escalate", "leave"] = Field(
        "escalate", description="What the customer does when anger or patience runs out."
    )


class Trigger(Strict):
    """A phrase this particular customer reacts to, beyond the shared moves."""

    pattern: str = Field(description="Regex, case-insensitive, matched against the agent turn.")
    effect: MoodDelta
    reason: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _regex(value)


class HiddenFact(Strict):
    """A fact the customer gives only when asked (DOMAIN §3.3)."""

    id: Slug
    text: str = Field(min_length=1, description="How the customer states it when asked.")
    asked_by: list[str] = Field(
        default_factory=list,
        description="Regexes: a question "
        "matching one uncovers this fact first. Any question "
        "uncovers the next fact in order otherwise.",
    )
    required: bool = Field(True, description="An offer made before this is known is premature.")
    example: str = Field(
        "",
        description="A question a handler might ask that uncovers this "
        "fact; when given, one of asked_by must match it.",
    )

    @field_validator("asked_by")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]

    @model_validator(mode="after")
    def _example_is_asked(self) -> HiddenFact:
        if (
            self.example
            and self.asked_by
            and not any(saferegex.compile(p).search(self.example) for p in self.asked_by)
        ):
            raise ValueError(f"example {self.example!r} matches none of asked_by")
        return self


class Remedy(Strict):
    """A remedy the agent might offer, and where it sits against the customer's lines."""

    id: Slug
    description: str = Field(min_length=1)
    level: Literal["expectation", "bottom_line", "below"] = Field(
        description="'expectation' meets what they hope for, 'bottom_line' the least they "
        "accept, 'below' is rejected (DOMAIN §2.5)."
    )
    triggers: list[str] = Field(min_length=1, description="Regexes that recognise the offer.")
    example: str = Field(min_length=1, description="An agent sentence that offers it.")
    beyond_rules: bool = Field(
        False,
        description="Beyond what the company allows for the case (company_rules.limit): a "
        "give-away the customer may welcome but the grader penalises (DOMAIN §3.9).",
    )

    @field_validator("triggers")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]


class CompanyRules(Strict):
    """What the company allows the agent to offer in this case and where flexibility ends:
    the service standard is the rectangle, flexibility the circle inside it (DOMAIN §3.9).
    This is the trainee's brief; it never states the customer's own lines."""

    standard: str = Field(
        min_length=1,
        max_length=400,
        description="What the agent may offer: the company's standard for a case like this.",
    )
    limit: str = Field(
        min_length=1,
        max_length=400,
        description="Where flexibility ends: what is never given, or needs someone who can decide.",
    )
    max_amount: float | None = Field(
        None,
        ge=0,
        strict=True,
        description="The most money, in `currency`, the agent may offer in this case; a sum "
        "above it offered is a give-away (DOMAIN §3.9). None: no sum is checked.",
    )
    currency: str = Field(
        "£",
        min_length=1,
        max_length=3,
        pattern=r"\S",
        description="The symbol written before sums of money in this case.",
    )


PromiseOutcome = Literal["kept", "late", "broken"]
PROMISE_OUTCOMES: tuple[PromiseOutcome, ...] = ("kept", "late", "broken")


class FollowUpScenario(Strict):
    """The follow-up call days after a resolved conversation (DOMAIN §3.11): the customer
    remembers the promise, which the scenario has kept, kept late or broken (§3.4 (2),
    §4.4), and says so in these words. A session's seed picks among ``outcomes`` unless the
    trainee asks for one; an over-promise made in the call is always broken."""

    days_later: int = Field(
        3, strict=True, ge=1, le=60, description="How many days after the call it happens."
    )
    outcomes: list[PromiseOutcome] = Field(
        default_factory=lambda: list(PROMISE_OUTCOMES),
        min_length=1,
        description="How the promise may have turned out in this scenario.",
    )
    phrases: dict[PromiseOutcome, dict[Reaction, PhraseList | BandedPhrases]] = Field(
        description="Per outcome, the lines that replace the persona's own for those "
        "reactions in the follow-up call; each outcome needs at least its 'opening' (what "
        "the customer says when called back) and 'accept'."
    )

    @model_validator(mode="after")
    def _each_outcome_speaks(self) -> FollowUpScenario:
        for outcome in self.outcomes:
            bank = self.phrases.get(outcome)
            lacking = [r for r in ("opening", "accept") if bank is None or Reaction(r) not in bank]
            if lacking:
                raise ValueError(f"phrases.{outcome} lacks: {', '.join(lacking)}")
        for outcome, bank in self.phrases.items():
            _check_placeholders(bank, f"phrases.{outcome}.")
        return self


class Case(Strict):
    title: str = Field(min_length=1, max_length=120, description="One line, shown on cards.")
    type: ComplaintType = Field(description="DOMAIN §2.3.")
    facts: list[str] = Field(min_length=1, description="What the customer states unasked.")
    hidden_facts: list[HiddenFact] = Field(default_factory=list)
    expectation: str = Field(min_length=1, description="What they consider reasonable (§2.5).")
    bottom_line: str = Field(min_length=1, description="The least they will accept (§2.5).")
    if_crossed: str = Field(min_length=1, description="What they will do if it is not met.")
    rejects: list[str] = Field(default_factory=list, description="Offers they refuse outright.")
    remedies: list[Remedy] = Field(min_length=1)
    company_rules: CompanyRules | None = Field(
        None,
        description="What the agent may offer "
        "and where flexibility ends (DOMAIN §3.9), "
        "shown to the trainee as the brief.",
    )
    follow_up: FollowUpScenario | None = Field(
        None,
        description="The follow-up call after a resolved conversation (DOMAIN §3.11); "
        "without it the persona offers no follow-up practice.",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Case:
        for kind, items in (("hidden_facts", self.hidden_facts), ("remedies", self.remedies)):
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate {kind} id: {', '.join(sorted(dup))}")
        return self


class Style(Strict):
    tone: Literal["formal", "neutral", "casual", "curt"] = "neutral"
    description: str = Field(min_length=1, description="How they talk, for renderers.")
    quirks: list[str] = Field(default_factory=list)


# A phrase the customer says: never empty or only spaces.
Phrase = Annotated[str, Field(min_length=1, pattern=r"\S")]
PhraseList = Annotated[list[Phrase], Field(min_length=1)]


class BandedPhrases(Strict):
    """Variants by anger: ``hot`` when anger is at or above 60, ``cool`` below."""

    hot: PhraseList
    cool: PhraseList


class Persona(Strict):
    """A simulated complaining customer."""

    schema_version: Literal[1, 2] = Field(
        description="Version of this file format: 2 adds 'languages'; 1 files still load."
    )
    id: Slug
    summary: str = Field(min_length=1, max_length=160, description="One line for persona cards.")
    archetype: Archetype
    temperament: Temperament
    language: str = Field("en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    difficulty: int = Field(3, strict=True, ge=1, le=5)
    domain: list[str] = Field(
        min_length=1,
        description="Sections of docs/domain.md this persona embodies, e.g. '§2.4 aggressive'.",
    )
    identity: Identity
    start: Mood
    thresholds: Thresholds = Thresholds()
    max_turns: int = Field(12, strict=True, ge=2, le=60)
    sensitivity: dict[Move, Annotated[float, Field(ge=0, le=5, strict=True)]] = Field(
        default_factory=dict,
        description="Multiplier on the shared effect of each move "
        "(1 = as documented, 2 = twice as strong, 0 = ignored).",
    )
    triggers: list[Trigger] = Field(default_factory=list)
    case: Case
    style: Style
    phrases: dict[Reaction, PhraseList | BandedPhrases]

    @field_validator("domain")
    @classmethod
    def _cites_domain(cls, values: list[str]) -> list[str]:
        for v in values:
            if not re.match(r"^§\d+(\.\d+)?\b", v):
                raise ValueError(f"{v!r} should start with a DOMAIN section such as '§2.4'")
        return values

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, bank: dict[Reaction, PhraseList | BandedPhrases]):
        missing = [r.value for r in Reaction if r not in bank]
        if missing:
            raise ValueError(f"phrase bank lacks reactions: {', '.join(missing)}")
        _check_placeholders(bank)
        return bank

    def content_hash(self) -> str:
        """A stable hash of everything that shapes behaviour and words, for transcripts."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def trainee_brief(self, t: Texts | None = None) -> list[str]:
        """What the trainee is told before the conversation, one line each: who they work
        for and the channel, then the company's rules for the case, what they may offer and
        where flexibility ends (DOMAIN §3.9). Never the customer's expectation or bottom
        line: finding those is the trainee's job. The frame is ``t``'s words (by default the
        persona's own language's); the company and its rules are the persona's."""
        t = t or Texts(self.language)
        ident, rules = self.identity, self.case.company_rules
        channel = t(f"channel.{ident.channel}")
        lines = [t("brief.works_for", company=ident.company, channel=channel)]
        if rules is None:
            return lines + [t("brief.no_rules")]
        return lines + [
            t("brief.may_offer", standard=rules.standard),
            t("brief.limit", limit=rules.limit),
        ]

    def give_aways(self) -> list[Remedy]:
        """The remedies this customer would recognise that the company does not allow."""
        return [r for r in self.case.remedies if r.beyond_rules]

    def sensitivity_for(self, move: Move) -> float:
        return self.sensitivity.get(move, 1.0)
