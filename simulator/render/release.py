"""When streamed customer text may reach the trainee: the release gates of the LLM renderer.

Both gates take the model's text piece by piece (``feed``, then ``finish`` at the end of
the stream) and return the pieces that are now safe to show; a failed check raises
:class:`CharacterBroken` carrying exactly the text that passed, including what passed in
the same call and so was never returned (``unsent``: the caller shows it too).

* :class:`EarlyGate` (the default) releases text as soon as no check could still fail on
  it: only a tail that could still become a forbidden phrase, or a sentence part from a
  distinctive word of a hidden fact on, is held back (:meth:`.TurnCheck.hold_from`).
  Whole sentences are still checked when they end, exactly as the sentence gate does.
* :class:`SentenceGate` holds each sentence until it is complete and checked: the
  trainee's first words wait for the first full stop, but a reply that fails in its
  first sentence is always regenerated rather than cut short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import regex

from ..languages import Splitter, splitter_for
from .character import CharacterBreak, TurnCheck

# Where a sentence ends while text streams in: the language's splitter, the one the grader
# and the detectors use, so a released piece is always a whole sentence as they see it.


class CharacterBroken(Exception):
    """A sentence failed a check; ``released`` is all the text let through before it, of
    which ``unsent`` are the last pieces, passed in the call that failed (so not returned
    by it): a caller showing the reply shows them before handling the break."""

    def __init__(self, brk: CharacterBreak, released: str, unsent: list[str] | None = None):
        super().__init__(f"{brk.kind}: {brk.sentence!r}")
        self.brk = brk
        self.released = released
        self.unsent = unsent or []


@contextmanager
def _handing_over(out: list[str]) -> Iterator[None]:
    """A break raised while ``out`` is being filled takes the pieces that passed with it."""
    try:
        yield
    except CharacterBroken as exc:
        exc.unsent = list(out)
        raise


def _label_pattern(labels: list[str]) -> regex.Pattern[str]:
    """A speaker label the model may put before its reply ("Dana:", "**Customer**:")."""
    names = "".join(f"|{regex.escape(n)}" for n in labels if n)
    return regex.compile(rf"^\s*(?:\*\*)?(?:customer{names})(?:\*\*)?\s*:\s*", regex.IGNORECASE)


def _empty(released: str) -> CharacterBroken:
    return CharacterBroken(CharacterBreak("empty", "was empty", ""), released)


# A sentence that ends properly: the stream's last piece has no space after its full stop,
# so the sentence splitter has not seen its end.
SENTENCE_ENDED = regex.compile(r"[.!?。！？…]['\"’”)\]»」]*$")


def _cut_off(released: str, tail: str) -> CharacterBroken:
    return CharacterBroken(
        CharacterBreak("cut_off", "was cut off before its end; write a shorter reply", tail),
        released,
    )


class SentenceGate:
    """Holds streamed text until each sentence has passed ``check``, then releases it.
    Sentences end where ``splitter`` (by default the English one) says they do."""

    def __init__(
        self,
        check: Callable[[str], CharacterBreak | None],
        labels: list[str],
        hold_chars: int = 240,
        splitter: Splitter | None = None,
    ):
        self.check = check
        self.splitter = splitter or splitter_for("en")
        self.hold_chars = hold_chars
        self.pending = ""
        self.released = ""
        self._label = _label_pattern(labels)

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the pieces now safe to show."""
        self.pending += text
        out: list[str] = []
        with _handing_over(out):
            while cut := self.splitter.next_start(self.pending):
                piece, self.pending = self.pending[:cut], self.pending[cut:]
                self._release(piece, out)
            if len(self.pending) > self.hold_chars:
                # A run-on "sentence": check what there is and let it through at a space.
                cut = self.splitter.run_on_cut(self.pending)
                piece, self.pending = self.pending[:cut], self.pending[cut:]
                self._release(piece, out)
        return out

    def finish(self, cut: bool = False) -> list[str]:
        """The end of the stream: release the last sentence; an empty reply is a break.
        ``cut``: the model stopped at its token limit, so an unfinished last sentence is a
        fragment: dropped after whole sentences, a break when it is all there is."""
        out: list[str] = []
        piece, self.pending = self.pending.rstrip(), ""
        if cut and piece.strip() and not SENTENCE_ENDED.search(piece):
            if not self.released.strip():
                raise _cut_off(self.released, piece)
            piece = ""
        with _handing_over(out):
            self._release(piece, out)
        if not self.released.strip():
            raise _empty(self.released)
        return out

    def _release(self, piece: str, out: list[str]) -> None:
        if not self.released:
            piece = self._label.sub("", piece, count=1).lstrip()
        if not piece.strip():
            if self.released and piece:  # whitespace between sentences: nothing to check
                self.released += piece
                out.append(piece)
            return
        brk = self.check(piece.strip())
        if brk is not None:
            raise CharacterBroken(brk, self.released)
        self.released += piece
        out.append(piece)


