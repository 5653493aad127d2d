"""Detectors find moves in an agent turn and return the exact words as evidence.

The rule detector reads its patterns from YAML files: ``moves.yaml`` in each language
pack (the shipped one in ``simulator/languages/<language>/``, then the trainers' in the
folders named by ``FRONTLINE_LANGUAGES``; see :mod:`simulator.languages`), plus, the older
way, any ``<language>*.yaml`` in the folders named by ``FRONTLINE_MOVE_PATTERNS``. So
extending it never means editing code. It splits a turn into sentences as the pack's
manifest says (:class:`~simulator.languages.Splitter`). Other detectors (an LLM one)
implement the same :class:`Detector` protocol.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, with_config

from .. import saferegex
from ..errors import FileProblems, Problem
from ..languages import ENV as LANGUAGES_ENV
from ..languages import (
    SHIPPED_DIR,
    Splitter,
    check_folder_language,
    pack_file,
    shipped,
    splitter_for,
)
from ..textspan import fold_apostrophes as _fold
from ..yamlfile import load_model
from .prefilter import PatternIndex, lowered, normalise
from .vocabulary import Move

PACK_FILE = "moves.yaml"  # in each language pack
LEGACY_ENV = "FRONTLINE_MOVE_PATTERNS"  # the older way: folders of <language>*.yaml


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class Detection:
    """One move found in one turn.

    ``start``/``end`` delimit the words that triggered it (``text``); ``quote`` is the
    whole sentence (or clause) around them, starting at ``quote_start``. All are verbatim
    pieces of the turn text. ``source`` says which detector found it (``rules``,
    ``encoder``, ``llm``); ``remedy`` is the persona's remedy id when the move was
    recognised by that persona's own remedy triggers; ``beyond`` says what the offer gives
    away beyond the company's rules for the case, when the persona recognised it as a
    give-away (DOMAIN §3.9). A plain dataclass, not a model:
    detectors make many per turn; pydantic still validates it inside a stored reading.
    """

    move: Move
    start: int
    end: int
    text: str
    quote: str
    quote_start: int
    source: Literal["rules", "encoder", "llm"] = "rules"
    remedy: str | None = None
    beyond: str | None = None


class Detector(Protocol):
    """Anything that can find moves in an agent's turn."""

    def detect(self, text: str) -> list[Detection]:
        """Return every move found in ``text``, in order of position."""
        ...


def _check_regex(value: str) -> str:
    return saferegex.check(value)  # refuses invalid and catastrophic patterns, with a reason


# Checked item by item, so a bad regex is reported at its own line ("patterns[2]").
Regex = Annotated[str, AfterValidator(_check_regex)]


class MovePatterns(BaseModel):
    """How one move is recognised: any ``patterns`` match in a sentence, unless vetoed."""

    model_config = ConfigDict(extra="forbid")

    patterns: list[Regex] = Field(
        min_length=1,
        description="Regexes (case-insensitive); any one "
        "matching inside a sentence finds the move there.",
    )
    unless: list[Regex] = Field(
        default_factory=list,
        description="Regexes that, matching the same "
        "sentence, mean the move is not there (negations, near misses).",
    )
    unless_turn: list[Regex] = Field(
        default_factory=list,
        description="Regexes that, matching anywhere in the turn, mean the move is not there.",
    )
    examples: list[str] = Field(default_factory=list, description="Turns that must show the move.")
    counterexamples: list[str] = Field(
        default_factory=list, description="Turns that must not show the move."
    )


