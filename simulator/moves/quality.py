"""How well the reader finds the corpus' labelled moves: precision, recall, F1, near misses.

Evaluation is per turn: a predicted move is correct when the turn's labels contain it,
a labelled move is missed when the reader does not predict it. Labels the reader's
vocabulary does not have yet (:func:`corpus.not_in_vocabulary`) are reported apart and
left out of the micro and macro figures, so the figures measure what the reader can do.
``frontline moves-quality`` prints these figures for the default reader (rules plus encoder,
:func:`combined_reading`); a test guards each language's micro F1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..errors import FileProblems
from .corpus import CorpusTurn, Label, not_in_vocabulary
from .vocabulary import VIOLATIONS

# What a reader returns for one turn: (move, start, end) of each move found.
Found = list[tuple[str, int, int]]
Reader = Callable[[str, str], Found]


class NoReader(Exception):
    """The reader has nothing for this language (e.g. no rule patterns for it)."""


def rule_reading(text: str, language: str) -> Found:
    """The current reader — the rule detector — on one turn.

    This is the one place the detector is called, so a change of its API is a one-line fix.
    """
    from .detector import default_detector  # deferred: loading patterns is not free

    try:
        detector = default_detector(language)
    except FileProblems as exc:
        raise NoReader(f"no rule patterns for language {language!r}") from exc
    return [(d.move.value, d.start, d.end) for d in detector.detect(text)]


def combined_reading(text: str, language: str) -> Found:
    """The reader Frontline uses by default — the rules plus the encoder
    (:func:`~.combine.default_reader`) — on one turn."""
    from .combine import default_reader  # deferred: loading patterns and heads is not free

    try:
        detector = default_reader(language)
    except FileProblems as exc:
        raise NoReader(f"no rule patterns for language {language!r}, nor encoder") from exc
    return [(d.move.value, d.start, d.end) for d in detector.detect(text)]


def _prefetch_combined(texts: list[str], language: str) -> None:
    from .combine import default_reader

    try:
        reader = default_reader(language)
    except FileProblems as exc:
        raise NoReader(str(exc)) from exc
    detect_many = getattr(reader, "detect_many", None)
    if detect_many is not None:
        detect_many(texts)


combined_reading.prefetch = _prefetch_combined  # type: ignore[attr-defined]


@dataclass
class Counts:
    """True positives, false positives and false negatives of one move (or a pool)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        """tp / predicted, or None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / labelled, or None when nothing was labelled."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2tp / (2tp + fp + fn): 0 when something was predicted or labelled but none right."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def as_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class NearMiss:
    """Turns that look like ``move`` but are not it, and how often the reader found it."""

    turns: int = 0
    wrongly_found: int = 0
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"turns": self.turns, "wrongly_found": self.wrongly_found, "examples": self.examples}


@dataclass
class LanguageQuality:
    """The figures of one language on one split."""

    language: str
    split: str
    turns: int = 0
    has_reader: bool = True
    reader_note: str = ""
    per_move: dict[str, Counts] = field(default_factory=lambda: {m.value: Counts() for m in Label})
    near_misses: dict[str, NearMiss] = field(default_factory=dict)
    evidence_overlaps: int = 0  # correct predictions whose span overlaps a labelled quote

    @property
    def scored_moves(self) -> list[str]:
        """The moves in the reader's vocabulary (those the micro and macro figures count)."""
        excluded = {label.value for label in not_in_vocabulary()}
        return [m for m in self.per_move if m not in excluded]

    @property
    def micro(self) -> Counts:
        """Counts pooled over the scored moves."""
        pooled = Counts()
        for move in self.scored_moves:
            pooled.add(self.per_move[move])
        return pooled

    @property
    def macro_f1(self) -> float | None:
        """Mean F1 over the scored moves that were labelled or predicted in this split."""
        scores = [f for m in self.scored_moves if (f := self.per_move[m].f1) is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def violations(self) -> Counts:
        """Counts pooled over the violation moves (their precision matters most)."""
        pooled = Counts()
        for move in VIOLATIONS:
            pooled.add(self.per_move[move.value])
        return pooled

    @property
    def evidence_overlap(self) -> float | None:
        """Share of correct predictions whose evidence overlaps a labelled quote of the move."""
        tp = self.micro.tp
        return self.evidence_overlaps / tp if tp else None

    def as_dict(self) -> dict:
        micro = self.micro
        return {
            "language": self.language,
            "split": self.split,
            "turns": self.turns,
            "has_reader": self.has_reader,
            "reader_note": self.reader_note,
            "micro": micro.as_dict(),
            "macro_f1": self.macro_f1,
            "violations": self.violations.as_dict(),
            "evidence_overlap": self.evidence_overlap,
            "not_in_vocabulary": [label.value for label in not_in_vocabulary()],
            "per_move": {m: c.as_dict() for m, c in self.per_move.items()},
            "near_misses": {m: n.as_dict() for m, n in sorted(self.near_misses.items())},
        }


def _quote_spans(turn: CorpusTurn, move: str) -> list[tuple[int, int]]:
    spans = []
    for label in turn.labels:
        if label.move.value == move:
            start = turn.text.find(label.quote)
            spans.append((start, start + len(label.quote)))
    return spans


def evaluate_language(
    turns: Iterable[CorpusTurn], language: str, split: str, reader: Reader = rule_reading
) -> LanguageQuality:
    """Score ``reader`` on the turns of ``language`` in ``split``."""
    quality = LanguageQuality(language, split)
    turns = list(turns)
    prefetch = getattr(reader, "prefetch", None)
    if prefetch is not None:  # e.g. the encoder embeds all the turns' sentences in one batch
        with contextlib.suppress(NoReader):  # the loop below reports it, turn by turn
            prefetch(
                [t.text for t in turns if t.language == language and t.split == split], language
            )
    for turn in turns:
        if turn.language != language or turn.split != split:
            continue
        quality.turns += 1
        found: Found = []
        if quality.has_reader:
            try:
                found = reader(turn.text, language)
            except NoReader as exc:
                quality.has_reader, quality.reader_note = False, str(exc)
        predicted: dict[str, list[tuple[int, int]]] = {}
        for move, start, end in found:
            predicted.setdefault(move, []).append((start, end))
        gold = turn.moves
        for move in set(predicted) | gold:
            counts = quality.per_move.setdefault(move, Counts())
            if move in predicted and move in gold:
                counts.tp += 1
                quotes = _quote_spans(turn, move)
                if any(s < qe and qs < e for s, e in predicted[move] for qs, qe in quotes):
                    quality.evidence_overlaps += 1
            elif move in predicted:
                counts.fp += 1
            else:
                counts.fn += 1
        target = turn.near_miss_of
        if target is not None:
            near = quality.near_misses.setdefault(target, NearMiss())
            near.turns += 1
            if target in predicted and target not in gold:
                near.wrongly_found += 1
                if len(near.examples) < 3:
                    near.examples.append(turn.id)
    return quality


def evaluate(
    turns: list[CorpusTurn],
    split: str = "test",
    languages: list[str] | None = None,
    reader: Reader = rule_reading,
) -> list[LanguageQuality]:
    """Score ``reader`` on ``split`` for each language present in ``turns`` (or asked for)."""
    present = sorted({t.language for t in turns}, key=_language_order)
    return [evaluate_language(turns, lang, split, reader) for lang in (languages or present)]


def _language_order(language: str) -> int:
    from .corpus import LANGUAGES

    return LANGUAGES.index(language) if language in LANGUAGES else len(LANGUAGES)
