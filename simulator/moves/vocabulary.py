"""The moves vocabulary: what a trainee's turn does, shared by the customer and the grader.

A *move* is one communicative act found in an agent turn. Good moves come from the
handling process (DOMAIN §3), violations from the phrasing rules (DOMAIN §4). The state
machine reacts to moves and the rubric criteria are written in terms of them, so the
simulated customer and the grader can never disagree about what the trainee did.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Move(StrEnum):
    # Good moves (DOMAIN §3)
    THANK = "thank"
    APOLOGISE = "apologise"
    EMPATHISE = "empathise"
    ASK = "ask"
    RESTATE = "restate"
    EXPLAIN = "explain"
    OWN = "own"
    REMEDY = "remedy"
    OPTIONS = "options"
    TIMESCALE = "timescale"
    CONTACT = "contact"
    EXPLAIN_TRANSFER = "explain_transfer"
    CHECK_SATISFACTION = "check_satisfaction"
    OFFER_HELP = "offer_help"
    INFORM = "inform"
    SET_BOUNDARY = "set_boundary"
    # Violations (DOMAIN §4)
    CALM_DOWN = "calm_down"
    PASSIVE_APOLOGY = "passive_apology"
    ARGUE = "argue"
    BLAME_OTHERS = "blame_others"
    EXCUSE = "excuse"
    NEGATIVE_CLOSING = "negative_closing"
    BARE_TRANSFER = "bare_transfer"
    OVER_PROMISE = "over_promise"
    FLAT_REFUSAL = "flat_refusal"
    VAGUE_HANDOFF = "vague_handoff"


@dataclass(frozen=True)
class MoveInfo:
    label: str
    violation: bool
    domain: str
    description: str


MOVES: dict[Move, MoveInfo] = {
    Move.THANK: MoveInfo(
        "Thank", False, "§3.7, §3.6, §4", "Thanks the customer for raising the problem."
    ),
    Move.APOLOGISE: MoveInfo(
        "Apologise", False, "§3.7, §3.6, §4", "Says sorry for what happened, in the first person."
    ),
    Move.EMPATHISE: MoveInfo(
        "Empathise", False, "§3.6, §3.4, §4", "Acknowledges the customer's feelings or experience."
    ),
    Move.ASK: MoveInfo(
        "Ask", False, "§3.3, §3.7", "Asks a question to learn the facts or the customer's wishes."
    ),
    Move.RESTATE: MoveInfo(
        "Restate", False, "§3.2, §3.4", "Summarises the problem back to the customer."
    ),
    Move.EXPLAIN: MoveInfo(
        "Explain", False, "§3.3, §3.5", "Explains the cause, a rule, or a precedent."
    ),
    Move.OWN: MoveInfo("Take ownership", False, "§3.7, §4", 'Commits personally: "I will…".'),
    Move.REMEDY: MoveInfo(
        "Propose a remedy",
        False,
        "§3.1, §3.3",
        "Proposes a concrete fix, refund, replacement or compensation.",
    ),
    Move.OPTIONS: MoveInfo(
        "Offer options", False, "§3.2, §3.6", "Lets the customer choose between remedies."
    ),
    Move.TIMESCALE: MoveInfo(
        "Give a timescale", False, "§3.1, §3.3, §3.7", "Says when something will happen."
    ),
    Move.CONTACT: MoveInfo(
        "Give name or contact", False, "§3.3, §3.7", "Gives the handler's name or a direct contact."
    ),
    Move.EXPLAIN_TRANSFER: MoveInfo(
        "Explain a transfer", False, "§4", "Transfers or holds with the reason and who will help."
    ),
    Move.CHECK_SATISFACTION: MoveInfo(
        "Check satisfaction",
        False,
        "§3.1, §3.3, §3.7, §4",
        "Asks whether the customer is happy with the outcome.",
    ),
    Move.OFFER_HELP: MoveInfo(
        "Offer further help",
        False,
        "§4",
        'Invites the customer to continue: "What else can I help with?"',
    ),
    Move.INFORM: MoveInfo(
        "Resolve by information",
        False,
        "§3.1, §3.3",
        "Settles the question with a direct answer or steps the customer can carry out.",
    ),
    Move.SET_BOUNDARY: MoveInfo(
        "Set a respectful boundary",
        False,
        "§2.4, §4.2",
        "Stays polite but does not indulge abuse: asks to keep the conversation respectful.",
    ),
    Move.CALM_DOWN: MoveInfo(
        "Tells them to calm down",
        True,
        "§3.7, §4",
        "Tells an upset customer to calm down or relax.",
    ),
    Move.PASSIVE_APOLOGY: MoveInfo(
        "Passive-aggressive apology",
        True,
        "§4",
        '"We\'re sorry that you have encountered this problem."',
    ),
    Move.ARGUE: MoveInfo(
        "Argues or blames the customer",
        True,
        "§2.1, §3.1, §4",
        "Contradicts the customer or says it is their fault.",
    ),
    Move.BLAME_OTHERS: MoveInfo(
        "Blames colleagues or the company",
        True,
        "§3.1, §4",
        "Shifts responsibility to a colleague, department or the company.",
    ),
    Move.EXCUSE: MoveInfo(
        "Makes excuses",
        True,
        "§3.1, §2.4, §4",
        "Excuses instead of solving (busy, short-staffed, not my job).",
    ),
    Move.NEGATIVE_CLOSING: MoveInfo(
        "Negative closing question", True, "§4", '"Is there another problem?"'
    ),
    Move.BARE_TRANSFER: MoveInfo(
        "Transfer or hold without a reason",
        True,
        "§3.1, §4",
        "Passes the customer on or puts them on hold with no reason.",
    ),
    Move.OVER_PROMISE: MoveInfo(
        "Over-promises",
        True,
        "§3.6, §3.7, §4.4",
        "Promises what cannot be guaranteed or delivered.",
    ),
    Move.FLAT_REFUSAL: MoveInfo(
        "Flat refusal",
        True,
        "§2.5, §4",
        "Refuses in one go with no alternative or room for discussion.",
    ),
    Move.VAGUE_HANDOFF: MoveInfo(
        "Vague hand-off", True, "§4", '"Someone will look into it" instead of owning the action.'
    ),
}

GOOD_MOVES = frozenset(m for m, info in MOVES.items() if not info.violation)
VIOLATIONS = frozenset(m for m, info in MOVES.items() if info.violation)
