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

from ..languages.catalogue import Texts
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
        # The words notes are written in (the scorecard's language; English by default).
        self.texts = ENGLISH
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


ENGLISH = Texts("en")


def noun(move: Move, t: Texts = ENGLISH) -> str:
    """How a note names one move in ``t``'s language ('apology', 'disculpa')."""
    try:
        return t(f"scorecard.noun_{move.value}")
    except KeyError:  # a move no catalogue names (a violation): its heading
        return NOUNS.get(move) or MOVES[move].label.lower()


def names(moves: list[Move], t: Texts = ENGLISH) -> str:
    """'remedy or choice of options' style wording for notes."""
    labels = [noun(m, t) for m in moves]
    if len(labels) == 1:
        return labels[0]
    return t("scorecard.note_or", first=", ".join(labels[:-1]), last=labels[-1])


def _turn(h: Hit, t: Texts = ENGLISH) -> str:
    return t("scorecard.note_turn", n=h.k + 1)


def _many(t: Texts, key: str, n: int) -> str:
    return t(f"{key}_one" if n == 1 else f"{key}_other", n=n)


def _requires(c: Requires, obs: Observed) -> Result:
    hits = obs.hits(c.move)
    if hits:
        return Result(Verdict.MET, hits[:1])
    t = obs.texts
    return Result(Verdict.MISSED, note=t("scorecard.note_requires", moves=names(c.move, t)))


def _before(c: Before, obs: Observed) -> Result:
    t = obs.texts
    thens = obs.hits(c.then)
    if not thens:
        return Result(
            Verdict.NOT_APPLICABLE, note=t("scorecard.note_not_given", moves=names(c.then, t))
        )
    then = thens[0]
    firsts = obs.hits(c.first)
    if firsts and firsts[0].key < then.key:
        return Result(Verdict.MET, [firsts[0], then])
    key = "scorecard.note_before_late" if firsts else "scorecard.note_before_none"
    note = t(key, then=names(c.then, t), turn=_turn(then, t), first=names(c.first, t))
    return Result(Verdict.MISSED, [then], note)


def _window(before: int, after: int, t: Texts = ENGLISH) -> str:
    if not before and not after:
        return t("scorecard.note_same_turn")
    parts = [
        _many(t, f"scorecard.note_turns_{side}", n)
        for n, side in ((before, "before"), (after, "after"))
        if n
    ]
    joined = parts[0] if len(parts) == 1 else t("scorecard.note_or", first=parts[0], last=parts[1])
    return t("scorecard.note_window", parts=joined)


def _pairing(c: Pairing, obs: Observed) -> Result:
    t = obs.texts
    anchors = obs.hits(c.move)
    if not anchors:
        return Result(
            Verdict.NOT_APPLICABLE, note=t("scorecard.note_not_given", moves=names(c.move, t))
        )
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
            note=t("scorecard.note_stops_before_partner", partner=names(c.partner, t)),
        )
    window = _window(c.before, c.after, t)
    miss = unpaired[0]
    note = t(
        "scorecard.note_unpaired",
        move=names(c.move, t),
        turn=_turn(miss, t),
        partner=names(c.partner, t),
        window=window,
    )
    return Result(Verdict.MISSED, [miss], note)


def _position(c: Position, obs: Observed) -> Result:
    t = obs.texts
    hits = obs.hits(c.move)
    if c.in_first is not None:
        inside = [h for h in hits if h.k < c.in_first]
        where = _many(t, "scorecard.note_first_turns", c.in_first)
    else:
        inside = [h for h in hits if h.k >= obs.n - c.in_last]
        where = _many(t, "scorecard.note_last_turns", c.in_last)
    if inside:
        return Result(Verdict.MET, inside[:1])
    if c.in_last is not None and not obs.ended:
        return Result(Verdict.NOT_APPLICABLE, note=t("scorecard.note_not_ended"))
    moves = names(c.move, t)
    if hits:
        note = t("scorecard.note_position_late", moves=moves, turn=_turn(hits[0], t), where=where)
        return Result(Verdict.MISSED, hits[:1], note)
    return Result(Verdict.MISSED, note=t("scorecard.note_position_none", moves=moves, where=where))


def _count(c: Count, obs: Observed) -> Result:
    hits = obs.hits(c.move)
    if c.per == "turn":
        by_turn: dict[int, Hit] = {}
        for h in hits:
            by_turn.setdefault(h.k, h)
        hits = list(by_turn.values())
    n = len(hits)
    if n >= c.min and (c.max is None or n <= c.max):
        return Result(Verdict.MET, hits[: max(c.min, 1)])
    t = obs.texts
    unit = "scorecard.note_sentences" if c.per == "sentence" else "scorecard.note_agent_turns"
    count, moves = _many(t, unit, n), names(c.move, t)
    if n < c.min:
        note = t("scorecard.note_count_min", moves=moves, count=count, min=c.min)
        return Result(Verdict.MISSED, hits[:3], note)
    note = t("scorecard.note_count_max", moves=moves, count=count, max=c.max)
    return Result(Verdict.MISSED, hits[c.max : c.max + 3], note)


def _agent_turns(c: AgentTurns, obs: Observed) -> Result:
    if obs.n >= c.min:
        return Result(Verdict.MET)
    t = obs.texts
    count = _many(t, "scorecard.note_agent_turns", obs.n)
    return Result(Verdict.MISSED, note=t("scorecard.note_turns_needed", count=count, min=c.min))


def _record(c: RecordCheck, obs: Observed) -> Result:
    t = obs.texts
    if obs.record is None:
        if not obs.ended:
            return Result(Verdict.NOT_APPLICABLE, note=t("scorecard.note_record_later"))
        return Result(Verdict.MISSED, note=t("scorecard.note_record_none"))
    met, of = obs.record.met, len(obs.record.fields)
    if met >= c.min:
        return Result(Verdict.MET, note=t("scorecard.note_record_met", met=met, of=of))
    wrong = "; ".join(f"{f.label}: {f.reason}" for f in obs.record.fields if f.verdict == "missed")
    note = t("scorecard.note_record_missed", met=met, of=of, min=c.min, wrong=wrong)
    return Result(Verdict.MISSED, note=note)


def _call(c: Call, obs: Observed) -> Result:
    this = "follow_up" if obs.follow_up else "first"
    if this == c.is_:
        return Result(Verdict.MET)
    return Result(Verdict.MISSED, note=obs.texts(f"scorecard.note_call_{c.is_}"))


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
