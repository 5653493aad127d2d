"""The customer's state between turns, and the record of why it changed."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from ..moves.reading import Reading
from ..reactions import Reaction


class Outcome(StrEnum):
    ONGOING = "ongoing"
    RESOLVED = "resolved"  # agreed to a remedy within the bottom line (§2.5)
    ESCALATED = "escalated"  # demands a supervisor or threatens to go public (§2.5)
    ABANDONED = "abandoned"  # gave up and left (§2.4 meek: no fuss)
    TURN_LIMIT = "turn_limit"  # the conversation ran out of turns


class CustomerState(BaseModel):
    """Everything the customer 'remembers'; it alone decides what they do next."""

    turn: int = Field(0, description="Agent turns processed so far.")
    anger: float
    trust: float
    patience: float
    heard: bool = Field(False, description="Feelings acknowledged (what emotional customers need).")
    informed: bool = Field(False, description="Got facts, an explanation or a plan (rational).")
    timescale: bool = Field(False, description="Was told when the remedy will happen.")
    revealed: list[str] = Field(default_factory=list, description="Hidden facts uncovered.")
    offer: str | None = Field(None, description="Best acceptable remedy on the table.")
    rejected: list[str] = Field(default_factory=list, description="Offers turned down.")
    overpromised: bool = False
    follow_up: str | None = Field(
        None,
        description="In a follow-up call (§3.11): how the promise turned out "
        "(kept, late or broken).",
    )
    expectation_lowered: bool = Field(
        False, description="A precedent or the rule explained brought it down (§3.5)."
    )
    outcome: Outcome = Outcome.ONGOING


class Change(BaseModel):
    """One reason the state moved, as shown to trainers in the trajectory."""

    field: str
    # A mood scale runs 0-100, so no change can exceed 100 either way.
    delta: float = Field(ge=-100, le=100, allow_inf_nan=False, strict=True)
    reason: str
    domain: str = ""


def reasons_once(reasons: Iterable[str]) -> list[str]:
    """The reasons the mood moved, each once, in order.

    The machine records one change per scale, so one move can give "Apologised" (anger)
    and "Apologised (not yet heard…)" (trust): such reasons are given once, as the reason
    with its qualifiers ("Apologised (not yet heard…)"), never twice (issue 14 item 8).
    """
    unique = list(dict.fromkeys(r for r in reasons if r))
    out: list[str] = []
    for reason in unique:
        # A reason with a qualifier ("Took ownership ('I will…') (not yet heard…)") says
        # all its bare form does: it stands in the bare one's place.
        fuller = next((o for o in unique if o.startswith(reason + " (")), reason)
        if fuller not in out:
            out.append(fuller)
    return out


class ReactionPlan(BaseModel):
    """What the customer does this turn; the renderer turns it into words."""

    reaction: Reaction
    extras: list[Reaction] = Field(
        default_factory=list, description="Secondary reactions voiced after the main one."
    )
    fact: str | None = Field(None, description="Hidden fact id to give (answer_question).")
    wish: bool = Field(
        False,
        description="Say what they would like done (the case's expectation), as asked.",
    )
    offer: str | None = Field(None, description="Remedy id the reply is about.")
    rejected: str | None = Field(None, description="Remedy id being turned down.")


class Step(BaseModel):
    """The state after one agent turn, with the moves seen and the reasons for each change."""

    turn: int
    moves: list[str]
    state: CustomerState
    plan: ReactionPlan
    changes: list[Change]
    reading: Reading | None = Field(
        None,
        description="How the agent turn was read (none for "
        "the opening, or for steps saved before readings were).",
    )

    def reasons(self) -> list[str]:
        """Why the mood moved this turn, each reason once (:func:`reasons_once`)."""
        return reasons_once(c.reason for c in self.changes)

    def record(self) -> StateRecord:
        """The step as a transcript records it (the trajectory's JSON shape)."""
        return StateRecord(
            turn=self.turn,
            anger=self.state.anger,
            trust=self.state.trust,
            patience=self.state.patience,
            reaction=self.plan.reaction.value,
            moves=self.moves,
            changes=self.changes,
        )


class StateRecord(BaseModel):
    """A step as a transcript records it: the mood after one agent turn, the reaction, the
    moves and the reasons the mood moved (:meth:`Step.record`). Only the mood and the
    reaction's name are kept, so a hand-written or older record (any reaction name) loads."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(
        ge=0, strict=True, description="0 is the opening; n is after the n-th agent turn."
    )
    anger: float = Field(ge=0, le=100, strict=True)
    trust: float = Field(ge=0, le=100, strict=True)
    patience: float = Field(ge=0, le=100, strict=True)
    reaction: str
    moves: list[str] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
