"""What one persona recognises in a turn: its own remedies, triggers and the facts asked.

Part of reading the turn (:mod:`simulator.moves.reading`), done once when the turn is
read: the machine reacts to these recognitions and the grader credits them (a remedy the
persona recognised is a remedy proposed, whatever the wording).
"""

from __future__ import annotations

from .. import saferegex
from ..moves.reading import Found, Reading, Recognitions, RemedyOffer
from ..moves.vocabulary import Move
from ..persona.model import Persona


class PersonaRecogniser:
    """The persona's patterns, compiled once; :meth:`recognise` completes a reading."""

    def __init__(self, persona: Persona):
        self.persona = persona
        self._remedy_res = [
            (r, [saferegex.compile(t) for t in r.triggers]) for r in persona.case.remedies
        ]
        self._fact_res = [
            (f.id, [saferegex.compile(t) for t in f.asked_by]) for f in persona.case.hidden_facts
        ]
        self._trigger_res = [saferegex.compile(t.pattern) for t in persona.triggers]

    def recognise(self, text: str, reading: Reading) -> Reading:
        """``reading`` with this persona's recognitions added (a new object)."""
        offers: list[RemedyOffer] = []
        first_match: dict[str, tuple[int, int, int]] = {}  # remedy id -> trigger span, piece
        for clause in reading.clauses:
            if clause.negated:
                continue
            piece = text[clause.start : clause.end]
            for remedy, pats in self._remedy_res:
                if remedy.id in first_match:
                    continue
                for p in pats:
                    m = p.search(piece)
                    if m:
                        first_match[remedy.id] = (
                            clause.start + m.start(),
                            clause.start + m.end(),
                            clause.start,
                        )
                        offers.append(
                            RemedyOffer(
                                id=remedy.id,
                                level=remedy.level,
                                quote=piece,
                                quote_start=clause.start,
                            )
                        )
                        break
        asks = [
            [fid for fid, pats in self._fact_res if any(p.search(f.quote) for p in pats)]
            for f in reading.moves
            if f.move is Move.ASK
        ]
        triggers = [i for i, p in enumerate(self._trigger_res) if p.search(text)]
        moves = list(reading.moves)
        if offers and Move.REMEDY not in reading.move_set():
            # An offer the customer recognises is a remedy proposed, whatever the wording;
            # recorded as a move so the grader credits what the customer accepted.
            o = offers[0]
            a, b, _ = first_match[o.id]
            moves.append(
                Found(
                    move=Move.REMEDY,
                    start=a,
                    end=b,
                    text=text[a:b],
                    quote=o.quote,
                    quote_start=o.quote_start,
                    source="rules",
                    remedy=o.id,
                )
            )
            moves.sort(key=lambda f: (f.start, f.move))
        recognitions = Recognitions(
            persona=self.persona.id, remedies=offers, triggers=triggers, asks=asks
        )
        return reading.with_recognitions(moves, recognitions)
