"""How far the rules' finds are trusted: the encoder's veto, chosen on turns the rules never saw.

The rules (each language's ``moves.yaml``) were tuned on the corpus' train and dev turns up
to :data:`~.corpus.RULES_WRITTEN_AGAINST`. They fit those turns at 0.91-0.97 micro F1 but
held-out turns far worse, and on held-out turns most wrong finds of the combined reader are
the rules' (docs/moves.md, "Trusting the rules"). So a rule's find of a move is checked
against the encoder: where the encoder's probability of that move in the find's sentence is
below the move's *veto*, the find is dropped.

A veto per move is chosen here, by ``frontline train-heads``, on the turns written after the
rules (*fresh* turns) in the train and dev splits only, pooled over the languages: the
encoder's probabilities are out of fold for train turns (heads fitted without them) and the
shipped heads' for dev turns. For each move the value of :data:`VETO_GRID` with the best F1
of that move over those turns is taken (a violation: the best F1 among the values whose
precision reaches :data:`VIOLATION_PRECISION`, when any does), and only when it beats
keeping every find by :data:`MIN_GAIN`; otherwise the veto is 0 and the rules' finds of that
move stand as before. Ties go to the lower veto: the rules keep what they cannot be shown
to get wrong.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .corpus import CorpusTurn
from .detector import Detection, default_detector
from .vocabulary import VIOLATIONS, Move

VETO_GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
VIOLATION_PRECISION = 0.95
MIN_GAIN = 0.01  # F1 a veto must add over keeping every find of the move
MOVES = list(Move)

UnitProbabilities = dict[tuple[str, int], np.ndarray]  # (turn id, sentence start) -> (M,)


def rule_finds(turns: Iterable[CorpusTurn]) -> dict[str, list[Detection]]:
    """The rules' finds in each turn (by id), with each language's shipped patterns."""
    out: dict[str, list[Detection]] = {}
    for turn in turns:
        out[turn.id] = default_detector(turn.language).detect(turn.text)
    return out


def _counts(predicted: np.ndarray, gold: np.ndarray) -> tuple[int, int, int]:
    return (
        int((predicted & gold).sum()),
        int((predicted & ~gold).sum()),
        int((~predicted & gold).sum()),
    )


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_vetoes(
    turns: list[CorpusTurn],
    probabilities: UnitProbabilities,
    thresholds: dict[str, np.ndarray],
    finds: dict[str, list[Detection]] | None = None,
) -> tuple[np.ndarray, dict[str, dict]]:
    """A veto per move (module docstring) from ``turns`` (fresh, train and dev only), their
    units' encoder ``probabilities`` and the languages' encoder ``thresholds``; with the
    figures behind each choice (move -> counts kept and vetoed)."""
    finds = finds if finds is not None else rule_finds(turns)
    by_turn: dict[str, dict[int, np.ndarray]] = {}
    for (turn_id, start), p in probabilities.items():
        by_turn.setdefault(turn_id, {})[start] = p
    vetoes = np.zeros(len(MOVES), dtype=np.float32)
    figures: dict[str, dict] = {}
    for j, move in enumerate(MOVES):
        gold = np.array([move.value in t.moves for t in turns], dtype=bool)
        # Per turn: the encoder's probability at each rule find of the move (None: the
        # encoder did not read that sentence, the find stands), and whether the encoder
        # adds the move elsewhere in the turn on its own.
        at_finds: list[list[float | None]] = []
        added = np.zeros(len(turns), dtype=bool)
        for i, turn in enumerate(turns):
            units = by_turn.get(turn.id, {})
            starts = {d.quote_start for d in finds.get(turn.id, []) if d.move == move}
            at_finds.append([float(units[s][j]) if s in units else None for s in sorted(starts)])
            threshold = thresholds.get(turn.language)
            if threshold is not None:
                added[i] = any(p[j] >= threshold[j] for s, p in units.items() if s not in starts)
        rows = []
        for veto in VETO_GRID:
            kept = np.array(
                [any(p is None or p >= veto for p in ps) for ps in at_finds], dtype=bool
            )
            rows.append(_counts(kept | added, gold))
        f1s = [_f1(*c) for c in rows]
        allowed = list(range(len(VETO_GRID)))
        if move in VIOLATIONS:
            sure = [
                k
                for k, (tp, fp, _) in enumerate(rows)
                if tp and tp / (tp + fp) >= VIOLATION_PRECISION
            ]
            allowed = sure or allowed
        best = max(allowed, key=lambda k: (f1s[k], -k))
        # A veto must earn its place, unless keeping every find misses the violations' bar.
        if 0 in allowed and f1s[best] < f1s[0] + MIN_GAIN:
            best = 0
        vetoes[j] = VETO_GRID[best]
        figures[move.value] = {
            "veto": VETO_GRID[best],
            "turns": len(turns),
            "rule_finds": sum(len(ps) for ps in at_finds),
            "without_veto": dict(zip(("tp", "fp", "fn"), rows[0], strict=True)),
            "with_veto": dict(zip(("tp", "fp", "fn"), rows[best], strict=True)),
        }
    return vetoes, figures
