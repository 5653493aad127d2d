"""Runs reference policies against personas: policy x persona x seed conversations.

Each conversation goes through the real customer state machine and a renderer (the
offline phrase-bank engine unless another is given), exactly as a practice session
does, and ends with the follow-up check of :mod:`.followup`. Offline runs are spread
over processes; a custom renderer (an LLM) runs on threads, since it waits on I/O.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache

from ..customer.machine import CustomerMachine
from ..customer.state import Outcome, ReactionPlan
from ..grading.conditions import Observed
from ..grading.grader import grade_observed
from ..grading.rubric import Rubric
from ..grading.rubric_loader import DEFAULT_RUBRIC, RubricLibrary
from ..moves.reading import TurnDetector
from ..moves.vocabulary import Move
from ..persona.model import Persona
from ..reactions import Reaction
from ..render.base import Renderer, RenderRequest, Turn
from ..render.offline import OfflineRenderer
from ..transcript import GuardRecord
from ..worker_start import worker_context
from .followup import follow_up
from .policies import POLICIES, Conversation

# Moves whose turns measure how hard a customer punishes excuses (DOMAIN §2.4 VIP).
EXCUSE_MOVES = {"excuse", "blame_others"}
# A guard against a policy/persona pair that never ends (max_turns is at most 60).
HARD_TURN_LIMIT = 80

Progress = Callable[[int, int], None]


@dataclass
class RunResult:
    """One conversation's figures."""

    policy: str
    persona: str
    seed: int
    outcome: Outcome
    turns: int
    start_anger: float
    start_trust: float
    accept_trust: float
    final_anger: float
    final_trust: float
    followup_anger: float
    followup_trust: float
    overpromised: bool
    score: float | None = None
    gave_away: bool = False
    first_turn_anger: float | None = None
    reactions: list[str] = field(default_factory=list)
    excuse_penalties: list[float] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)
    # One per customer reply a model worded: what its in-character checks did.
    guards: list[GuardRecord] = field(default_factory=list)


@lru_cache(maxsize=1)
def _rubric() -> Rubric | None:
    """The default rubric, which scores every run as a trainee's session would be."""
    library = RubricLibrary()
    return library.get(DEFAULT_RUBRIC) if DEFAULT_RUBRIC in library.ids() else None


def _render(renderer: Renderer, request: RenderRequest, guards: list[GuardRecord]) -> str:
    text = "".join(renderer.render(request))
    if request.guard is not None:
        guards.append(request.guard)
    return text


def run_one(
    persona: Persona,
    policy_id: str,
    seed: int,
    renderer: Renderer | None = None,
    detector: TurnDetector | None = None,
    keep_transcript: bool = False,
) -> RunResult:
    """One conversation between ``policy_id`` and ``persona`` for ``seed``."""
    renderer = renderer or OfflineRenderer()
    machine = CustomerMachine(persona, detector)
    policy = POLICIES[policy_id](persona, seed)
    state = machine.start()
    convo = Conversation(persona)
    opening = ReactionPlan(reaction=Reaction.OPENING)
    guards: list[GuardRecord] = []
    convo.history.append(
        Turn(
            "customer",
            _render(
                renderer, RenderRequest(persona, state, opening, list(convo.history), seed), guards
            ),
        )
    )
    penalties: list[float] = []
    while state.outcome is Outcome.ONGOING and convo.turn < HARD_TURN_LIMIT:
        text = policy.next_turn(convo)
        step = machine.step(state, text)
        convo.history.append(Turn("agent", text))
        convo.steps.append(step)
        state = step.state
        if EXCUSE_MOVES & set(step.moves):
            # The unclamped deltas recorded by the machine, so a customer already near
            # 100 anger is not measured as punishing less.
            penalties.append(
                sum(c.delta for c in step.changes if c.field == "anger")
                - sum(c.delta for c in step.changes if c.field == "trust")
            )
        reply = _render(
            renderer, RenderRequest(persona, state, step.plan, list(convo.history), seed), guards
        )
        convo.history.append(Turn("customer", reply))
    after = follow_up(state)
    # Graded on the readings the customer reacted to, as a practice session is: a
    # give-away the persona recognised is penalised here too (DOMAIN §3.9).
    readings = [(2 * i + 1, tuple(s.reading.moves)) for i, s in enumerate(convo.steps) if s.reading]
    rubric = _rubric()
    score = grade_observed(Observed(readings), None, rubric).overall if rubric else None
    gave_away = any(d.beyond for _, moves in readings for d in moves if d.move is Move.REMEDY)
    return RunResult(
        policy=policy_id,
        persona=persona.id,
        seed=seed,
        outcome=state.outcome,
        turns=state.turn,
        start_anger=persona.start.anger,
        start_trust=persona.start.trust,
        accept_trust=persona.thresholds.accept_trust,
        final_anger=state.anger,
        final_trust=state.trust,
        followup_anger=after.anger,
        followup_trust=after.trust,
        overpromised=state.overpromised,
        score=score,
        gave_away=gave_away,
        first_turn_anger=convo.steps[0].state.anger if convo.steps else None,
        reactions=[s.plan.reaction.value for s in convo.steps],
        excuse_penalties=penalties,
        transcript=[(t.role, t.text) for t in convo.history] if keep_transcript else [],
        guards=guards,
    )


def _run_cell(
    persona: Persona,
    policy_id: str,
    seeds: Sequence[int],
    renderer: Renderer | None,
    detector: TurnDetector | None,
) -> list[RunResult]:
    return [run_one(persona, policy_id, s, renderer, detector) for s in seeds]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_calibration(
    personas: Sequence[Persona],
    policies: Sequence[str] | None = None,
    runs: int = 3,
    renderer: Renderer | None = None,
    detector: TurnDetector | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[RunResult]:
    """Run every policy against every persona for seeds ``0..runs-1``.

    ``progress(done, total)`` is called as each policy x persona cell finishes. With the
    offline renderer and ``workers > 1`` the cells run in separate processes.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    policy_ids = list(policies or POLICIES)
    unknown = [p for p in policy_ids if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policy {unknown[0]!r} (known: {', '.join(POLICIES)})")
    seeds = list(range(runs))
    cells = [(p, pid) for p in personas for pid in policy_ids]
    workers = default_workers() if workers is None else max(1, workers)
    offline = renderer is None or isinstance(renderer, OfflineRenderer)
    results: list[RunResult] = []
    if workers == 1 or len(cells) == 1:
        for i, (persona, pid) in enumerate(cells, 1):
            results += _run_cell(persona, pid, seeds, renderer, detector)
            if progress:
                progress(i, len(cells))
        return _ordered(results, personas, policy_ids)
    pool: Executor = (
        ProcessPoolExecutor(workers, mp_context=worker_context())
        if offline and detector is None
        else ThreadPoolExecutor(workers)
    )
    with pool:
        futures = [
            pool.submit(_run_cell, persona, pid, seeds, renderer, detector)
            for persona, pid in cells
        ]
        for i, fut in enumerate(as_completed(futures), 1):
            results += fut.result()
            if progress:
                progress(i, len(cells))
    return _ordered(results, personas, policy_ids)


def _ordered(
    results: list[RunResult], personas: Sequence[Persona], policy_ids: Sequence[str]
) -> list[RunResult]:
    p_index = {p.id: i for i, p in enumerate(personas)}
    q_index = {q: i for i, q in enumerate(policy_ids)}
    return sorted(results, key=lambda r: (p_index[r.persona], q_index[r.policy], r.seed))
