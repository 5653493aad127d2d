"""The rubric file format. These pydantic models are the source of truth: the JSON Schema
``simulator/schemas/rubric.schema.json`` is generated from them, and ``docs/rubrics.md``
explains them with examples.

A rubric has stages; a stage has criteria; a criterion is a yes / no / not-applicable check
written as a *condition* over the moves the detector found in the agent's turns (the same
vocabulary the simulated customer reacts to, ``simulator.moves``). Phrasing rules turn a
violation move into penalty points. Nothing here runs a regex: the grader detects moves
once per agent turn and every condition reads that list.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from ..moves.vocabulary import VIOLATIONS, Move
from .rubric_overlay import LanguageCode, RubricOverlay, localise

# 2: per-language overlays (``languages``); files of version 1 still load.
RUBRIC_SCHEMA_VERSION = 2

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
DomainRef = Annotated[
    str,
    Field(
        pattern=r"^§\d+(\.\d+)*\b",
        description="The docs/domain.md section(s) this rests on, e.g. '§3.2' or '§3.1, §3.7'.",
    ),
]


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


# Written as one move or a list; always held as a list, so errors name one clear path.
Moves = Annotated[
    list[Move],
    BeforeValidator(_as_list, json_schema_input_type=Move | list[Move]),
    Field(min_length=1, description="A move, or a list meaning any of them."),
]
TurnWindow = Annotated[int, Field(ge=0, le=50, strict=True)]
# Who may change a criterion's verdict when the LLM judge runs (docs/rubrics.md).
DecidedBy = Literal["rules", "either", "judge"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Requires(Strict):
    """Met when any of the moves occurs anywhere in the agent's turns."""

    move: Moves


class Before(Strict):
    """Order: the first ``first`` comes before the first ``then`` (earlier in the same turn
    counts). Not applicable when ``then`` never occurs; missed when ``then`` comes first
    or ``first`` never comes (e.g. acknowledge feelings before the first remedy, §3.2)."""

    first: Moves
    then: Moves


class Pairing(Strict):
    """Pairing: a ``move`` comes with a ``partner`` in the same agent turn, or up to ``after``
    agent turns later, or up to ``before`` agent turns earlier (e.g. a remedy comes with a
    timescale, §3.1). Not applicable when ``move`` never occurs. With ``each``, every turn
    holding the move needs its partner; otherwise one pair is enough."""

    move: Moves
    partner: Moves
    after: TurnWindow = 0
    before: TurnWindow = 0
    each: bool = False


class Position(Strict):
    """Position: the move occurs in the first or the last N agent turns (e.g. check
    satisfaction near the end, §3.3). In a conversation that has not ended, an ``in_last``
    check that is not met yet is not applicable: the end has not come."""

    move: Moves
    in_first: Annotated[int, Field(ge=1, le=50, strict=True)] | None = None
    in_last: Annotated[int, Field(ge=1, le=50, strict=True)] | None = None

    @model_validator(mode="after")
    def _one_end(self) -> Position:
        if (self.in_first is None) == (self.in_last is None):
            raise ValueError("give exactly one of in_first or in_last")
        return self


class Count(Strict):
    """Count: how many times the moves occur, per sentence (each sentence that shows a move
    counts once) or per agent turn."""

    move: Moves
    min: Annotated[int, Field(ge=0, le=100, strict=True)] = 1
    max: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    per: Literal["sentence", "turn"] = "sentence"

    @model_validator(mode="after")
    def _range(self) -> Count:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class AgentTurns(Strict):
    """The conversation has at least ``min`` agent turns (for ``applies_if``)."""

    min: Annotated[int, Field(ge=1, le=100, strict=True)]


class Call(Strict):
    """Which call the transcript is (for ``applies_if``): ``first``, or the ``follow_up``
    call days later (DOMAIN §3.11). Met when it is that call."""

    is_: Literal["first", "follow_up"] = Field(alias="is")


class RecordCheck(Strict):
    """The complaint record the trainee filled in after the call (DOMAIN §3.10), graded
    field by field against the case (:mod:`simulator.grading.record_check`): met when at
    least ``min`` of its seven fields are. Missed when no record was made once the call
    has ended; not applicable while it goes on (the record comes after the call)."""

    min: Annotated[int, Field(ge=1, le=7, strict=True)] = 7


CONDITION_KINDS = (
    "requires",
    "before",
    "with",
    "position",
    "count",
    "agent_turns",
    "record",
    "call",
    "all",
    "any",
)


