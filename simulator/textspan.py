"""Text handled by offsets: evidence quotes must be verbatim substrings of the turn.

Every piece of text the detectors and the grader handle is a (start, end) span into the
original string. Sentences and clauses are cut by the language's splitter
(:class:`simulator.languages.Splitter`); this module keeps what every language shares.
"""

from __future__ import annotations

# Typographic apostrophes (phones and word processors insert them) are matched as a
# plain ' so patterns only ever spell "can't". Each is one code point, like "'", so
# offsets into the folded text are offsets into the original.
_APOSTROPHES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\u00b4": "'"}
)


def fold_apostrophes(text: str) -> str:
    """``text`` with typographic apostrophes as a plain ``'``; same length, so every offset
    into the result is an offset into ``text`` (evidence spans stay verbatim)."""
    return text if text.isascii() else text.translate(_APOSTROPHES)
