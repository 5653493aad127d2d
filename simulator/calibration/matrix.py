"""The calibration matrix: per policy x persona figures, their rendering, and distinctness.

Each cell aggregates the seeds of one policy against one persona: outcome rates, turns,
final anger and trust, trust after the follow-up check, and how hard excuses were
punished. ``standing`` is the one number used to say a policy "does better" with one
customer than another: half from the outcome (resolved +50, escalated or left -50, out of
turns 0) and half from the mood after the follow-up ((trust - anger) / 2), so -100..100.
``score`` is the default rubric's overall score of the run, as a trainee's session would be
graded; ``gave_away`` the rate of runs that offered something beyond the company's rules;
``first_turn_anger`` the anger right after the first agent turn (how an opening lands).
A customer who walks out calm is still lost, and one who accepts while seething is a
poor resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from statistics import mean

from ..customer.state import Outcome
from ..persona.model import Persona
from ..transcript import GuardSummary
from .policies import POLICIES
from .runner import RunResult

OUTCOMES = (Outcome.RESOLVED, Outcome.ESCALATED, Outcome.ABANDONED, Outcome.TURN_LIMIT)


@dataclass(frozen=True)
class PersonaInfo:
    """What the matrix needs to know about a persona to group it."""

    id: str
    archetype: str
    temperament: str
    start_anger: float
    start_trust: float
    complaint_type: str = "matter"  # DOMAIN §2.3

    @classmethod
    def of(cls, persona: Persona) -> PersonaInfo:
        return cls(
            persona.id,
            persona.archetype.value,
            persona.temperament.value,
            persona.start.anger,
            persona.start.trust,
            persona.case.type.value,
        )


@dataclass
class Cell:
    """One policy against one persona, over all seeds."""

    policy: str
    persona: str
    runs: int
    resolved: float
    escalated: float
    abandoned: float
    turn_limit: float
    turns: float
    turns_to_resolution: float | None
    final_anger: float
    final_trust: float
    followup_trust: float
    trust_margin: float
    anger_change: float
    standing: float
    excuse_penalty: float | None
    overpromised: float
    score: float | None = None
    gave_away: float = 0.0
    first_turn_anger: float | None = None
    responses: list[list[str]] = field(default_factory=list, repr=False)

    @property
    def lost(self) -> float:
        """Escalated or walked away (DOMAIN §2.5: the customer is lost either way)."""
        return round(self.escalated + self.abandoned, 3)

    @property
    def main_outcome(self) -> str:
        rates = {o.value: getattr(self, o.value) for o in OUTCOMES}
        return max(rates, key=lambda k: (rates[k], k == "resolved"))

    def metric(self, name: str) -> float | None:
        """A figure by name, as expectations refer to it."""
        if name == "lost":
            return self.lost
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")
        return getattr(self, name)

    @classmethod
    def of(cls, policy: str, persona: str, runs: list[RunResult]) -> Cell:
        n = len(runs)

        def rate(outcome: Outcome) -> float:
            return round(sum(r.outcome is outcome for r in runs) / n, 3)

        resolved_turns = [r.turns for r in runs if r.outcome is Outcome.RESOLVED]
        penalties = [p for r in runs for p in r.excuse_penalties]
        scores = [r.score for r in runs if r.score is not None]
        firsts = [r.first_turn_anger for r in runs if r.first_turn_anger is not None]
        return cls(
            policy=policy,
            persona=persona,
            runs=n,
            resolved=rate(Outcome.RESOLVED),
            escalated=rate(Outcome.ESCALATED),
            abandoned=rate(Outcome.ABANDONED),
            turn_limit=rate(Outcome.TURN_LIMIT),
            turns=round(mean(r.turns for r in runs), 2),
            turns_to_resolution=round(mean(resolved_turns), 2) if resolved_turns else None,
            final_anger=round(mean(r.final_anger for r in runs), 1),
            final_trust=round(mean(r.final_trust for r in runs), 1),
            followup_trust=round(mean(r.followup_trust for r in runs), 1),
            trust_margin=round(mean(r.final_trust - r.accept_trust for r in runs), 1),
            anger_change=round(mean(r.final_anger - r.start_anger for r in runs), 1),
            standing=round(mean(standing(r) for r in runs), 1),
            excuse_penalty=round(mean(penalties), 1) if penalties else None,
            overpromised=round(sum(r.overpromised for r in runs) / n, 3),
            score=round(mean(scores), 1) if scores else None,
            gave_away=round(sum(r.gave_away for r in runs) / n, 3),
            first_turn_anger=round(mean(firsts), 1) if firsts else None,
            responses=[r.reactions for r in runs],
        )


def standing(run: RunResult) -> float:
    """How well disposed the customer ends up, -100..100 (see the module docstring)."""
    outcome = {Outcome.RESOLVED: 50, Outcome.ESCALATED: -50, Outcome.ABANDONED: -50}
    return outcome.get(run.outcome, 0) + (run.followup_trust - run.followup_anger) / 2


METRICS = (
    "resolved",
    "escalated",
    "abandoned",
    "turn_limit",
    "lost",
    "turns",
    "turns_to_resolution",
    "final_anger",
    "final_trust",
    "followup_trust",
    "trust_margin",
    "anger_change",
    "standing",
    "excuse_penalty",
    "overpromised",
    "score",
    "gave_away",
    "first_turn_anger",
)


@dataclass
class Matrix:
    """All cells of one calibration run."""

    personas: list[PersonaInfo]
    policies: list[str]
    runs: int
    cells: dict[tuple[str, str], Cell]
    renderer: str = "offline"
    # The in-character checks over every reply a model worded (None offline).
    guards: GuardSummary | None = None
    # The language every persona was played in (None: each in its base language).
    language: str | None = None

    @classmethod
    def from_results(
        cls,
        results: Sequence[RunResult],
        personas: Sequence[Persona],
        policies: Sequence[str] | None = None,
        renderer: str = "offline",
    ) -> Matrix:
        policy_ids = list(policies or POLICIES)
        grouped: dict[tuple[str, str], list[RunResult]] = {}
        for r in results:
            grouped.setdefault((r.policy, r.persona), []).append(r)
        cells = {key: Cell.of(key[0], key[1], runs) for key, runs in grouped.items()}
        runs = max((c.runs for c in cells.values()), default=0)
        records = [g for r in results for g in r.guards]
        guards = GuardSummary.of(records) if records else None
        return cls([PersonaInfo.of(p) for p in personas], policy_ids, runs, cells, renderer, guards)

    def cell(self, policy: str, persona: str) -> Cell:
        return self.cells[(policy, persona)]

    def persona(self, persona_id: str) -> PersonaInfo:
        return next(p for p in self.personas if p.id == persona_id)

    # -- distinctness -----------------------------------------------------------------
    def twins(self) -> list[tuple[str, str]]:
        """Pairs of personas that react identically to every policy and seed.

        "Respond the same way" means the same reactions in the same order: then the two
        differ only in wording and numbers a trainee never sees, and one of them is
        redundant as a training customer.
        """
        sig = {
            p.id: tuple(tuple(map(tuple, self.cell(q, p.id).responses)) for q in self.policies)
            for p in self.personas
        }
        return [(a.id, b.id) for a, b in combinations(self.personas, 2) if sig[a.id] == sig[b.id]]

    def look_alikes(self) -> list[tuple[str, str]]:
        """Pairs whose main outcome is the same for every policy (a hint, not a failure)."""
        sig = {
            p.id: tuple(self.cell(q, p.id).main_outcome for q in self.policies)
            for p in self.personas
        }
        return [(a.id, b.id) for a, b in combinations(self.personas, 2) if sig[a.id] == sig[b.id]]

    def to_dict(self) -> dict:
        """Everything, for ``--json`` and the web UI."""
        return {
            "runs": self.runs,
            "renderer": self.renderer,
            "language": self.language,
            "guards": self.guards.model_dump() if self.guards else None,
            "policies": [
                {
                    "id": q,
                    "label": POLICIES[q].label,
                    "domain": POLICIES[q].domain,
                    "description": POLICIES[q].description,
                }
                for q in self.policies
            ],
            "personas": [asdict(p) for p in self.personas],
            "cells": [
                {
                    **{k: v for k, v in asdict(c).items() if k != "responses"},
                    "lost": c.lost,
                    "main_outcome": c.main_outcome,
                }
                for c in self.cells.values()
            ],
            "twins": [list(t) for t in self.twins()],
        }
