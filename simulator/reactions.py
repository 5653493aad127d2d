"""Reactions: what the customer does in reply, as decided by the state machine.

A reaction is chosen from the customer's state and the trainee's moves; a renderer only
turns it into words. Each persona has a phrase bank per reaction for the offline engine,
and the LLM renderer is told the reaction and must stay within it.
"""

from __future__ import annotations

from enum import StrEnum


class Reaction(StrEnum):
    OPENING = "opening"  # states the complaint (first customer turn)
    VENT = "vent"  # still upset; repeats the grievance (§3.2)
    CALM_DOWN_BACKLASH = "calm_down_backlash"  # was told to calm down (§3.7, §4)
    ARGUED_WITH = "argued_with"  # was contradicted or blamed (§2.1, §4)
    REJECT_EXCUSE = "reject_excuse"  # heard excuses or blame on others (§2.4, §3.1)
    PASSIVE_APOLOGY_BACKLASH = "passive_apology_backlash"  # §4
    DEMAND_FACTS = "demand_facts"  # rational customer comforted without facts (§2.1)
    NOT_HEARD = "not_heard"  # emotional customer handed a remedy unheard (§2.1, §3.2)
    ANSWER_QUESTION = "answer_question"  # gives a hidden fact that was asked for (§3.3)
    NOTHING_TO_ADD = "nothing_to_add"  # asked, but has already said everything
    WHAT_OFFER = "what_offer"  # vague promise of a fix: "what exactly will you do?"
    PREMATURE_OFFER = "premature_offer"  # offer before the facts are known (§3.1)
    REJECT_OFFER = "reject_offer"  # offer below the bottom line (§2.5)
    ASK_TIMESCALE = "ask_timescale"  # acceptable offer but no "when" (§3.1, §3.3)
    DOUBT = "doubt"  # acceptable offer, but trust is too low to accept
    IMPLAUSIBLE_PROMISE = "implausible_promise"  # a guarantee beyond belief: doubt (§4.4)
    WARMING = "warming"  # calming down, waits for the solution (§3.2)
    DEMAND_ACTION = "demand_action"  # no progress this turn: wants a solution
    TRANSFER_BACKLASH = "transfer_backlash"  # passed on or held with no reason (§4)
    REFUSAL_BACKLASH = "refusal_backlash"  # flat refusal (§2.5)
    ACCEPT = "accept"  # agrees: resolved (§2.5)
    ESCALATE = "escalate"  # demands a supervisor or threatens to go public (§2.5)
    LEAVE = "leave"  # gives up and goes (§2.4 meek: no fuss)
    TURN_LIMIT = "turn_limit"  # the conversation has gone on too long


# The reactions that end a session.
FINAL_REACTIONS = frozenset(
    {Reaction.ACCEPT, Reaction.ESCALATE, Reaction.LEAVE, Reaction.TURN_LIMIT}
)
