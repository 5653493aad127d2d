"""The customer's state machine: agent turn in, new state and reaction out.

Deterministic and free of wording: the same persona, state and agent text always give
the same step, whoever renders the reply. Every rule cites the DOMAIN section it follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..moves.combine import default_reader
from ..moves.reading import Reading, TurnDetector, read_turn
from ..moves.vocabulary import Move
from ..persona.model import Archetype, Persona, Temperament
from ..reactions import Reaction
from .decisions import DecisionRules, load_decisions
from .effects import Effect, EffectsTable, load_effects
from .questions import asks_what_they_want, is_open_question
from .recognise import PersonaRecogniser
from .state import Change, CustomerState, Outcome, ReactionPlan, Step

COMFORT = {Move.EMPATHISE, Move.APOLOGISE}
OFFERING = {Move.REMEDY, Move.OPTIONS}
SUBSTANCE = {
    Move.ASK,
    Move.EXPLAIN,
    Move.REMEDY,
    Move.OPTIONS,
    Move.TIMESCALE,
    Move.RESTATE,
    Move.OWN,
    Move.INFORM,
}
PROGRESS = SUBSTANCE | COMFORT | {Move.CONTACT, Move.EXPLAIN_TRANSFER}
LEVELS = {"expectation": 2, "bottom_line": 1, "below": 0}
HOT = 60  # anger at or above which a customer speaks in their 'hot' voice


def clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


@dataclass
class TurnMeaning:
    """Working data for one step, so the rules below read as sentences."""

    reading: Reading
    moves: set[Move]
    offers: list[str]  # persona remedy ids offered in non-negated clauses
    revealed: list[str]  # hidden fact ids uncovered by this turn's questions
    triggers: list[int]  # indexes into the recogniser's triggers (persona, then shared)
    acceptable: list[str] = field(default_factory=list)  # offers at or above the bottom line
    rejected: str | None = None  # the best offer, when every offer is below the bottom line
    wish: bool = False  # a question asked what they would like done (source 001)


class CustomerMachine:
    """Runs one persona's reactions. Create one per session; it holds no session state."""

    def __init__(
        self,
        persona: Persona,
        detector: TurnDetector | None = None,
        effects: EffectsTable | None = None,
        decisions: DecisionRules | None = None,
    ):
        self.persona = persona
        self.detector = detector or default_reader(persona.language)
        self.effects = effects or load_effects()
        self.decisions = decisions or load_decisions()
        self.recogniser = PersonaRecogniser(persona)
        self._remedies = {r.id: r for r in persona.case.remedies}

    # -- the start -------------------------------------------------------------------
    def start(self) -> CustomerState:
        """The state before the first agent turn, when the customer opens the complaint."""
        s = self.persona.start
        return CustomerState(anger=s.anger, trust=s.trust, patience=s.patience)

    # -- reading the turn -------------------------------------------------------------
    def read(self, text: str) -> Reading:
        """Read ``text`` once: the moves, the negated clauses, and what this persona
        recognises in it (its remedies on offer, its triggers, the facts asked about)."""
        reading = read_turn(text, self.detector, self.persona.language)
        return self.recogniser.recognise(text, reading)

    def interpret(self, reading: Reading, state: CustomerState) -> TurnMeaning:
        """What the reading means for this customer now: offers, facts uncovered."""
        rec = reading.recognitions
        if rec is None or rec.persona != self.persona.id:
            raise ValueError(
                "the reading was not made for this persona; read the turn with CustomerMachine.read"
            )
        moves = reading.move_set()
        offers = [o.id for o in rec.remedies]
        revealed: list[str] = []
        hidden = [f.id for f in self.persona.case.hidden_facts]
        questions = [f.quote for f in reading.moves if f.move is Move.ASK]
        language = self.persona.language
        for question, aims in zip(questions, rec.asks, strict=False):
            pending = [f for f in hidden if f not in state.revealed and f not in revealed]
            if not pending:
                break
            # A question aimed at a fact uncovers it; an open one ("what happened?") gets
            # the next one; a specific question about something else gets no unrelated
            # fact (issue 14 item 8).
            aimed = [f for f in pending if f in aims]
            if aimed:
                revealed.append(aimed[0])
            elif asks_what_they_want(question, language):
                continue  # answered with what they want, not with the next fact
            elif is_open_question(question, language):
                revealed.append(pending[0])
        acceptable = [r for r in offers if self._remedies[r].level != "below"]
        rejected = None
        if offers and not acceptable:
            rejected = max(offers, key=lambda r: LEVELS[self._remedies[r].level])
        return TurnMeaning(
            reading, moves, offers, revealed, rec.triggers, acceptable, rejected, wish=rec.wish
        )

    # -- the step ------------------------------------------------------------------------
    def step(self, state: CustomerState, text: str) -> Step:
        """Read one agent turn and react to it (:meth:`read`, then :meth:`react`)."""
        if state.outcome is not Outcome.ONGOING:
            raise ValueError(f"the session has ended ({state.outcome.value})")
        return self.react(state, self.read(text))

    def react(self, state: CustomerState, reading: Reading) -> Step:
        """Apply one agent turn, as read, to ``state``; return the new state, reaction and
        reasons. The turn is not read again here: everything comes from ``reading``."""
        if state.outcome is not Outcome.ONGOING:
            raise ValueError(f"the session has ended ({state.outcome.value})")
        p = self.persona
        turn = self.interpret(reading, state)
        new = state.model_copy(deep=True)
        new.turn += 1
        changes: list[Change] = []
        rules = self.effects.temperament.get(p.temperament.value)
        kind = self.effects.complaint_type.get(p.case.type.value)

        def apply(
            effect: Effect,
            factor: float = 1.0,
            why: str = "",
            domain: str = "",
            fields: tuple[str, ...] = ("anger", "trust", "patience"),
        ) -> None:
            for name in fields:
                delta = getattr(effect, name) * factor
                if delta:
                    # The recorded delta is what was applied, so a trajectory adds up even
                    # at the ends of the scale; a move with no room left still shows.
                    before = getattr(new, name)
                    setattr(new, name, clamp(before + delta))
                    changes.append(
                        Change(
                            field=name,
                            delta=round(getattr(new, name) - before, 1),
                            reason=effect.reason + why,
                            domain=domain or effect.domain,
                        )
                    )

        heard = (
            state.heard
            or bool(turn.moves & {Move.EMPATHISE})
            or {Move.APOLOGISE, Move.RESTATE} <= turn.moves
        )
        again = self.effects.comfort_again if state.heard else None
        # §2.1: an emotional customer's trust is built through being heard; the matter
        # handled while their feelings are ignored leaves them distrustful.
        unheard = rules.trust_until_heard if rules and not heard else None
        for move in sorted(turn.moves):
            if turn.rejected and move in OFFERING and self.effects.offer_below:
                continue  # an offer below the line is no progress for this customer (§2.5)
            effect = self.effects.effect_for(move, p.archetype.value)
            factor = p.sensitivity_for(move)
            if rules:
                factor *= rules.multipliers.get(move, 1.0)
            if not factor:
                continue
            # §2.3: what the complaint is about weighs this move up or down, and says so.
            weight = kind.multipliers.get(move, 1.0) if kind else 1.0
            if weight != 1.0:
                factor *= weight
                effect = effect.model_copy(
                    update={
                        "reason": f"{effect.reason} ({kind.reason})",
                        "domain": f"{effect.domain}; {kind.domain}",
                    }
                )
            if again and move in COMFORT:
                # §3.2: soothe the mood, *then* the matter; repeated sympathy is a platitude (§4).
                apply(
                    effect,
                    factor * again.factor,
                    f" ({again.reason})",
                    f"{effect.domain}; {again.domain}",
                )
            elif unheard and effect.trust > 0:
                apply(effect, factor, fields=("anger", "patience"))
                apply(
                    effect,
                    factor * unheard.factor,
                    f" ({unheard.reason})",
                    f"{effect.domain}; {unheard.domain}",
                    fields=("trust",),
                )
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
            apply(
                Effect(
                    patience=-p.thresholds.patience_drain,
                    reason="Another turn gone",
                    domain="§4 (speed)",
                )
            )
        for i in turn.triggers:
            trig = self.recogniser.triggers[i]
            shared = i >= len(p.triggers)
            apply(
                _as_effect(trig.effect, trig.reason, shared),
                1.0,
                " (shared trigger)" if shared else " (persona trigger)",
            )

        # Temperament (DOMAIN §2.1, §3.2).
        comfort_only = (
            bool(turn.moves & COMFORT) and not (turn.moves & SUBSTANCE) and not turn.offers
        )
        new.heard = heard
        unheard_remedy = False
        if (
            p.temperament is Temperament.RATIONAL
            and comfort_only
            and rules
            and rules.comfort_without_facts
        ):
            apply(rules.comfort_without_facts)
        if p.temperament is Temperament.EMOTIONAL and turn.offers and not new.heard:
            unheard_remedy = True
            if rules and rules.remedy_before_heard:
                apply(rules.remedy_before_heard)
        if turn.moves & {Move.EXPLAIN, Move.TIMESCALE, Move.RESTATE, Move.INFORM} or turn.offers:
            new.informed = True
        self._expectation(state, new, turn, apply)
        # A guarantee is not a timescale, nor is a time given inside one ("I guarantee it
        # within the hour"): it names no date the customer can hold you to (§4.4).
        guaranteed = {d.quote_start for d in turn.reading.moves if d.move is Move.OVER_PROMISE}
        if any(
            d.move is Move.TIMESCALE and d.quote_start not in guaranteed for d in turn.reading.moves
        ):
            new.timescale = True
        if Move.OVER_PROMISE in turn.moves:
            new.overpromised = True
        new.revealed += turn.revealed

        plan = self._decide(state, new, turn, unheard_remedy, comfort_only, stalled)
        new.outcome = _OUTCOME_OF.get(plan.reaction, Outcome.ONGOING)
        return Step(
            turn=new.turn,
            moves=[f.move.value for f in reading.moves],
            state=new,
            plan=plan,
            changes=changes,
            reading=reading,
        )

    def _expectation(
        self, old: CustomerState, new: CustomerState, turn: TurnMeaning, apply
    ) -> None:
        """DOMAIN §3.5: a precedent or the rule explained brings the expectation of a customer
        who wants results down towards the bottom line; the least they accept, offered with
        no reason and while the expectation still stands, falls short of it (§2.5)."""
        rule = self.effects.expectation
        if rule is None or self.persona.temperament.value not in rule.temperaments:
            return
        if (
            not new.expectation_lowered
            and turn.moves & set(rule.lowered_by)
            and not turn.moves & set(rule.not_with)
        ):
            new.expectation_lowered = True
            apply(rule.lowered)
        levels = [self._remedies[r].level for r in turn.acceptable]
        held = old.offer is not None and self._remedies[old.offer].level == "expectation"
        if levels and "expectation" not in levels and not held and not new.expectation_lowered:
            apply(rule.short_of_expectation)

    # -- deciding the reaction --------------------------------------------------------
    def _exit(self) -> Reaction:
        return Reaction.LEAVE if self.persona.thresholds.exit == "leave" else Reaction.ESCALATE

    def _missing_facts(self, state: CustomerState) -> list[str]:
        return [
            f.id
            for f in self.persona.case.hidden_facts
            if f.required and f.id not in state.revealed
        ]

    def _decide(
        self,
        old: CustomerState,
        new: CustomerState,
        turn: TurnMeaning,
        unheard_remedy: bool,
        comfort_only: bool,
        stalled: bool,
    ) -> ReactionPlan:
        p, m = self.persona, turn.moves
        t = p.thresholds
        fact = turn.revealed[0] if turn.revealed else None
        # Asked what they would like, they say it, unless a fact was asked for too.
        wish = turn.wish and fact is None
        extras = [Reaction.ANSWER_QUESTION] if fact or wish else []

        def plan(reaction: Reaction, **kw) -> ReactionPlan:
            # A fact uncovered is voiced after the main reaction, unless it is the reaction.
            keep = [] if reaction in (Reaction.ANSWER_QUESTION,) else extras
            return ReactionPlan(reaction=reaction, extras=keep, fact=fact, wish=wish, **kw)

        # Offers: the best acceptable one stays on the table; one below the line is refused.
        if turn.acceptable:
            top = max(turn.acceptable, key=lambda r: LEVELS[self._remedies[r].level])
            if (
                new.offer is None
                or LEVELS[self._remedies[top].level] >= LEVELS[self._remedies[new.offer].level]
            ):
                new.offer = top
        rejected = turn.rejected
        if rejected:
            new.rejected.append(rejected)

        # Which reaction follows is data (decisions.yaml): the first rule that holds.
        facts = {
            "offer_on_table": new.offer is not None,
            "anger_at_escalation": new.anger >= t.escalate_at,
            "patience_gone": new.patience <= 0,
            "facts_missing": bool(self._missing_facts(new)),
            "timescale_given": new.timescale,
            "emotional_unheard": p.temperament is Temperament.EMOTIONAL and not new.heard,
            "calm_enough": new.anger <= t.accept_anger,
            "trusting_enough": new.trust >= t.accept_trust,
            "turns_used_up": new.turn >= p.max_turns,
            "unheard_remedy": unheard_remedy,
            "offer_rejected": rejected is not None,
            "offer_discussed": bool(turn.offers)
            or bool(new.offer and m & {Move.TIMESCALE, Move.OWN}),
            "comfort_only": comfort_only,
            "rational": p.temperament is Temperament.RATIONAL,
            "never_satisfied": p.archetype is Archetype.NEVER_SATISFIED,
            "offering_move": bool(m & OFFERING),
            "persona_offer": bool(turn.offers),
            "fact_revealed": fact is not None,
            "wish_asked": wish,
            "stalled": stalled,
            "anger_fell": new.anger < old.anger,
            "hot": new.anger >= HOT,
            # §4.4: a rational customer does not take a deal on an implausible guarantee.
            "doubts_promise": Move.OVER_PROMISE in m and p.temperament is Temperament.RATIONAL,
            # §3.11: a follow-up call, and whether the promise checked in it was broken.
            "follow_up": new.follow_up is not None,
            "promise_broken": new.follow_up == "broken",
        }
        rule = self.decisions.decide(facts, m)
        reaction = self._exit() if rule.reaction == "exit" else Reaction(rule.reaction)
        return plan(
            reaction,
            offer=new.offer if "offer" in rule.with_ else None,
            rejected=rejected if "rejected" in rule.with_ else None,
        )


_OUTCOME_OF = {
    Reaction.ACCEPT: Outcome.RESOLVED,
    Reaction.ESCALATE: Outcome.ESCALATED,
    Reaction.LEAVE: Outcome.ABANDONED,
    Reaction.TURN_LIMIT: Outcome.TURN_LIMIT,
}


def _as_effect(delta, reason: str, shared: bool = False) -> Effect:
    return Effect(
        anger=delta.anger,
        trust=delta.trust,
        patience=delta.patience,
        reason=reason,
        domain="shared trigger" if shared else "persona trigger",
    )
