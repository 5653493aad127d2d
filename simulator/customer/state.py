"""The customer's state between turns, and the record of why it changed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from ..reactions import Reaction


class Outcome(StrEnum):
    ONGOING = "ongoing"
    RESOLVED = "resolved"        # agreed to a remedy within the bottom line (§2.5)
    ESCALATED = "escalated"      # demands a supervisor or threatens to go public (§2.5)
    ABANDONED = "abandoned"      # gave up and left (§2.4 meek: no fuss)
    TURN_LIMIT = "turn_limit"    # the conversation ran out of turns


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
    outcome: Outcome = Outcome.ONGOING


class Change(BaseModel):
    """One reason the state moved, as shown to trainers in the trajectory."""

    field: str
    delta: float
    reason: str
    domain: str = ""


class ReactionPlan(BaseModel):
    """What the customer does this turn; the renderer turns it into words."""

    reaction: Reaction
    extras: list[Reaction] = Field(default_factory=list,
                                   description="Secondary reactions voiced after the main one.")
    fact: str | None = Field(None, description="Hidden fact id to give (answer_question).")
    offer: str | None = Field(None, description="Remedy id the reply is about.")
    rejected: str | None = Field(None, description="Remedy id being turned down.")


class Step(BaseModel):
    """The state after one agent turn, with the moves seen and the reasons for each change."""

    turn: int
    moves: list[str]
    state: CustomerState
    plan: ReactionPlan
    changes: list[Change]