class Condition(Strict):
    """Exactly one of the keys below. ``all`` / ``any`` combine conditions: ``all`` is
    missed if any part is missed, ``any`` is met if any part is met; parts that are not
    applicable are left out, and if every part is, so is the whole."""

    requires: Requires | None = None
    before: Before | None = None
    with_: Pairing | None = Field(None, alias="with")
    position: Position | None = None
    count: Count | None = None
    agent_turns: AgentTurns | None = None
    record: RecordCheck | None = None
    call: Call | None = None
    all: list[Condition] | None = Field(None, min_length=1)
    any: list[Condition] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [k for k in CONDITION_KINDS if self.part(k) is not None]
        if len(given) != 1:
            what = ", ".join(given) if given else "nothing"
            raise ValueError(
                f"a condition needs exactly one of {', '.join(CONDITION_KINDS)}; got {what}"
            )
        return self

    def part(self, kind: str):
        """The value under ``kind`` (``with`` is stored as ``with_``)."""
        return getattr(self, "with_" if kind == "with" else kind)

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if self.part(k) is not None)


class Criterion(Strict):
    """One yes / no / not-applicable check, worth ``weight`` points when applicable."""

    id: Slug
    title: str = Field(
        min_length=1,
        max_length=120,
        description="What good handling does, as the trainee sees it on the scorecard.",
    )
    domain: DomainRef
    weight: Annotated[int, Field(ge=1, le=10, strict=True)] = 1
    check: Condition = Field(description="Met or missed (or not applicable).")
    applies_if: Condition | None = Field(
        None,
        description="When not met, the criterion is "
        "not applicable (e.g. a timescale check needs a "
        "remedy to have been offered).",
    )
    tip: str = Field(
        min_length=1, description="Shown when missed: what to do, ideally with words to say."
    )
    judge: str | None = Field(
        None,
        description="Optional plain-text question for an LLM judge. The rule grader ignores it.",
    )
    decided_by: DecidedBy | None = Field(
        None,
        description="Who may change the verdict when "
        "the judge runs (default either): 'either' - a "
        "verified judge yes turns a rule miss into met; "
        "'judge' - the judge's verified yes / no / na "
        "decides; 'rules' - the judge's answer is only "
        "recorded. See docs/rubrics.md, LLM judge.",
    )

    @model_validator(mode="after")
    def _judge_decides_only_with_a_question(self) -> Criterion:
        if self.decided_by is not None and self.judge is None:
            raise ValueError(f"decided_by: {self.decided_by} needs a judge: question to ask")
        return self

    @property
    def decider(self) -> DecidedBy:
        """``decided_by`` with its default filled in."""
        return self.decided_by or "either"


class Stage(Strict):
    """A phase of the conversation, scored on its own."""

    id: Slug
    title: str = Field(min_length=1, max_length=80)
    domain: DomainRef
    reached_if: Condition | None = Field(
        None,
        description="In a conversation that has not "
        "ended, the stage's criteria are not applicable until "
        "this is met. Ended conversations are graded on every "
        "stage. Leave out for stages that always apply.",
    )
    in_follow_up: bool = Field(
        False,
        description="Graded in the follow-up call too (DOMAIN §3.11). A follow-up call "
        "is graded on these stages alone; the others belong to the first call.",
    )
    criteria: list[Criterion] = Field(min_length=1)


class PhrasingRule(Strict):
    """A phrasing don't (DOMAIN §4): each occurrence of the violation move costs points."""

    move: Move
    title: str = Field(min_length=1, max_length=120)
    domain: DomainRef
    penalty: Annotated[float, Field(gt=0, le=100, strict=True)] = Field(
        description="Points off the overall score per occurrence."
    )
    max_count: Annotated[int, Field(ge=1, le=20, strict=True)] = Field(
        3, description="Occurrences that cost points; later ones are listed but free."
    )
    tip: str = Field(min_length=1, description="The correct phrasing to use instead.")

    @field_validator("move")
    @classmethod
    def _violation(cls, move: Move) -> Move:
        if move not in VIOLATIONS:
            raise ValueError(
                f"{move.value!r} is a good move, not a violation; phrasing rules "
                f"take one of {', '.join(sorted(v.value for v in VIOLATIONS))}"
            )
        return move


class GiveAwayRule(Strict):
    """Generosity beyond the company's rules (DOMAIN §3.9, the "prodigal son" of source
    000): each offer the persona recognised as beyond its case's ``company_rules`` costs
    points, whatever the customer made of it."""

    title: str = Field(min_length=1, max_length=120)
    domain: DomainRef
    penalty: Annotated[float, Field(gt=0, le=100, strict=True)] = Field(
        description="Points off the overall score per give-away."
    )
    max_count: Annotated[int, Field(ge=1, le=20, strict=True)] = Field(
        2, description="Give-aways that cost points; later ones are listed but free."
    )
    tip: str = Field(min_length=1, description="What to do instead.")


