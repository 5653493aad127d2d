"""Whether a judge's quote shows the criterion's behaviour, not merely that the words exist.

A verbatim quote proves presence, not relevance: a judge that answers "yes" quoting "a"
(found inside "Calm down") or "I can see the two payments of £64.50" for "acknowledges the
customer's feelings" cites real agent words that show nothing. So a judge "yes" may change
a criterion's verdict only when its quote

1. is substantial: a whole clause of the agent turn, or at least :data:`MIN_WORDS` words
   starting and ending on word boundaries; and
2. is recognised by the product's own reading: the rule move detector, run over the quote
   alone, finds one of the moves the criterion's check is written over.

Otherwise the criterion goes to human review and the rules' verdict stands
(:mod:`.policy`). The quote has already been found verbatim in an agent turn, with
whitespace normalised (:mod:`.evidence`).
"""

from __future__ import annotations

import re

from ...languages import Splitter, splitter_for
from ...moves.detector import Detector
from ...moves.vocabulary import Move
from ..rubric import Condition, Criterion

MIN_WORDS = 3
_WORD = re.compile(r"\w+")
# A clause may end with its punctuation or without it; both are the whole clause.
_TRAILING = ".!?…,;:\"'”’)] \t\n"


def condition_moves(condition: Condition | None) -> set[Move]:
    """Every move a condition is written over (first/then, move/partner, nested parts)."""
    if condition is None:
        return set()
    found: set[Move] = set()
    for kind in ("requires", "position", "count"):
        part = getattr(condition, kind)
        if part is not None:
            found.update(part.move)
    if condition.before is not None:
        found.update(condition.before.first + condition.before.then)
    if condition.with_ is not None:
        found.update(condition.with_.move + condition.with_.partner)
    for part in (condition.all or []) + (condition.any or []):
        found |= condition_moves(part)
    return found


def criterion_moves(criterion: Criterion) -> set[Move]:
    """The moves whose presence the criterion's check looks for."""
    return condition_moves(criterion.check)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``, allowing only whitespace to differ."""
    words = quote.split()
    found = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    return (found.start(), found.end()) if found else None


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    def word_char(i: int) -> bool:
        return 0 <= i < len(text) and bool(_WORD.match(text[i]))

    starts_clean = not (word_char(start - 1) and word_char(start))
    ends_clean = not (word_char(end - 1) and word_char(end))
    return starts_clean and ends_clean


def is_whole_clause(text: str, start: int, end: int, splitter: Splitter | None = None) -> bool:
    """Whether ``text[start:end]`` is one whole clause (or sentence) of ``text``, give or
    take its closing punctuation, as ``splitter`` (by default English's) cuts it."""
    splitter = splitter or splitter_for("en")
    quote = text[start:end].rstrip(_TRAILING)
    for s, e in splitter.sentences(text):
        for cs, ce in [(s, e), *splitter.clauses(text, s, e)]:
            if cs == start and text[cs:ce].rstrip(_TRAILING) == quote and quote:
                return True
    return False


def substantial(text: str, start: int, end: int, splitter: Splitter | None = None) -> bool:
    """A whole clause, or at least MIN_WORDS words on word boundaries."""
    if is_whole_clause(text, start, end, splitter):
        return True
    words = [w for w in text[start:end].split() if _WORD.search(w)]  # "that's" is one
    return len(words) >= MIN_WORDS and _on_word_boundaries(text, start, end)


def evidence_problem(
    quote: str | None, text: str, criterion: Criterion, detector: Detector
) -> str | None:
    """Why ``quote`` (from the agent turn ``text``) cannot let a judge's "yes" change the
    criterion's verdict, or None when it can."""
    span = locate(quote or "", text)
    if span is None:
        return "the quote is not in the agent turn it cites"
    start, end = span
    # The detector splits as the rubric's language does (the rule detector carries it).
    if not substantial(text, start, end, getattr(detector, "splitter", None)):
        return (
            f"the quote {text[start:end]!r} is neither a whole clause nor {MIN_WORDS} "
            "or more whole words"
        )
    wanted = criterion_moves(criterion)
    if not wanted:
        return "the criterion names no move the product's own reading could confirm"
    seen = {d.move for d in detector.detect(text[start:end])}
    if not seen & wanted:
        names = ", ".join(sorted(m.value for m in wanted))
        return f"the product's reading does not recognise the quote {text[start:end]!r} as {names}"
    return None
