"""The customer's state machine: agent turn in, new state and reaction out.

Deterministic and free of wording: the same persona, state and agent text always give
the same step, whoever renders the reply. Every rule cites the DOMAIN section it follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..moves.detector import Detection, RuleDetector, default_detector
from ..moves.vocabulary import Move
from ..persona.model import Archetype, Persona, Temperament
from ..reactions import Reaction
from ..textspan import clause_spans, sentence_spans
from .effects import Effect, EffectsTable, load_effects
from .state import Change, CustomerState, Outcome, ReactionPlan, Step

COMFORT = {Move.EMPATHISE, Move.APOLOGISE}
OFFERING = {Move.REMEDY, Move.OPTIONS}
SUBSTANCE = {Move.ASK, Move.EXPLAIN, Move.REMEDY, Move.OPTIONS, Move.TIMESCALE,
             Move.RESTATE, Move.OWN}
PROGRESS = SUBSTANCE | COMFORT | {Move.CONTACT, Move.EXPLAIN_TRANSFER}
LEVELS = {"expectation": 2, "bottom_line": 1, "below": 0}
HOT = 60  # anger at or above which a customer speaks in their 'hot' voice


def clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


@dataclass
class _Turn:
    """Working data for one step, so the rules below read as sentences."""

    text: str
    detections: list[Detection]
    moves: set[Move]
    offers: list[str]        # persona remedy ids offered in non-negated sentences
    revealed: list[str]      # hidden fact ids uncovered by this turn's questions
    acceptable: list[str] = field(default_factory=list)  # offers at or above the bottom line
    rejected: str | None = None  # the best offer, when every offer is below the bottom line


class CustomerMachine:
    """Runs one persona's reactions. Create one per session; it holds no session state."""

    def __init__(self, persona: Persona, detector: RuleDetector | None = None,
                 effects: EffectsTable | None = None):
        self.persona = persona
        self.detector = detector or default_detector(persona.language)
        self.effects = effects or load_effects()
        self._remedy_res = {r.id: [re.compile(t, re.I) for t in r.triggers]
                            for r in persona.case.remedies}
        self._fact_res = {f.id: [re.compile(t, re.I) for t in f.asked_by]
                          for f in persona.case.hidden_facts}
        self._trigger_res = [(re.compile(t.pattern, re.I), t) for t in persona.triggers]
        self._remedies = {r.id: r for r in persona.case.remedies}

    # -- the start -------------------------------------------------------------------
    def start(self) -> CustomerState:
        """The state before the first agent turn, when the customer opens the complaint."""
        s = self.persona.start
        return CustomerState(anger=s.anger, trust=s.trust, patience=s.patience)

    # -- reading the turn -------------------------------------------------------------
    def read(self, text: str, state: CustomerState) -> _Turn:
        """Detect moves, the persona's remedies on offer and the facts asked about."""
        detections = self.detector.detect(text)
        moves = {d.move for d in detections}
        offers: list[str] = []
        for piece in self._offering_pieces(text):
            for rid, pats in self._remedy_res.items():
                if rid not in offers and any(p.search(piece) for p in pats):
                    offers.append(rid)
        revealed: list[str] = []
        hidden = [f.id for f in self.persona.case.hidden_facts]
        for d in detections:
            if d.move is not Move.ASK:
                continue
            pending = [f for f in hidden if f not in state.revealed and f not in revealed]
            if not pending:
                break
            # A question aimed at a fact uncovers it; any other question gets the next one.
            aimed = [f for f in pending if any(p.search(d.quote) for p in self._fact_res[f])]
            revealed.append(aimed[0] if aimed else pending[0])
        acceptable = [r for r in offers if self._remedies[r].level != "below"]
        rejected = None
        if offers and not acceptable:
            rejected = max(offers, key=lambda r: LEVELS[self._remedies[r].level])
        if offers:
            # An offer the customer recognises is a remedy proposed, whatever the wording.
            moves.add(Move.REMEDY)
        return _Turn(text, detections, moves, offers, revealed, acceptable, rejected)

    def _offering_pieces(self, text: str) -> list[str]:
        """The parts of ``text`` that can offer a remedy: each sentence, or when a sentence
        refuses something, only its clauses that refuse nothing ("We can't refund it, but
        I can replace it today" offers the replacement, not the refund)."""
        pieces = []
        for s, e in sentence_spans(text):
            if not self.detector.is_negated(text[s:e]):
                pieces.append(text[s:e])
                continue
            pieces += [text[a:b] for a, b in clause_spans(text, s, e)
                       if not self.detector.is_negated(text[a:b])]
        return pieces

    # -- the step ------------------------------------------------------------------------
    def step(self, state: CustomerState, text: str) -> Step:
        """Apply one agent turn to ``state``; return the new state, reaction and reasons."""
        if state.outcome is not Outcome.ONGOING:
            raise ValueError(f"the session has ended ({state.outcome.value})")
        p = self.persona
        turn = self.read(text, state)
        new = state.model_copy(deep=True)
        new.turn += 1
        changes: list[Change] = []
        rules = self.effects.temperament.get(p.temperament.value)

        def apply(effect: Effect, factor: float = 1.0, why: str = "", domain: str = "",
                  fields: tuple[str, ...] = ("anger", "trust", "patience")) -> None:
            for name in fields:
                delta = getattr(effect, name) * factor
                if delta:
                    # The recorded delta is what was applied, so a trajectory adds up even
                    # at the ends of the scale; a move with no room left still shows.
                    before = getattr(new, name)
                    setattr(new, name, clamp(before + delta))
                    changes.append(Change(field=name, delta=round(getattr(new, name) - before, 1),
                                          reason=effect.reason + why,
                                          domain=domain or effect.domain))

        heard = state.heard or bool(turn.moves & {Move.EMPATHISE}) \
            or {Move.APOLOGISE, Move.RESTATE} <= turn.moves
        again = self.effects.comfort_again if state.heard else None
        # §2.1: an emotional customer's trust is built through being heard; the matter
        # handled while their feelings are ignored leaves them distrustful.
        unheard = rules.trust_until_heard if rules and not heard else None
        for move in sorted(turn.moves):
            if turn.rejected and move in OFFERING and self.effects.offer_below:
                continue  # an offer below the line is no progress for this customer (§2.5)
            effect = self.effects.moves[move]
            factor = p.sensitivity_for(move)
            if rules:
                factor *= rules.multipliers.get(move, 1.0)
            if not factor:
                continue
            if again and move in COMFORT:
                # §3.2: soothe the mood, *then* the matter; repeated sympathy is a platitude (§4).
                apply(effect, factor * again.factor, f" ({again.reason})",
                      f"{effect.domain}; {again.domain}")
            elif unheard and effect.trust > 0:
                apply(effect, factor, fields=("anger", "patience"))
                apply(effect, factor * unheard.factor, f" ({unheard.reason})",
                      f"{effect.domain}; {unheard.domain}", fields=("trust",))
            else:
                apply(effect, factor)
        if turn.rejected and self.effects.offer_below:
            apply(self.effects.offer_below)

        if {Move.APOLOGISE, Move.OWN} <= turn.moves:
            apply(self.effects.sincere_apology, p.sensitivity_for(Move.APOLOGISE))
        stalled = not (turn.moves & PROGRESS) or turn.moves <= {Move.THANK, Move.OFFER_HELP}
        if stalled:
            apply(self.effects.no_progress)
        if p.thresholds.patience_drain:
            apply(Effect(patience=-p.thresholds.patience_drain, reason="Another turn gone",
                         domain="§4 (speed)"))
        for pattern, trig in self._trigger_res:
            if pattern.search(text):
                apply(_as_effect(trig.effect, trig.reason), 1.0, " (persona trigger)")

        # Temperament (DOMAIN §2.1, §3.2).
        comfort_only = bool(turn.moves & COMFORT) and not (turn.moves & SUBSTANCE) \
            and not turn.offers
        new.heard = heard
        unheard_remedy = False
        if p.temperament is Temperament.RATIONAL and comfort_only and rules \
                and rules.comfort_without_facts:
            apply(rules.comfort_without_facts)
        if p.temperament is Temperament.EMOTIONAL and turn.offers and not new.heard:
            unheard_remedy = True
            if rules and rules.remedy_before_heard:
                apply(rules.remedy_before_heard)
        if turn.moves & {Move.EXPLAIN, Move.TIMESCALE, Move.RESTATE} or turn.offers:
            new.informed = True
        # A guarantee is not a timescale, nor is a time given inside one ("I guarantee it
        # within the hour"): it names no date the customer can hold you to (§4.4).
        guaranteed = {d.quote_start for d in turn.detections if d.move is Move.OVER_PROMISE}
        if any(d.move is Move.TIMESCALE and d.quote_start not in guaranteed
               for d in turn.detections):
            new.timescale = True
        if Move.OVER_PROMISE in turn.moves:
            new.overpromised = True
        new.revealed += turn.revealed

        plan = self._decide(state, new, turn, unheard_remedy, comfort_only, stalled)
        new.outcome = _OUTCOME_OF.get(plan.reaction, Outcome.ONGOING)
        return Step(turn=new.turn, moves=[d.move.value for d in turn.detections],
                    state=new, plan=plan, changes=changes)

    # -- deciding the reaction --------------------------------------------------------
    def _exit(self) -> Reaction:
        return Reaction.LEAVE if self.persona.thresholds.exit == "leave" else Reaction.ESCALATE

    def _missing_facts(self, state: CustomerState) -> list[str]:
        return [f.id for f in self.persona.case.hidden_facts
                if f.required and f.id not in state.revealed]

    def _decide(self, old: CustomerState, new: CustomerState, turn: _Turn,
                unheard_remedy: bool, comfort_only: bool, stalled: bool) -> ReactionPlan:
        p, m = self.persona, turn.moves
        t = p.thresholds
        # §4.4: a rational customer does not take a deal on an implausible guarantee.
        doubts_promise = Move.OVER_PROMISE in m and p.temperament is Temperament.RATIONAL
        fact = turn.revealed[0] if turn.revealed else None
        extras = [Reaction.ANSWER_QUESTION] if fact else []

        def plan(reaction: Reaction, **kw) -> ReactionPlan:
            keep = [] if reaction in (Reaction.ANSWER_QUESTION,) else extras
            return ReactionPlan(reaction=reaction, extras=keep, fact=fact, **kw)

        # Offers: the best acceptable one stays on the table; one below the line is refused.
        if turn.acceptable:
            top = max(turn.acceptable, key=lambda r: LEVELS[self._remedies[r].level])
            if new.offer is None or LEVELS[self._remedies[top].level] >= \
                    LEVELS[self._remedies[new.offer].level]:
                new.offer = top
        rejected = turn.rejected
        if rejected:
            new.rejected.append(rejected)

        # Terminal reactions first (§2.5: crossing the line; §2.4: the meek leave quietly).
        # A flat refusal crosses the bottom line unless an acceptable offer is already on
        # the table: then the customer protests but the line still holds (§2.5).
        if Move.FLAT_REFUSAL in m and not new.offer:
            return plan(self._exit())
        if new.anger >= t.escalate_at or new.patience <= 0:
            return plan(self._exit())
        if new.offer and not self._missing_facts(new) and new.timescale \
                and not (p.temperament is Temperament.EMOTIONAL and not new.heard) \
                and new.anger <= t.accept_anger and new.trust >= t.accept_trust \
                and not doubts_promise \
                and not (m & {Move.CALM_DOWN, Move.ARGUE, Move.BARE_TRANSFER,
                            Move.FLAT_REFUSAL}):
            return plan(Reaction.ACCEPT, offer=new.offer)
        if new.turn >= p.max_turns:
            return plan(Reaction.TURN_LIMIT)

        # The trainee's worst move this turn is what the customer answers first.
        if Move.FLAT_REFUSAL in m:
            return plan(Reaction.REFUSAL_BACKLASH)
        for move, reaction in _BACKLASH:
            if move in m:
                return plan(reaction)
        if doubts_promise:
            return plan(Reaction.IMPLAUSIBLE_PROMISE, offer=new.offer)
        if unheard_remedy:
            # §2.1: an emotional customer answers the brush-off before the offer itself.
            return plan(Reaction.NOT_HEARD, offer=new.offer, rejected=rejected)
        if rejected:
            return plan(Reaction.REJECT_OFFER, rejected=rejected)
        if turn.offers or (new.offer and m & {Move.TIMESCALE, Move.OWN}):
            if self._missing_facts(new):
                return plan(Reaction.PREMATURE_OFFER, offer=new.offer)
            if new.offer and not new.timescale:
                return plan(Reaction.ASK_TIMESCALE, offer=new.offer)
            if new.offer and new.trust < t.accept_trust:
                return plan(Reaction.DOUBT, offer=new.offer)
            if new.offer:
                # They believe the offer but are still too upset to take it: mood first,
                # then the matter (§3.2).
                return plan(Reaction.WARMING if new.anger < old.anger else Reaction.VENT,
                            offer=new.offer)
        if comfort_only and p.temperament is Temperament.RATIONAL:
            return plan(Reaction.DEMAND_FACTS)
        if m & OFFERING and not turn.offers:
            return plan(Reaction.WHAT_OFFER)
        if fact:
            return ReactionPlan(reaction=Reaction.ANSWER_QUESTION, fact=fact)
        if Move.ASK in m:
            return plan(Reaction.NOTHING_TO_ADD)
        # A pleasantry that moves nothing forward is no reason to warm up (§3.2, §4 speed).
        if stalled:
            return plan(Reaction.DEMAND_ACTION)
        if new.anger < old.anger and not (p.archetype is Archetype.NEVER_SATISFIED
                                          and new.anger >= HOT):
            return plan(Reaction.WARMING)
        return plan(Reaction.VENT)


_BACKLASH = [
    (Move.CALM_DOWN, Reaction.CALM_DOWN_BACKLASH),
    (Move.ARGUE, Reaction.ARGUED_WITH),
    (Move.BARE_TRANSFER, Reaction.TRANSFER_BACKLASH),
    (Move.EXCUSE, Reaction.REJECT_EXCUSE),
    (Move.BLAME_OTHERS, Reaction.REJECT_EXCUSE),
    (Move.PASSIVE_APOLOGY, Reaction.PASSIVE_APOLOGY_BACKLASH),
    (Move.VAGUE_HANDOFF, Reaction.WHAT_OFFER),
]

_OUTCOME_OF = {
    Reaction.ACCEPT: Outcome.RESOLVED,
    Reaction.ESCALATE: Outcome.ESCALATED,
    Reaction.LEAVE: Outcome.ABANDONED,
    Reaction.TURN_LIMIT: Outcome.TURN_LIMIT,
}


def _as_effect(delta, reason: str) -> Effect:
    return Effect(anger=delta.anger, trust=delta.trust, patience=delta.patience,
                  reason=reason, domain="persona trigger")
