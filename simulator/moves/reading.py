"""The reading of one agent turn: what the turn does, made once and stored with it.

A :class:`Reading` is the single answer to "what did the trainee do in this turn": the
moves found with their verbatim evidence, which clauses are negated, what the persona in
the session recognised in it (its own remedies, triggers and the facts a question aims
at), the language it was read in and which detector found each move. The customer
machine reacts to it, the session store saves it beside the turn, and the grader grades
it; only a transcript imported from elsewhere (no readings) is read afresh.

Evidence offsets are into the turn's text, so a stored reading can be checked against
the text it claims to read (:meth:`Reading.fits`).
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..textspan import clause_spans, sentence_spans
from .vocabulary import Move

READING_SCHEMA_VERSION = 1

Source = Literal["rules", "encoder", "llm"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Found(_Frozen):
    """One move found in one turn, with the words that show it.

    ``start``/``end`` delimit the words that triggered it (``text``); ``quote`` is the
    whole sentence (or clause) around them, starting at ``quote_start``. All are verbatim
    pieces of the turn's text. The attribute names are those of
    :class:`~simulator.moves.detector.Detection`, so the grader reads either.
    """

    move: Move
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    quote: str
    quote_start: int = Field(ge=0)
    source: Source = Field("rules", description="Which detector found it.")
    remedy: str | None = Field(None, description="The persona's remedy id, when the move was "
                               "recognised by that persona's own remedy triggers.")


class Clause(_Frozen):
    """A piece of the turn that can offer something: a whole sentence, or, when the
    sentence refuses something, each of its clauses; ``negated`` says it refuses."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    negated: bool = False


class RemedyOffer(_Frozen):
    """A remedy of the persona offered in a clause that refuses nothing."""

    id: str
    level: Literal["expectation", "bottom_line", "below"]
    quote: str
    quote_start: int = Field(ge=0)


class Recognitions(_Frozen):
    """What one persona recognises in a turn beyond the shared moves."""

    persona: str = Field(description="Id of the persona that recognised these.")
    remedies: list[RemedyOffer] = Field(default_factory=list)
    triggers: list[int] = Field(default_factory=list, description="Indexes into the "
                                "persona's triggers of those whose pattern matched the turn.")
    asks: list[list[str]] = Field(default_factory=list, description="For each question "
                                  "(ask move, in order): the hidden facts it aims at.")


class Reading(_Frozen):
    """What one agent turn does; see the module docstring."""

    schema_version: Literal[1] = READING_SCHEMA_VERSION
    language: str = Field(description="The language the turn was read in (the session's).")
    moves: list[Found] = Field(default_factory=list, description="In order of position.")
    clauses: list[Clause] = Field(default_factory=list, description="The offering pieces "
                                  "of the turn, with which of them are negated.")
    recognitions: Recognitions | None = None

    def move_set(self) -> set[Move]:
        """The distinct moves of the turn."""
        return {f.move for f in self.moves}

    def negated(self) -> list[Clause]:
        """The clauses that say something is not so."""
        return [c for c in self.clauses if c.negated]

    def offering(self, text: str) -> list[str]:
        """The pieces of ``text`` (this reading's turn) that refuse nothing."""
        return [text[c.start:c.end] for c in self.clauses if not c.negated]

    def fits(self, text: str) -> bool:
        """Whether every piece of evidence is verbatim in ``text`` where it says it is, so
        a stored reading belongs to this turn (a hand-edited file gets read afresh)."""
        n = len(text)
        for f in self.moves:
            if not (f.end <= n and text[f.start:f.end] == f.text
                    and text[f.quote_start:f.quote_start + len(f.quote)] == f.quote):
                return False
        return all(c.end <= n for c in self.clauses)


class TurnDetector(Protocol):
    """What :func:`read_turn` needs: moves with evidence, and negation of a sentence."""

    def detect(self, text: str) -> list: ...

    def is_negated(self, sentence: str) -> bool: ...


def read_turn(text: str, detector: TurnDetector, language: str, *,
              source: Source = "rules") -> Reading:
    """Read ``text`` once with ``detector``: its moves, and which clauses are negated.

    ``detector`` has ``detect(text)`` and ``is_negated(sentence)`` (the rule detector, or
    any detector that delegates negation to it)."""
    # Built without re-validation (model_construct): the detector's output is trusted and
    # this runs on every turn; readings loaded from a store or a file are validated.
    moves = [Found.model_construct(move=d.move, start=d.start, end=d.end, text=d.text,
                                   quote=d.quote, quote_start=d.quote_start,
                                   source=getattr(d, "source", source), remedy=None)
             for d in detector.detect(text)]
    return Reading.model_construct(schema_version=READING_SCHEMA_VERSION, language=language,
                                   moves=moves, clauses=offering_clauses(text, detector),
                                   recognitions=None)


def offering_clauses(text: str, detector: TurnDetector) -> list[Clause]:
    """Each sentence of ``text``; or, when a sentence is negated, each of its clauses with
    whether it is negated ("We can't refund it, but I can replace it today" offers the
    replacement, not the refund)."""
    out = []
    for s, e in sentence_spans(text):
        if not detector.is_negated(text[s:e]):
            out.append(Clause.model_construct(start=s, end=e, negated=False))
            continue
        out += [Clause.model_construct(start=a, end=b, negated=detector.is_negated(text[a:b]))
                for a, b in clause_spans(text, s, e)]
    return out
