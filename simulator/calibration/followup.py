"""The follow-up after the conversation, when promises are checked (DOMAIN §3.1 stage 4).

An over-promise never pays in the call (``over_promise`` raises a rational customer's
doubt and leaves an emotional one unmoved, see ``effects.yaml``), and the customer checks
it later too: "within the hour" does not happen, and the ``broken_promise`` effect
applies. Calibration models that check as one extra, silent turn after the conversation,
so the matrix shows both the moment and the cost.
The customer state machine itself is left alone: this reads its state and effects table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..customer.effects import EffectsTable, load_effects
from ..customer.state import CustomerState


@dataclass(frozen=True)
class FollowUp:
    """The customer's mood once the promises made in the conversation have been checked."""

    anger: float
    trust: float
    broken_promise: bool


def _clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


def follow_up(state: CustomerState, effects: EffectsTable | None = None) -> FollowUp:
    """Apply the promise check to the final ``state`` of a conversation.

    Only an over-promise is known to be broken: a realistic timescale is assumed kept,
    which is exactly the difference DOMAIN §3.7 (T) draws between the two.
    """
    if not state.overpromised:
        return FollowUp(state.anger, state.trust, False)
    effect = (effects or load_effects()).broken_promise
    return FollowUp(_clamp(state.anger + effect.anger), _clamp(state.trust + effect.trust), True)
