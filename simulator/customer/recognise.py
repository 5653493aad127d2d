"""What one persona recognises in a turn: its own remedies, triggers and the facts asked.

Part of reading the turn (:mod:`simulator.moves.reading`), done once when the turn is
read: the machine reacts to these recognitions and the grader credits them (a remedy the
persona recognised is a remedy proposed, whatever the wording).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .. import saferegex
from ..moves.reading import Found, Reading, Recognitions, RemedyOffer
from ..moves.vocabulary import Move
from ..persona.model import Persona, Trigger
from .questions import asks_what_they_want
from .shared_triggers import SharedTrigger, shared_triggers


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
        # The persona's own triggers, then those every customer of its language and
        # temperament reacts to; a reading stores indexes into this list.
        self.triggers: list[Trigger] = list(persona.triggers) + shared_triggers(
            persona.language, persona.temperament
        )
        self._trigger_res = [saferegex.compile(t.pattern) for t in self.triggers]
        rules = persona.case.company_rules
        self._rules = rules
        # A sum of money as written in the case: the currency symbol, then digits with
        # optional thousands commas and pence ("£1,800", "£ 25", "£89.50").
        self._amount_re = (
            re.compile(re.escape(rules.currency) + r"\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?")
            if rules is not None and rules.max_amount is not None
            else None
        )

    def recognise(self, text: str, reading: Reading) -> Reading:
        """``reading`` with this persona's recognitions added (a new object)."""
        offers: list[RemedyOffer] = []
        first_match: dict[str, tuple[int, int, int]] = {}  # remedy id -> trigger span, piece
        for clause in reading.clauses:
            if clause.negated:
                continue
            piece = text[clause.start : clause.end]
            says_back = _says_back(clause.start, clause.end, reading.moves)
            for remedy, pats in self._remedy_res:
                if remedy.id in first_match:
                    continue
                if remedy.beyond_rules and says_back:
                    # Saying back what they demand ("so you want £1,800 cash") gives
                    # nothing away: only a clause that offers can (DOMAIN §3.9).
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
        triggers = [
            i
            for i, p in enumerate(self._trigger_res)
            if any(p.search(part) for part in _where(self.triggers[i], text, reading))
        ]
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
        moves = self._mark_give_aways(text, reading, moves, offers)
        recognitions = Recognitions(
            persona=self.persona.id,
            remedies=offers,
            triggers=triggers,
            asks=asks,
            wish=asks_what_they_want(text, self.persona.language),
        )
        return reading.with_recognitions(moves, recognitions)

    # -- give-aways (DOMAIN §3.9) -------------------------------------------------------
    def _mark_give_aways(
        self, text: str, reading: Reading, moves: list[Found], offers: list[RemedyOffer]
    ) -> list[Found]:
        """Mark the offers beyond the company's rules for the case: a remedy the case marks
        ``beyond_rules``, or a sum above ``company_rules.max_amount`` in a clause that offers
        something. The offer stays a remedy proposed (the customer may welcome it); the mark
        is what the grader penalises."""
        remedies = {r.id: r for r in self.persona.case.remedies}
        marks: list[tuple[int, int, str, str | None]] = []  # clause span, why, remedy id
        for o in offers:
            r = remedies[o.id]
            if r.beyond_rules:
                limit = self._rules.limit if self._rules else "the company's rules"
                why = f"offered {r.description}, beyond what the company allows ({limit})"
                marks.append((o.quote_start, o.quote_start + len(o.quote), why, o.id))
        if self._amount_re is not None:
            rules = self._rules
            offered_in = {o.quote_start for o in offers}
            for clause in reading.clauses:
                if clause.negated or any(a <= clause.start < b for a, b, _, _ in marks):
                    continue
                offering = clause.start in offered_in or any(
                    clause.start <= f.start < clause.end and f.move in OFFERING_MOVES for f in moves
                )
                if not offering:
                    continue
                piece = text[clause.start : clause.end]
                for m in self._amount_re.finditer(piece):
                    value = float(m.group(1).replace(",", "") + (m.group(2) or ""))
                    if value > rules.max_amount + 0.005:
                        why = (
                            f"offered {m.group(0)}, more than the "
                            f"{rules.currency}{rules.max_amount:,.2f} the company allows "
                            f"in this case ({rules.limit})"
                        )
                        marks.append((clause.start, clause.end, why, None))
                        break
        if not marks:
            return moves
        out = list(moves)
        for start, end, why, remedy in marks:
            i = next(
                (
                    i
                    for i, f in enumerate(out)
                    if f.move is Move.REMEDY and start <= f.start < end and f.beyond is None
                ),
                None,
            )
            if i is not None:
                out[i] = replace(out[i], beyond=why, remedy=out[i].remedy or remedy)
                continue
            piece = text[start:end]
            out.append(
                Found(
                    move=Move.REMEDY,
                    start=start,
                    end=end,
                    text=piece,
                    quote=piece,
                    quote_start=start,
                    source="rules",
                    remedy=remedy,
                    beyond=why,
                )
            )
        out.sort(key=lambda f: (f.start, f.move))
        return out


# Moves that make a clause an offer, so a sum of money in it is something given.
OFFERING_MOVES = frozenset({Move.REMEDY, Move.OPTIONS, Move.OWN, Move.OVER_PROMISE})


def _offers_something(start: int, end: int, moves: list[Found]) -> bool:
    """Whether the clause ``start:end`` shows a move that offers something."""
    return any(start <= f.start < end and f.move in OFFERING_MOVES for f in moves)


def _says_back(start: int, end: int, moves: list[Found]) -> bool:
    """Whether the clause ``start:end`` restates or asks (and so offers nothing of itself)."""
    return any(start <= f.start < end and f.move in (Move.RESTATE, Move.ASK) for f in moves)


def _where(trigger: Trigger, text: str, reading: Reading) -> list[str]:
    """Where a trigger is looked for: the whole turn, or, for a shared trigger that needs
    a move, only the words that showed that move ("I can't today; it will be next week"
    gives a timescale, "will be with you next week", but not a prompt one)."""
    if not isinstance(trigger, SharedTrigger):
        return [text]
    if set(trigger.unless) & reading.move_set():
        return []
    if trigger.requires is None:
        return [text]
    return [f.text for f in reading.moves if f.move is trigger.requires]