class Level(Strict):
    id: Slug
    label: str = Field(min_length=1, max_length=40)
    min: Annotated[float, Field(ge=0, le=100, strict=True)] = Field(
        description="Lowest overall score that earns this level."
    )


class Rubric(Strict):
    """How a transcript is graded: stages of criteria, phrasing rules and a pass mark."""

    schema_version: Literal[1, 2] = Field(
        description="Version of this file format: 2 when it has language overlays."
    )
    id: Slug
    title: str = Field(min_length=1, max_length=80)
    summary: str = Field(min_length=1, max_length=200, description="One line for listings.")
    domain: list[DomainRef] = Field(min_length=1)
    language: str = Field(
        "en",
        pattern=r"^[a-z]{2}(-[A-Z]{2})?$",
        description="Language of the move patterns used to grade.",
    )
    pass_mark: Annotated[float, Field(ge=0, le=100, strict=True)]
    levels: list[Level] = Field(
        min_length=1,
        description="Bands by overall score, lowest "
        "first; the first starts at 0 and one starts at pass_mark.",
    )
    stages: list[Stage] = Field(min_length=1)
    phrasing: list[PhrasingRule] = Field(default_factory=list)
    give_away: GiveAwayRule | None = Field(
        None,
        description="The penalty for offering what the case's company rules do not allow "
        "(recognised by the persona, so only in sessions practised here).",
    )
    languages: dict[LanguageCode, RubricOverlay] = Field(
        default_factory=dict,
        description="Per-language texts, by language code ('es', 'zh'): titles, tips, "
        "labels; the checks stay the base's (docs/rubrics.md).",
    )
    _hash: str | None = PrivateAttr(None)
    _localised: dict[str, Rubric] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _overlays(self) -> Rubric:
        if self.languages and self.schema_version < 2:
            raise ValueError("'languages' needs schema_version: 2")
        if self.language in self.languages:
            raise ValueError(
                f"languages: {self.language!r} is the base language of this rubric; "
                "write it in the base, not as an overlay"
            )
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        _unique("stage id", [s.id for s in self.stages])
        _unique("criterion id", [c.id for s in self.stages for c in s.criteria])
        _unique("phrasing move", [r.move.value for r in self.phrasing])
        _unique("level id", [lv.id for lv in self.levels])
        mins = [lv.min for lv in self.levels]
        if mins[0] != 0:
            raise ValueError("levels: the first level must start at min 0")
        if any(b <= a for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError("levels: list them lowest first, each min above the previous")
        if self.pass_mark not in mins:
            raise ValueError(
                f"pass_mark {self.pass_mark:g} must be the min of one level, so "
                "pass and level never disagree"
            )
        return self

    def criteria(self):
        """Every (stage, criterion) pair, in file order."""
        return [(s, c) for s in self.stages for c in s.criteria]

    def level_for(self, score: float) -> Level:
        """The highest level whose ``min`` the score reaches."""
        return [lv for lv in self.levels if score >= lv.min][-1]

    def offered_languages(self) -> list[str]:
        """The languages whose texts this rubric has: its base one, then its overlays."""
        return [self.language, *self.languages]

    def in_language(self, language: str | None) -> Rubric:
        """The rubric with ``language``'s texts (titles, tips, labels), for a trainee who
        reads that language; itself for its base language or one it has no overlay for
        (a regional variant, ``pt-BR``, uses its language's). The checks are the same, and
        so is :meth:`content_hash`: the grade does not depend on the language shown."""
        if not language:
            return self
        if language not in self.languages:
            language = language.split("-")[0]
            if language not in self.languages:
                return self
        if language not in self._localised:
            localised = Rubric.model_validate(localise(self, language))
            localised._hash = self.content_hash()
            self._localised[language] = localised
        return self._localised[language]

    def content_hash(self) -> str:
        """A stable hash of the rubric's grading content, recorded on every scorecard.
        Language overlays are left out: adding a language changes no grade."""
        if self._hash is not None:  # rubrics are not changed after loading; hash once
            return self._hash
        canonical = json.dumps(
            self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"languages"}),
            sort_keys=True,
            ensure_ascii=False,
        )
        self._hash = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        return self._hash


def _unique(what: str, values: list[str]) -> None:
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise ValueError(f"duplicate {what}: {', '.join(dup)}")


_SECTION = re.compile(r"§\d+(?:\.\d+)*")


def cited_sections(ref: str) -> list[str]:
    """The DOMAIN sections named in a ``domain`` field ('§3.1, §4' -> ['§3.1', '§4'])."""
    return _SECTION.findall(ref)