class MovePatternFile(BaseModel):
    """A file of move patterns for one language."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    language: str = Field(description="BCP-47 language code, e.g. 'en'.")
    negations: list[Regex] = Field(
        default_factory=list,
        description="Regexes that mark a "
        "sentence as negated, so 'we can't refund you' is no offer.",
    )
    moves: dict[Move, MovePatterns] = Field(default_factory=dict)
    # Set by load_pattern_file for the package's own file only (never read from a file):
    # the test suite holds its patterns to the product's speed.
    _shipped: bool = PrivateAttr(False)


@dataclass(frozen=True)
class _Compiled:
    move: Move
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    unless_turn: tuple[re.Pattern[str], ...]


def _compile(values: list[str], shipped: frozenset[str] = frozenset()) -> tuple:
    # The shipped file's patterns are searched with ``re`` (fast, with lowered twins); any
    # other file's run with a time limit (see simulator/saferegex.py and docs/moves.md).
    return tuple(
        re.compile(v, re.IGNORECASE) if v in shipped else saferegex.compile(v) for v in values
    )


class RuleDetector:
    """Finds moves with the regular expressions of one or more pattern files, sentence by
    sentence as ``splitter`` cuts a turn (by default the splitter of the first file's
    language)."""

    def __init__(self, files: list[MovePatternFile], splitter: Splitter | None = None):
        self.splitter = splitter or splitter_for(files[0].language if files else "en")
        merged: dict[Move, MovePatterns] = {}
        for f in files:
            for move, pats in f.moves.items():
                if move in merged:
                    old = merged[move]
                    pats = MovePatterns(
                        patterns=old.patterns + pats.patterns,
                        unless=old.unless + pats.unless,
                        unless_turn=old.unless_turn + pats.unless_turn,
                        examples=old.examples + pats.examples,
                        counterexamples=old.counterexamples + pats.counterexamples,
                    )
                merged[move] = pats
        self.patterns = merged
        shipped = frozenset(v for f in files if f._shipped for v in _all_patterns(f))
        self._negations = _compile([n for f in files for n in f.negations], shipped)
        self._rules = [
            _Compiled(
                m,
                _compile(p.patterns, shipped),
                _compile(p.unless, shipped),
                _compile(p.unless_turn, shipped),
            )
            for m, p in merged.items()
        ]
        # Skips the patterns a sentence cannot match (never changes a result); the examples
        # tell it which trigrams are common in real turns.
        self._flat = [(r, p) for r in self._rules for p in r.patterns]
        vetoes = [(r, u) for r in self._rules for u in r.unless]
        self._index = PatternIndex(
            [p for _, p in self._flat + vetoes],
            [x for p in merged.values() for x in p.examples + p.counterexamples],
        )
        # What a search runs: each pattern's case-sensitive twin on the normalised text
        # where one exists (same offsets, cheaper), else the pattern on the folded text.
        self._plan = [(r.move, *_searcher(p)) for r, p in self._flat + vetoes]
        self._plan_folded = [(r.move, p.search, False) for r, p in self._flat + vetoes]
        self._turn_vetoes = {r.move: [_searcher(u) for u in r.unless_turn] for r in self._rules}
        self._turn_vetoes_folded = {
            r.move: [(u.search, False) for u in r.unless_turn] for r in self._rules
        }
        first = len(self._flat)  # vetoes are indexed after the patterns
        self._vetoes: dict[Move, list[int]] = {}
        for r in self._rules:
            self._vetoes[r.move] = list(range(first, first + len(r.unless)))
            first += len(r.unless)

    def excepts(self, sentence: str, move: Move) -> bool:
        """Whether one of ``move``'s sentence-level ``unless`` exceptions matches
        ``sentence`` (e.g. "other problems *with the* washing machine" is a question about
        the product, not a negatively loaded closing), whether or not a pattern matched."""
        folded = _fold(sentence)
        return any(u.search(folded) for r in self._rules if r.move is move for u in r.unless)

    def is_negated(self, sentence: str) -> bool:
        """Whether ``sentence`` says something is *not* so ("we can't refund that")."""
        folded = _fold(sentence)
        return any(p.search(folded) for p in self._negations)

    def detect(self, text: str) -> list[Detection]:
        """Return every move found in ``text``; at most one detection per move per sentence."""
        found: list[Detection] = []
        folded = _fold(text)
        low = normalise(folded)
        if len(low) == len(folded):
            plan, turn_vetoes = self._plan, self._turn_vetoes
        else:  # cannot happen (normalise keeps lengths), but offsets must never shift
            low, plan, turn_vetoes = folded, self._plan_folded, self._turn_vetoes_folded
        # A rule's unless_turn vetoes are tried only once it has matched somewhere.
        vetoed: dict[Move, bool] = {}
        # Long pasted turns repeat sentences; each distinct one is matched only once.
        seen: dict[str, list[tuple[Move, int, int]]] = {}
        for s, e in self.splitter.sentences(text):
            sentence = folded[s:e]
            hits = seen.get(sentence)
            if hits is None:
                hits = seen[sentence] = self._sentence_hits(sentence, low[s:e], plan)
            for move, a, b in hits:
                if move not in vetoed:
                    vetoed[move] = False
                    for search, on_low in turn_vetoes[move]:
                        if search(low if on_low else folded):
                            vetoed[move] = True
                            break
                if not vetoed[move]:
                    found.append(Detection(move, s + a, s + b, text[s + a : s + b], text[s:e], s))
        found.sort(key=lambda d: (d.start, d.move))
        return found

    def _sentence_hits(
        self, sentence: str, low: str, plan: list[tuple[Move, object, bool]]
    ) -> list[tuple[Move, int, int]]:
        """(move, start, end) of the first non-empty pattern match of each rule, unless an
        ``unless`` vetoes it. Only patterns the index says may match are searched, in order.
        ``low`` is the sentence normalised (or the sentence itself, with the folded plan)."""
        hits = []
        done: set[Move] = set()
        candidates = self._index.candidates(low)
        possible: set[int] | None = None
        n_patterns = len(self._flat)
        for i in candidates:
            if i >= n_patterns:
                break  # the rest are vetoes, tried below only for rules that matched
            move, search, on_low = plan[i]
            if move in done:
                continue
            m = search(low if on_low else sentence)
            if m and m.end() > m.start():
                done.add(move)
                if possible is None:
                    possible = set(candidates)
                for j in self._vetoes[move]:
                    if j in possible and plan[j][1](low if plan[j][2] else sentence):
                        break
                else:
                    hits.append((move, m.start(), m.end()))
        return hits


def _all_patterns(f: MovePatternFile) -> list[str]:
    return f.negations + [
        v for p in f.moves.values() for v in p.patterns + p.unless + p.unless_turn
    ]


def _searcher(pattern: re.Pattern[str]) -> tuple:
    """(search, on_normalised): the cheapest equivalent way to search with ``pattern``."""
    if isinstance(pattern, saferegex.SafePattern):
        return (pattern.search, False)  # keeps its time limit: no ``re`` twin
    twin = lowered(pattern)
    return (twin.search, True) if twin is not None else (pattern.search, False)


def pattern_files(language: str = "en") -> list[Path]:
    """The pattern files for ``language``: its packs' ``moves.yaml`` (the shipped pack's
    first, then each trainer's in ``FRONTLINE_LANGUAGES``), then, the older way, the
    ``<language>*.yaml`` files in the folders of ``FRONTLINE_MOVE_PATTERNS``."""
    paths = pack_file(language, PACK_FILE)
    for folder in os.environ.get(LEGACY_ENV, "").split(os.pathsep):
        if folder:
            paths += sorted(Path(folder).glob(f"{language}*.yaml"))
    return paths


def load_pattern_file(path: Path) -> MovePatternFile:
    """Load and validate one pattern file."""
    loaded = load_model(MovePatternFile, path)
    loaded._shipped = shipped(path)
    return loaded


def load_pack_patterns(path: Path) -> MovePatternFile:
    """Load a pack's ``<language>/moves.yaml``; it must be written for its folder's language."""
    return _in_language(load_pattern_file(path), path)


def _in_language(f: MovePatternFile, path: Path) -> MovePatternFile:
    """``f`` if it is written for its pack folder's language; the older folders' files are
    picked by name ("en-retail.yaml") and carry no folder language."""
    if path.name == PACK_FILE:
        check_folder_language(path, f.language, "moves file")
    return f


@lru_cache(maxsize=8)
def _cached_detector(language: str, packs: str, extra: str) -> RuleDetector:
    # A language need not ship with Frontline: a trainer's folder may supply it whole.
    paths = pattern_files(language)
    if not paths:
        folder = SHIPPED_DIR / language
        raise FileProblems(
            [
                Problem(
                    str(folder / PACK_FILE),
                    f"no move patterns for language {language!r}: add moves.yaml to the "
                    f"language pack folder {folder}, or to {language}/ in a folder named in "
                    f"FRONTLINE_LANGUAGES (or, the older way, {language}.yaml to a folder "
                    f"named in {LEGACY_ENV})",
                )
            ]
        )
    files = [_in_language(load_pattern_file(p), p) for p in paths]
    return RuleDetector(files, splitter_for(language))


def default_detector(language: str = "en") -> RuleDetector:
    """The rule detector for ``language``, built once per process and configuration."""
    return _cached_detector(
        language, os.environ.get(LANGUAGES_ENV, ""), os.environ.get(LEGACY_ENV, "")
    )