class EarlyGate:
    """Releases streamed text as soon as no check could still fail on it.

    The unfinished sentence is scanned (:meth:`.TurnCheck.scan`) at every piece: what
    comes before the hold is released; a forbidden phrase already complete is a break at
    once. A finished sentence gets the full check (the same one the sentence gate uses);
    if it fails, what was released of it stays and :class:`CharacterBroken` says so.
    ``hold_chars`` bounds a sentence without an end, and ``splitter`` says where sentences
    end, as in :class:`SentenceGate`.
    """

    def __init__(
        self,
        check: TurnCheck,
        labels: list[str],
        hold_chars: int = 240,
        splitter: Splitter | None = None,
    ):
        self.check = check
        self.splitter = splitter or splitter_for("en")
        self.hold_chars = hold_chars
        self.released = ""
        self._label = _label_pattern(labels)
        self._head = ""  # text before the reply proper: a speaker label, spaces
        self._started = False
        self._sentence = ""  # the unfinished sentence
        self._shown = 0  # how much of it was released
        self._hold = 0  # where its holding back starts (it only moves forward)

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the pieces now safe to show."""
        out: list[str] = []
        if not self._started:
            self._head += text
            m = self._label.match(self._head, partial=True)
            if m is not None and (m.partial or m.end() == len(self._head)):
                return out  # "Dan", "Dana:": may still be a label to remove
            text = self._head[m.end() :] if m is not None else self._head.lstrip()
            self._started, self._head = True, ""
        self._sentence += text
        with _handing_over(out):
            while end := self.splitter.next_start(self._sentence):
                self._complete(end, out)
            if len(self._sentence) > self.hold_chars:
                # A run-on "sentence": check what there is and end it at its last space,
                # but not inside text already shown (that would show it twice): then
                # where the shown text ends.
                self._complete(self.splitter.run_on_cut(self._sentence, self._shown), out)
            s = self._sentence
            lead = len(s) - len(s.lstrip())
            hold, brk = self.check.scan(s[lead:], max(0, self._hold - lead))
            if brk is not None:  # no need to wait for the end of the sentence
                raise CharacterBroken(brk, self.released)
        self._hold = lead + hold
        self._emit(self._hold, out)
        return out

    def finish(self, cut: bool = False) -> list[str]:
        """The end of the stream: check and release the last sentence; an empty reply is
        a break. ``cut``: the model stopped at its token limit, so an unfinished last
        sentence is a fragment: dropped when none of it was shown and whole sentences
        were, otherwise a break (the caller finishes a shown fragment from the bank)."""
        out: list[str] = []
        if not self._started:  # a short reply: whatever is left of a would-be label
            self._sentence = self._label.sub("", self._head, count=1).lstrip()
            self._started, self._head = True, ""
        self._sentence = self._sentence.rstrip()
        if cut and self._sentence.strip() and not SENTENCE_ENDED.search(self._sentence):
            if self._shown or not self.released.strip():
                raise _cut_off(self.released, self._sentence)
            self._sentence = ""
        with _handing_over(out):
            self._complete(len(self._sentence), out)
        if not self.released.strip():
            raise _empty(self.released)
        return out

    def _complete(self, end: int, out: list[str]) -> None:
        """The sentence ends at ``end``: check it whole, release the rest of it."""
        body = self._sentence[:end].strip()
        if body and (brk := self.check(body)) is not None:
            raise CharacterBroken(brk, self.released)
        self._emit(end, out)
        self._sentence, self._shown, self._hold = self._sentence[end:], 0, 0

    def _emit(self, upto: int, out: list[str]) -> None:
        piece = self._sentence[self._shown : upto]
        if not piece or not (self.released or piece.strip()):
            return  # nothing new, or only spaces before the first word
        self._shown = upto
        self.released += piece
        out.append(piece)
