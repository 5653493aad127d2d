"""Replay one of a session's agent turns another way, on the deterministic customer.

The customer machine is deterministic: the same persona, state and words always give the
same step. So a trainee can take any of their turns, say something else, and see what the
customer would have done and how the score would have moved, beside what happened::

    result = replay_turn(store, session_id, user, turn=2, reply="I'm so sorry...",
                         personas=PersonaLibrary(), rubric=RubricLibrary().get(rubric_id))
    result.actual.customer, result.replay.customer      # the two reactions
    result.actual.score, result.replay.score            # the two scores so far
    store.save_replay(session_id, user, result.model_dump(mode="json"))

How: the customer's state before the turn is the one the session stored (exactly what
happened, whatever has changed in the patterns since); the new words go through the
machine from there, and the customer's answer is worded by the offline phrase banks with
the session's seed (deterministic, free, and the same every time). Both conversations,
the real one and the replayed one, are cut after that turn's customer reaction and graded
the same way: as a conversation in progress, or as a finished one if the customer
decided (accepted, escalated, left) at that turn.

Replays are practice: they are kept beside the session (``SessionStore.save_replay``),
never as a session, so history, progress and certification never count them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..customer.machine import CustomerMachine
from ..customer.state import Outcome, Step
from ..errors import FrontlineError
from ..grading.grader import grade
from ..grading.rubric import Rubric
from ..render.base import Renderer, RenderRequest, Turn
from ..render.offline import OfflineRenderer
from ..transcript import Transcript, turn_problem
from .conversation import PersonaSource, session_persona
from .store import SessionStore

REPLAY_SCHEMA_VERSION = 1


class Mood(BaseModel):
    anger: float
    trust: float
    patience: float


class Branch(BaseModel):
    """One way the turn went: the trainee's words, the customer's reaction, the score."""

    reply: str = Field(description="The trainee's words at the chosen turn.")
    customer: str = Field(description="The customer's answer to them ('' if none was said).")
    reaction: str
    mood: Mood = Field(description="The customer's mood after the turn.")
    reasons: list[str] = Field(description="Why the mood moved, in order, each once.")
    outcome: Outcome
    score: float = Field(
        description="The rubric's overall score of the conversation cut after this turn's reaction."
    )
    passed: bool
    ended: bool = Field(description="Graded as a finished conversation (the customer decided).")
    violations: list[str] = Field(
        default_factory=list,
        description="Phrasing rules this "
        "turn broke, with their penalty ('Told to calm down (-10)').",
    )


class CriterionChange(BaseModel):
    id: str
    title: str
    actual: str
    replay: str


class ReplayResult(BaseModel):
    """A replayed turn beside what happened. Practice only: never an exam result."""

    schema_version: Literal[1] = REPLAY_SCHEMA_VERSION
    kind: Literal["replay"] = "replay"
    session_id: str
    turn: int = Field(ge=1, description="Which agent turn was replayed (1 is the first).")
    created: str
    rubric: str
    before: Mood = Field(description="The customer's mood before the turn.")
    actual: Branch
    replay: Branch
    changed: list[CriterionChange] = Field(description="Criteria whose verdict differs.")


def replay_turn(
    store: SessionStore,
    session_id: str,
    user: str,
    *,
    turn: int,
    reply: str,
    personas: PersonaSource,
    rubric: Rubric,
    renderer: Renderer | None = None,
) -> ReplayResult:
    """Replay agent turn ``turn`` (1-based) of the user's session with ``reply`` instead.

    Raises :class:`FrontlineError` with a message for the trainee when the reply is empty
    or too long, the turn does not exist or came after the customer had decided, or the
    persona has changed since the session (the customer would not be the same).
    """
    text = reply.strip() if isinstance(reply, str) else ""
    if not text:
        raise FrontlineError("the new reply is empty; type what you would say instead")
    if (why := turn_problem(text)) is not None:  # the one limit on a turn, everywhere
        raise FrontlineError(f"the new reply is not accepted: {why}")
    info = store.get(session_id, user)
    persona = session_persona(personas.get(info.persona_id), info.language)
    if persona.content_hash() != info.persona_hash:
        raise FrontlineError(
            f"persona {info.persona_id!r} has changed since this session, so "
            "the customer would not react as they did; replays need the "
            "persona as it was"
        )
    turns, steps = store.turns(session_id), store.steps(session_id)
    agent_at = [i for i, t in enumerate(turns) if t.role == "agent"]
    if not 1 <= turn <= len(agent_at):
        raise FrontlineError(
            f"session {session_id} has no agent turn {turn}; choose one from 1 to {len(agent_at)}"
        )
    if turn >= len(steps):
        raise FrontlineError(f"turn {turn} has no recorded customer state; it cannot be replayed")
    start = steps[turn - 1]
    if start.state.outcome is not Outcome.ONGOING:
        raise FrontlineError(
            f"turn {turn} came after the customer had decided "
            f"({start.state.outcome.value}); replay an earlier turn"
        )
    at = agent_at[turn - 1]
    machine = CustomerMachine(persona)
    new_step = machine.step(start.state, text)
    history = turns[:at] + [Turn("agent", text, reading=new_step.reading)]
    request = RenderRequest(
        persona=persona, state=new_step.state, plan=new_step.plan, history=history, seed=info.seed
    )
    words = "".join((renderer or OfflineRenderer()).render(request)).strip()

    said = turns[at + 1].text if at + 1 < len(turns) else ""
    actual_turns = turns[: at + 1] + ([Turn("customer", said)] if said else [])
    replay_turns = history + ([Turn("customer", words)] if words else [])
    base = dict(
        id=info.id,
        candidate=info.user,
        rubric=rubric.id,
        mode=info.mode,
        seed=info.seed,
        renderer=info.renderer,
        created=info.created,
        # Graded in the session's language, like its scorecard: the rules' and criteria's
        # titles a replay lists were the rubric's base language (English) in every session.
        **({"language": info.language} if info.language else {}),
    )
    actual_card = grade(_transcript(base, actual_turns, steps[: turn + 1]), rubric)
    replay_card = grade(_transcript(base, replay_turns, steps[:turn] + [new_step]), rubric)
    replay_by_id = {(c.stage, c.id): c for c in replay_card.criteria}
    changed = [
        CriterionChange(
            id=c.id, title=c.title, actual=c.verdict, replay=replay_by_id[(c.stage, c.id)].verdict
        )
        for c in actual_card.criteria
        if (c.stage, c.id) in replay_by_id and replay_by_id[(c.stage, c.id)].verdict != c.verdict
    ]
    return ReplayResult(
        session_id=info.id,
        turn=turn,
        rubric=rubric.id,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        before=_mood(start),
        actual=_branch(turns[at].text, said, steps[turn], actual_card, turn),
        replay=_branch(text, words, new_step, replay_card, turn),
        changed=changed,
    )


def _transcript(base: dict, turns: list[Turn], steps: list[Step]) -> Transcript:
    # The turns keep their readings (the replayed one's is the machine's own), so grading
    # reads no turn twice.
    return Transcript(
        **base,
        turns=list(turns),
        trajectory=[s.record() for s in steps],
        outcome=steps[-1].state.outcome,
    )


def _mood(step: Step) -> Mood:
    s = step.state
    return Mood(anger=s.anger, trust=s.trust, patience=s.patience)


def _branch(reply: str, customer: str, step: Step, card, turn: int) -> Branch:
    reasons = step.reasons()
    broken = [
        f"{v.title} (-{v.penalty:g})" if v.penalty else v.title
        for v in card.violations
        if v.agent_turn == turn
    ]
    return Branch(
        reply=reply,
        customer=customer,
        reaction=step.plan.reaction.value,
        mood=_mood(step),
        reasons=reasons,
        outcome=step.state.outcome,
        score=card.overall,
        passed=card.passed,
        ended=card.ended,
        violations=broken,
    )
