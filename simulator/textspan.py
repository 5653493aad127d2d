"""Splitting a turn into sentences while keeping exact character offsets.

Evidence quotes must be verbatim substrings of the turn, so every piece of text the
detectors and the grader handle is a (start, end) span into the original string.
"""

from __future__ import annotations

import re

# The one sentence splitter (the grader, the detectors and the renderers' streaming release
# all use it). A sentence ends at . ! ? (or a run of them, or an ellipsis), plus up to two
# closing quotes or brackets that stay with it, followed by whitespace; or at a line break;
# or at Chinese/Japanese full stops 。！？, which are not followed by a space (and no \b
# applies there). Abbreviations are rare in chat turns and a wrong split only shortens a
# quote.
_END = "[.!?…]"
_CJK_END = "[。！？]"
_CLOSE = "[\"'\u201d\u2019)\\]\u300d\u300f\uff09]"
# The boundary is the whitespace (group 1), the line breaks (group 2), or whatever
# whitespace follows a CJK stop (group 3, maybe empty). Matching the stop itself, rather
# than looking behind for it, lets ``re`` skip ahead to the next stop or line break instead
# of trying every position. ``SENTENCE_BOUNDARY.search(text).end()`` is where the next
# sentence starts.
SENTENCE_BOUNDARY = re.compile(rf"{_END}{_CLOSE}{{0,2}}(\s+)|(\n+)|{_CJK_END}+{_CLOSE}{{0,2}}(\s*)")
_BOUNDARY = SENTENCE_BOUNDARY


def _trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with surrounding whitespace cut off; spans left empty are dropped."""
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each non-blank sentence in ``text``, trimmed of whitespace."""
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        gap = 1 if m.start(1) >= 0 else 2 if m.start(2) >= 0 else 3
        spans.append((start, m.start(gap)))
        start = m.end(gap)
    spans.append((start, len(text)))
    return _trimmed(text, spans)


# Where a sentence turns from one thing to its contrast: "…, but", "…; ", "… however",
# "… instead" (not "instead of"), "… what I can do is". Each joint starts the next clause,
# so "We can't refund it, but I can replace it" splits before "but".
_JOINT = re.compile(
    r",\s*(?=but\b)|;\s*|\s+(?=however\b)|,\s*(?=however\b)|\s+(?=instead\b(?!\s+of\b))"
    r"|,?\s+(?=what (?:I|we) (?:can|could|will|'ll) do\b)",
    re.IGNORECASE,
)


def clause_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) of each clause of ``text[start:end]`` (usually one sentence),
    split at contrastive joints ("…, but …", "…; …", "however", "instead", "what I can do
    is"), trimmed of whitespace; offsets are into ``text``. Used to judge negation clause
    by clause: in "We can't refund it, but I can replace it" only the refund is refused."""
    end = len(text) if end is None else end
    spans = []
    at = start
    for m in _JOINT.finditer(text, start, end):
        spans.append((at, m.start()))
        at = m.end()
    spans.append((at, end))
    return _trimmed(text, spans)


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
