"""The shared table of how moves shift a customer's mood (``effects.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..moves.vocabulary import Move
from ..yamlfile import load_model

EFFECTS_FILE = Path(__file__).parent / "effects.yaml"


class Effect(BaseModel):
    """A change to the mood, with the reason and DOMAIN section recorded in the trajectory."""

    model_config = ConfigDict(extra="forbid")

    anger: float = Field(0, ge=-100, le=100)
    trust: float = Field(0, ge=-100, le=100)
    patience: float = Field(0, ge=-100, le=100)
    reason: str
    domain: str


class Diminish(BaseModel):
    """A factor on moves that have already done their work, with the reason shown."""

    model_config = ConfigDict(extra="forbid")

    factor: float = Field(ge=0, le=1, description="Multiplier on the moves' usual effect.")
    reason: str
    domain: str


class TemperamentRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    multipliers: dict[Move, float] = Field(default_factory=dict)
    comfort_without_facts: Effect | None = None
    remedy_before_heard: Effect | None = None
    trust_until_heard: Diminish | None = Field(
        None, description="Factor on the trust other moves earn before the customer feels heard."
    )


class ComplaintTypeRules(BaseModel):
    """How what the complaint is about (DOMAIN §2.3) weighs the moves: a factor per move,
    on top of the persona's sensitivity and the temperament's multipliers."""

    model_config = ConfigDict(extra="forbid")

    multipliers: dict[Move, float] = Field(default_factory=dict)
    reason: str = Field(description="Shown after a change this type made stronger or weaker.")
    domain: str


class EffectsTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    moves: dict[Move, Effect]
    sincere_apology: Effect
    no_progress: Effect
    temperament: dict[str, TemperamentRules]
    broken_promise: Effect
    offer_below: Effect | None = Field(
        None,
        description="An offer below the customer's bottom "
        "line: replaces the usual effect of proposing a remedy.",
    )
    comfort_again: Diminish | None = Field(
        None, description="Apology and empathy once the customer has already been heard."
    )
    complaint_type: dict[str, ComplaintTypeRules] = Field(
        default_factory=dict,
        description="Per complaint type (matter, attitude, opinion; DOMAIN §2.3), the "
        "moves that weigh more or less.",
    )


@lru_cache(maxsize=4)
def load_effects(path: Path = EFFECTS_FILE) -> EffectsTable:
    """The effects table; cached because every session step reads it."""
    return load_model(EffectsTable, path)
