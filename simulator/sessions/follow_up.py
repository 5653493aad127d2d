"""Starting the follow-up call to a resolved session (DOMAIN §3.11; issue 14 item 5).

The trainee calls the customer back "days later" in the story: the new session names the
one it follows (``follow_up_of``) and how the promise made there turned out (``promise``:
kept, late or broken, chosen by the scenario), and the customer opens the call already
knowing it (:mod:`simulator.customer.follow_up`). The rubrics grade it with their
follow-up stage (``in_follow_up`` stages; DOMAIN §3.1 stage 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..customer.follow_up import choose_promise, follow_up_persona, follow_up_state
from ..customer.state import Outcome, ReactionPlan, Step
from ..errors import FrontlineError
from ..persona.model import Persona
from ..reactions import Reaction
from ..render.base import Renderer
from .conversation import Conversation, PersonaSource
from .store import SessionStore


def start_follow_up(
    store: SessionStore,
    session_id: str,
    personas: PersonaSource | Mapping[str, Persona],
    *,
    user: str = "local",
    renderer: Renderer | None = None,
    seed: int | None = None,
    promise: str | None = None,
) -> Conversation:
    """A new session: the follow-up call to ``session_id``, one of ``user``'s sessions
    the customer accepted. ``seed`` (default: the original's) picks how the promise turned
    out among the scenario's outcomes unless ``promise`` names one."""
    original = Conversation.resume(store, session_id, personas, user=user)
    info = original.info
    if info.follow_up_of:
        raise FrontlineError(
            f"session {session_id} is itself a follow-up call; follow up the original "
            f"session {info.follow_up_of}"
        )
    if original.outcome is not Outcome.RESOLVED:
        raise FrontlineError(
            f"session {session_id} ended {original.outcome.value}: a follow-up call "
            "follows a session the customer accepted"
        )
    persona = original.persona
    seed = info.seed if seed is None else seed
    chosen = choose_promise(persona, original.state, seed, promise)
    state, changes = follow_up_state(persona, original.state, chosen)
    opening = Step(
        turn=0,
        moves=[],
        state=state,
        plan=ReactionPlan(reaction=Reaction.OPENING, offer=state.offer),
        changes=changes,
    )
    return Conversation.start(
        follow_up_persona(persona, chosen),
        store=store,
        renderer=renderer,
        seed=seed,
        user=user,
        rubric=info.rubric,
        mode=info.mode,
        opening=opening,
        follow_up_of=session_id,
        promise=chosen,
    )
