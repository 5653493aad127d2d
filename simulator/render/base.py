"""The renderer interface: it turns a decided reaction into the customer's words.

Renderers choose words only. What the customer does (the reaction, the outcome) has been
decided by the state machine before a renderer is called, so swapping the offline engine
for an LLM never changes how a persona behaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ..customer.questions import what_they_want
from ..customer.state import CustomerState, ReactionPlan
from ..persona.model import Persona
from ..transcript import GuardRecord, Turn

__all__ = ["Renderer", "RenderRequest", "Turn"]


@dataclass
class RenderRequest:
    """Everything a renderer may use to word one customer reply."""

    persona: Persona
    state: CustomerState
    plan: ReactionPlan
    history: list[Turn] = field(default_factory=list)
    seed: int = 0
    # Set by a renderer whose words pass checks (the LLM's) once the reply is done: what
    # the checks did, for the record of the turn. Per request, so renderers shared between
    # threads (the web UI, calibration) report each reply to its own caller.
    guard: GuardRecord | None = None


class Renderer(Protocol):
    """Produces the customer's reply, streamed as text chunks."""

    name: str

    def render(self, request: RenderRequest) -> Iterator[str]:
        """Yield the reply in pieces; joined, they are the whole reply."""
        ...


def wish_text(request: RenderRequest) -> str:
    """What the customer says they would like, when the plan says they were asked."""
    p = request.persona
    return what_they_want(p.language, p.case.expectation) if request.plan.wish else ""
