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

from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from pydantic import ConfigDict, TypeAdapter, with_config

from ..languages import Splitter, splitter_for
from .detector import Detection
from .vocabulary import Move

READING_SCHEMA_VERSION = 1

Source = Literal["rules", "encoder", "llm"]

# A move found, with its evidence and source: the detector's own record, stored as is.
Found = Detection

# Plain frozen dataclasses, not models: a reading is made on every turn (the hot path), and
# pydantic still validates them (unknown fields refused) wherever a reading is loaded.
_STRICT = ConfigDict(extra="forbid")


@with_config(_STRICT)
@dataclass(frozen=True)
class Clause:
    """A piece of the turn that can offer something: a whole sentence, or, when the
    sentence refuses something, each of its clauses; ``negated`` says it refuses."""

    start: int
    end: int
    negated: bool = False


@with_config(_STRICT)
@dataclass(frozen=True)
class RemedyOffer:
    """A remedy of the persona offered in a clause that refuses nothing."""

    id: str
    level: Literal["expectation", "bottom_line", "below"]
    quote: str
    quote_start: int


@with_config(_STRICT)
@dataclass(frozen=True)
class Recognitions:
    """What one persona recognises in a turn beyond the shared moves: ``remedies`` (its
    own, offered), ``triggers`` (indexes into the persona's triggers, then its language's
    shared ones, whose pattern matched), ``asks`` (for each question, in order, the hidden
    facts it aims at) and ``wish`` (the turn asks what the customer would like done)."""

    persona: str
    remedies: list[RemedyOffer] = field(default_factory=list)
    triggers: list[int] = field(default_factory=list)
    asks: list[list[str]] = field(default_factory=list)
    wish: bool = False


@with_config(_STRICT)
@dataclass(frozen=True)
class Reading:
    """What one agent turn does; see the module docstring. ``language`` is the language
    the turn was read in (the session's); ``moves`` are in order of position; ``clauses``
    are the offering pieces of the turn with which of them are negated."""

    language: str
    moves: list[Found] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    recognitions: Recognitions | None = None
    schema_version: Literal[1] = READING_SCHEMA_VERSION

    def move_set(self) -> set[Move]:
        """The distinct moves of the turn."""
        return {f.move for f in self.moves}

    def negated(self) -> list[Clause]:
        """The clauses that say something is not so."""
        return [c for c in self.clauses if c.negated]

    def offering(self, text: str) -> list[str]:
        """The pieces of ``text`` (this reading's turn) that refuse nothing."""
        return [text[c.start : c.end] for c in self.clauses if not c.negated]

    def fits(self, text: str) -> bool:
        """Whether every piece of evidence is verbatim in ``text`` where it says it is, so
        a stored reading belongs to this turn (a hand-edited file gets read afresh)."""
        n = len(text)
        for f in self.moves:
            if not (
                0 <= f.start <= f.end <= n
                and text[f.start : f.end] == f.text
                and f.quote_start >= 0
                and text[f.quote_start : f.quote_start + len(f.quote)] == f.quote
            ):
                return False
        return all(0 <= c.start <= c.end <= n for c in self.clauses)

    def with_recognitions(self, moves: list[Found], recognitions: Recognitions) -> Reading:
        """This reading with a persona's recognitions (and the moves they add)."""
        return replace(self, moves=moves, recognitions=recognitions)


READING = TypeAdapter(Reading)


def reading_json(reading: Reading) -> str:
    """The reading as JSON text (what the session store keeps)."""
    return READING.dump_json(reading).decode()


def reading_from_json(text: str | bytes) -> Reading:
    """A reading from JSON text, validated (ValueError if it is not one)."""
    return READING.validate_json(text)


class TurnDetector(Protocol):
    """What :func:`read_turn` needs: moves with evidence, and negation of a sentence. A
    detector that has a ``splitter`` attribute (the rule detector does) cuts the clauses
    too; otherwise the language's splitter does."""

    def detect(self, text: str) -> list: ...

    def is_negated(self, sentence: str) -> bool: ...


def read_turn(text: str, detector: TurnDetector, language: str) -> Reading:
    """Read ``text`` once with ``detector``: its moves, and which clauses are negated.

    ``detector`` has ``detect(text)`` and ``is_negated(sentence)`` (the rule detector, or
    any detector that delegates negation to it)."""
    moves = list(detector.detect(text))
    splitter = getattr(detector, "splitter", None) or splitter_for(language)
    return Reading(
        language=language, moves=moves, clauses=offering_clauses(text, detector, splitter)
    )


def offering_clauses(text: str, detector: TurnDetector, splitter: Splitter) -> list[Clause]:
    """Each sentence of ``text``; or, when a sentence is negated, each of its clauses with
    whether it is negated ("We can't refund it, but I can replace it today" offers the
    replacement, not the refund). ``splitter`` cuts sentences and clauses as the turn's
    language writes them."""
    out = []
    for s, e in splitter.sentences(text):
        if not detector.is_negated(text[s:e]):
            out.append(Clause(start=s, end=e, negated=False))
            continue
        out += [
            Clause(start=a, end=b, negated=detector.is_negated(text[a:b]))
            for a, b in splitter.clauses(text, s, e)
        ]
    return out
