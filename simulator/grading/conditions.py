"""Evaluating criterion conditions over the moves found in a conversation's agent turns.

Moves are detected once per agent turn (:class:`Observed`); every condition then reads
the per-move index, so grading cost does not grow with the number of criteria's regexes.
Each evaluation is three-valued (met / missed / not applicable) and carries evidence:
the detections that make the verdict, quoted verbatim from the turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from ..moves.detector import Detection
from ..moves.vocabulary import MOVES, Move
from .record_check import RecordAssessment
from .rubric import (
    AgentTurns,
    Before,
    Call,
    Condition,
    Count,
    Pairing,
    Position,
    RecordCheck,
    Requires,
)


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_APPLICABLE = "not_applicable"


class Hit(NamedTuple):
    """One detection, placed in the conversation: ``k`` is its 0-based agent-turn position."""

    k: int
    detection: Detection

    @property
    def key(self) -> tuple[int, int]:
        return (self.k, self.detection.start)


class Observed:
    """The moves of one conversation's agent turns, indexed by move; built once (or turn by
    turn), read by every condition.

    ``positions[k]`` is where the ``k``-th agent turn sits in ``transcript.turns``; the moves
    are those of its reading (:class:`~simulator.moves.reading.Reading`), or detected
    afresh for a turn without one."""

    def __init__(
        self,
        turns: Iterable[tuple[int, Sequence[Detection]]] = (),
        ended: bool = True,
        record: RecordAssessment | None = None,
        follow_up: bool = False,
    ):
        self.positions: list[int] = []
        self.ended = ended
        # A follow-up call days after a resolved one (DOMAIN §3.11).
        self.follow_up = follow_up
        # The complaint record made after the call, graded (None: no record was made).
        self.record = record
        self.by_move: dict[Move, list[Hit]] = {}
        self.extend(turns)

    def extend(self, turns: Iterable[tuple[int, Sequence[Detection]]]) -> None:
        """Add the next agent turns, as (position in the transcript, moves found)."""
        for position, moves in turns:
            k = len(self.positions)
            self.positions.append(position)
            for d in moves:
                self.by_move.setdefault(d.move, []).append(Hit(k, d))

    @property
    def n(self) -> int:
        return len(self.positions)

    def hits(self, moves: list[Move]) -> list[Hit]:
        """Every occurrence of any of ``moves``, in conversation order."""
        if len(moves) == 1:
            return self.by_move.get(moves[0], [])
        out = [h for m in moves for h in self.by_move.get(m, [])]
        out.sort(key=lambda h: h.key)
        return out


@dataclass
class Result:
    """The verdict of one condition, with the hits that justify it and a sentence why."""

    verdict: Verdict
    evidence: list[Hit] = field(default_factory=list)
    note: str = ""


# How notes name a move ("no apology in any agent turn"); labels in MOVES are headings.
NOUNS: dict[Move, str] = {
    Move.THANK: "thanks",
    Move.APOLOGISE: "apology",
    Move.EMPATHISE: "acknowledgement of feelings",
    Move.ASK: "question",
    Move.RESTATE: "restatement of the problem",
    Move.EXPLAIN: "explanation",
    Move.OWN: '"I will" commitment',
    Move.REMEDY: "remedy",
    Move.OPTIONS: "choice of options",
    Move.TIMESCALE: "timescale",
    Move.CONTACT: "name or contact",
    Move.EXPLAIN_TRANSFER: "explained transfer",
    Move.CHECK_SATISFACTION: "satisfaction check",
    Move.OFFER_HELP: "offer of further help",
}


def names(moves: list[Move]) -> str:
    """'remedy or choice of options' style wording for notes."""
    labels = [NOUNS.get(m) or MOVES[m].label.lower() for m in moves]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _turn(h: Hit) -> str:
    return f"agent turn {h.k + 1}"


def _requires(c: Requires, obs: Observed) -> Result:
    hits = obs.hits(c.move)
    if hits:
        return Result(Verdict.MET, hits[:1])
    return Result(Verdict.MISSED, note=f"no {names(c.move)} in any agent turn")


def _before(c: Before, obs: Observed) -> Result:
    thens = obs.hits(c.then)
    if not thens:
        return Result(Verdict.NOT_APPLICABLE, note=f"no {names(c.then)} was given")
    then = thens[0]
    firsts = obs.hits(c.first)
    if firsts and firsts[0].key < then.key:
        return Result(Verdict.MET, [firsts[0], then])
    if firsts:
        note = f"the first {names(c.then)} ({_turn(then)}) came before any {names(c.first)}"
    else:
        note = f"no {names(c.first)} at all, and a {names(c.then)} in {_turn(then)}"
    return Result(Verdict.MISSED, [then], note)


def _window(before: int, after: int) -> str:
    if not before and not after:
        return "in the same turn"
    parts = [
        f"{n} agent turn{'s' if n > 1 else ''} {side}"
        for n, side in ((before, "before"), (after, "after"))
        if n
    ]
    return "in the same turn or up to " + " or ".join(parts)


def _pairing(c: Pairing, obs: Observed) -> Result:
    anchors = obs.hits(c.move)
    if not anchors:
        return Result(Verdict.NOT_APPLICABLE, note=f"no {names(c.move)} was given")
    partners = obs.hits(c.partner)
    paired: list[tuple[Hit, Hit]] = []
    unpaired: list[Hit] = []
    seen_turns: set[int] = set()
    for anchor in anchors:
        if anchor.k in seen_turns:
            continue  # a turn is one anchor however many sentences show the move
        lo, hi = anchor.k - c.before, anchor.k + c.after
        partner = next((p for p in partners if lo <= p.k <= hi), None)
        if partner is not None:
            paired.append((anchor, partner))
            seen_turns.add(anchor.k)
        elif hi >= obs.n and not obs.ended:
            continue  # its window runs past where the conversation stops: undecided yet
        else:
            unpaired.append(anchor)
            seen_turns.add(anchor.k)
    if paired and (not c.each or not unpaired):
        return Result(Verdict.MET, list(paired[0]))
    if not paired and not unpaired:
        return Result(
            Verdict.NOT_APPLICABLE,
            note=f"the conversation stops before a {names(c.partner)} could follow",
        )
    window = _window(c.before, c.after)
    miss = unpaired[0]
    return Result(
        Verdict.MISSED,
        [miss],
        f"the {names(c.move)} in {_turn(miss)} has no {names(c.partner)} {window}",
    )


def _position(c: Position, obs: Observed) -> Result:
    hits = obs.hits(c.move)
    if c.in_first is not None:
        inside = [h for h in hits if h.k < c.in_first]
        where = f"the first {c.in_first} agent turn{'s' if c.in_first > 1 else ''}"
    else:
        inside = [h for h in hits if h.k >= obs.n - c.in_last]
        where = f"the last {c.in_last} agent turn{'s' if c.in_last > 1 else ''}"
    if inside:
        return Result(Verdict.MET, inside[:1])
    if c.in_last is not None and not obs.ended:
        return Result(Verdict.NOT_APPLICABLE, note="the conversation has not reached its end")
    if hits:
        return Result(
            Verdict.MISSED, hits[:1], f"{names(c.move)} came in {_turn(hits[0])}, not in {where}"
        )
    return Result(Verdict.MISSED, note=f"no {names(c.move)} in {where}")


def _count(c: Count, obs: Observed) -> Result:
    hits = obs.hits(c.move)
    if c.per == "turn":
        by_turn: dict[int, Hit] = {}
        for h in hits:
            by_turn.setdefault(h.k, h)
        hits = list(by_turn.values())
    n = len(hits)
    unit = "sentence" if c.per == "sentence" else "agent turn"
    if n >= c.min and (c.max is None or n <= c.max):
        return Result(Verdict.MET, hits[: max(c.min, 1)])
    if n < c.min:
        note = f"{names(c.move)} in {n} {unit}{'s' if n != 1 else ''}; at least {c.min} needed"
        return Result(Verdict.MISSED, hits[:3], note)
    note = f"{names(c.move)} in {n} {unit}s; at most {c.max} wanted"
    return Result(Verdict.MISSED, hits[c.max : c.max + 3], note)


def _agent_turns(c: AgentTurns, obs: Observed) -> Result:
    if obs.n >= c.min:
        return Result(Verdict.MET)
    return Result(
        Verdict.MISSED, note=f"{obs.n} agent turn{'s' if obs.n != 1 else ''}; {c.min} needed"
    )


def _record(c: RecordCheck, obs: Observed) -> Result:
    if obs.record is None:
        if not obs.ended:
            return Result(Verdict.NOT_APPLICABLE, note="the record is written after the call")
        return Result(Verdict.MISSED, note="no complaint record was filled in after the call")
    if obs.record.met >= c.min:
        return Result(Verdict.MET, note=f"{obs.record.met} of {len(obs.record.fields)} fields")
    wrong = [f"{f.label}: {f.reason}" for f in obs.record.fields if f.verdict == "missed"]
    return Result(
        Verdict.MISSED,
        note=f"the record has {obs.record.met} of {len(obs.record.fields)} fields right "
        f"(needs {c.min}); " + "; ".join(wrong),
    )


def _call(c: Call, obs: Observed) -> Result:
    this = "follow_up" if obs.follow_up else "first"
    if this == c.is_:
        return Result(Verdict.MET)
    return Result(Verdict.MISSED, note=f"applies only in the {c.is_.replace('_', '-')} call")


def _all(parts: list[Condition], obs: Observed) -> Result:
    results = [evaluate(p, obs) for p in parts]
    missed = [r for r in results if r.verdict is Verdict.MISSED]
    if missed:
        return Result(
            Verdict.MISSED,
            [h for r in missed for h in r.evidence],
            "; ".join(r.note for r in missed if r.note),
        )
    met = [r for r in results if r.verdict is Verdict.MET]
    if met:
        return Result(Verdict.MET, [h for r in met for h in r.evidence])
    return Result(Verdict.NOT_APPLICABLE, note="; ".join(r.note for r in results if r.note))


def _any(parts: list[Condition], obs: Observed) -> Result:
    results = [evaluate(p, obs) for p in parts]
    for r in results:
        if r.verdict is Verdict.MET:
            return r
    missed = [r for r in results if r.verdict is Verdict.MISSED]
    if missed:
        return Result(
            Verdict.MISSED,
            [h for r in missed for h in r.evidence],
            "; ".join(r.note for r in missed if r.note),
        )
    return Result(Verdict.NOT_APPLICABLE, note="; ".join(r.note for r in results if r.note))


def evaluate(condition: Condition, obs: Observed) -> Result:
    """Evaluate one condition over a conversation's observed moves."""
    if condition.requires is not None:
        return _requires(condition.requires, obs)
    if condition.before is not None:
        return _before(condition.before, obs)
    if condition.with_ is not None:
        return _pairing(condition.with_, obs)
    if condition.position is not None:
        return _position(condition.position, obs)
    if condition.count is not None:
        return _count(condition.count, obs)
    if condition.agent_turns is not None:
        return _agent_turns(condition.agent_turns, obs)
    if condition.record is not None:
        return _record(condition.record, obs)
    if condition.call is not None:
        return _call(condition.call, obs)
    if condition.all is not None:
        return _all(condition.all, obs)
    assert condition.any is not None  # the model guarantees exactly one kind is set
    return _any(condition.any, obs)
