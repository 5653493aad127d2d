"""Whether a criterion a conversation in progress has missed can still be met.

A hint must never advise what can no longer be done: "feelings before the remedy" once the
remedy has been given, "apologise in the first two turns" at turn five. This reads a
condition against the moves seen so far and says whether some later agent turns could
still make it met. Pure: no rubric files, no transcript, only the condition and the moves.
"""

from __future__ import annotations

from .conditions import Observed, Verdict, evaluate
from .rubric import Condition


def still_achievable(condition: Condition, obs: Observed) -> bool:
    """True if agent turns added after ``obs`` could make ``condition`` met.

    A met condition is achievable (it is already met). What later turns cannot change:
    an order that is already wrong (``before``), a pairing required of *each* move whose
    window has passed, a move wanted in the first N turns once N turns are gone, and a
    move used more often than its ``count`` allows.
    """
    kind = condition.kind
    if kind == "all":
        return all(still_achievable(part, obs) for part in condition.all)
    if kind == "any":
        return any(still_achievable(part, obs) for part in condition.any)
    verdict = evaluate(condition, obs).verdict
    if verdict is Verdict.MET:
        return True
    if kind == "before":
        # Not applicable yet (the later move has not come): it can still come in order.
        return verdict is Verdict.NOT_APPLICABLE
    if kind == "with":
        # One good pair meets it, unless every such move must be paired.
        return verdict is Verdict.NOT_APPLICABLE or not condition.with_.each
    if kind == "position":
        first = condition.position.in_first
        return first is None or obs.n < first
    if kind == "count":
        count = condition.count
        hits = obs.hits(count.move)
        n = len({h.k for h in hits}) if count.per == "turn" else len(hits)
        return count.max is None or n <= count.max
    return True  # requires, agent_turns: a later turn can still bring them
