"""Splitting a turn into sentences and clauses, the way its language writes them.

One splitter serves every reader of a turn (the rule detector, the reading's negation
clauses, the injection matcher, the judge's evidence checks, the linter and the LLM
renderer's streaming release), so they all cut a turn in the same places. What differs
between languages is data in the pack's manifest (:class:`~.pack.LanguagePack`):

* ``sentence_ends`` end a sentence when whitespace follows them (". ", "! ", "? ");
  without the whitespace they do not ("£4.99", "a.b@example.com");
* ``sentence_ends_unspaced`` end a sentence where they stand: Chinese writes no space
  after 。！？, and no ``\\b`` works between its characters;
* ``abbreviations`` are words written with a full stop ("лв.", "e.g."): the stop after
  one ends a sentence only when the next word starts with a capital letter ("25 лв. до
  петък" is one sentence, "Струва 25 лв. Ще ви върна…" two); ``titles`` ("Mr.", "Sra.")
  never end one, as a name follows them;
* ``clause_separators`` always end a clause ("；"), ``clause_joints`` are regexes where a
  contrast starts a new one (", but", "however").

Every span is a (start, end) pair of offsets into the original text, so evidence quotes
stay verbatim substrings of the turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .. import saferegex

# Closing quotes and brackets stay with the sentence they close (up to two of them).
_CLOSE = "[\"'\u201d\u2019)\\]\u300d\u300f\uff09]"


def _char_class(chars: Sequence[str]) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


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


class Splitter:
    """Sentence and clause spans of a text in one language (see the module docstring)."""

    def __init__(
        self,
        sentence_ends: Sequence[str],
        sentence_ends_unspaced: Sequence[str] = (),
        clause_separators: Sequence[str] = (),
        clause_joints: Sequence[str] = (),
        spaces_between_words: bool = True,
        trusted: bool = False,
        abbreviations: Sequence[str] = (),
        titles: Sequence[str] = (),
    ):
        # The boundary is the whitespace after a stop (group 1), a run of line breaks
        # (group 2), or whatever whitespace follows an unspaced stop (group 3, maybe
        # empty). Matching the stop itself, rather than looking behind for it, lets ``re``
        # skip ahead to the next stop or line break instead of trying every position.
        never = "(?!)"  # a group that never takes part keeps the numbering fixed
        spaced = (
            rf"{_char_class(sentence_ends)}{_CLOSE}{{0,2}}(\s+)" if sentence_ends else never + "()"
        )
        unspaced = (
            rf"{_char_class(sentence_ends_unspaced)}+{_CLOSE}{{0,2}}(\s*)"
            if sentence_ends_unspaced
            else never + "()"
        )
        self.boundary: re.Pattern[str] = re.compile(rf"{spaced}|(\n+)|{unspaced}")
        parts = [rf"{_char_class(clause_separators)}\s*"] if clause_separators else []
        parts += [f"(?:{j})" for j in clause_joints]
        # Joints come from files: a trainer's run with a time limit (simulator/saferegex.py).
        joined = "|".join(parts) or never
        self._joint = re.compile(joined, re.IGNORECASE) if trusted else saferegex.compile(joined)
        self.spaces_between_words = spaces_between_words
        # Longest first, so "т.е." is tried before "е."; only at the end of the text before
        # the stop's whitespace, and never inside a longer word ("Млв." is not "лв.").
        words = sorted({*abbreviations, *titles}, key=len, reverse=True)
        self._abbreviation = (
            re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, words))})\Z", re.IGNORECASE)
            if words
            else None
        )
        self._longest = max(map(len, words), default=0)
        self._titles = {t.casefold() for t in titles}

    def _ends_sentence(self, text: str, m: re.Match[str]) -> bool | None:
        """Whether the boundary ``m`` ends a sentence: not after a title, nor after an
        abbreviation unless a capital letter follows; None while the next word is not
        there yet (a stream that has not gone on)."""
        if self._abbreviation is None or m.start(1) < 0:
            return True
        stop_end = m.start(1)
        word = self._abbreviation.search(text, max(0, stop_end - self._longest - 1), stop_end)
        if word is None:
            return True
        if word.group().casefold() in self._titles:
            return False
        return text[m.end(1)].isupper() if m.end(1) < len(text) else None

    def sentences(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each non-blank sentence of ``text``, trimmed of whitespace."""
        spans = []
        start = 0
        for m in self.boundary.finditer(text):
            if self._ends_sentence(text, m) is False:
                continue
            gap = 1 if m.start(1) >= 0 else 2 if m.start(2) >= 0 else 3
            spans.append((start, m.start(gap)))
            start = m.end(gap)
        spans.append((start, len(text)))
        return _trimmed(text, spans)

    def clauses(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of each clause of ``text[start:end]`` (usually one sentence), split
        at the separators and joints (a joint may match no text: "(?=但是)" starts a clause
        at 但是), trimmed of whitespace; offsets are into ``text``. Used
        to judge negation clause by clause: in "We can't refund it, but I can replace it"
        only the refund is refused."""
        end = len(text) if end is None else end
        spans = []
        at = start
        for m in self._joint.finditer(text, start, end):
            spans.append((at, m.start()))
            at = m.end()
        spans.append((at, end))
        return _trimmed(text, spans)

    def next_start(self, text: str) -> int:
        """Where the sentence after the first one starts in ``text`` (the end of the first
        boundary), or 0 when no sentence has ended yet: what a streaming release waits for."""
        for m in self.boundary.finditer(text):
            ends = self._ends_sentence(text, m)
            if ends is None:
                return 0  # "25 лв. " and no more yet: the next word decides
            if ends:
                return m.end()
        return 0

    def run_on_cut(self, text: str, after: int = 0) -> int:
        """Where to cut a run-on "sentence" too long to hold: after its last space (not
        before ``after``), or, in a language written without spaces, at its end."""
        if not self.spaces_between_words:
            return len(text)
        return text.rfind(" ", after) + 1 or after or len(text)
