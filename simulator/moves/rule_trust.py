"""How far the rules' finds are trusted, and how readily the encoder adds to them: chosen on
turns the rules never saw.

The rules (each language's ``moves.yaml``) were tuned on the corpus' train and dev turns up
to :data:`~.corpus.RULES_WRITTEN_AGAINST`. They fit those turns at 0.91-0.97 micro F1 but
held-out turns far worse, and on held-out turns most wrong finds of the combined reader are
the rules' (docs/moves.md, "Trusting the rules"). Two settings per move follow from that:

- for a violation, a **veto**: a rule's find of the violation is dropped where the encoder's
  probability of it in the find's sentence is below the veto (0: every find stands). Good
  moves get none: the customer must hear the good moves the rules find (with vetoes the
  behaviour tests' scripts of good handling went unheard);
- a **shift** of the move's encoder thresholds (every language's alike): the thresholds are
  first chosen for the encoder reading alone (:mod:`.train_heads`), but what matters is what
  the encoder adds to the rules' finds. A violation's thresholds, chosen for a precision of
  0.95 already, may rise but never fall: on held-out turns, lowering them to win recall
  cost more precision than the tuning turns showed.

Both are chosen here, by ``frontline train-heads``, on the turns written after the rules
(*fresh* turns) in the train and dev splits only, pooled over the languages: the encoder's
probabilities are out of fold for train turns (heads fitted without them) and the shipped
heads' for dev turns. For each move the pair of :data:`VETO_GRID` x :data:`SHIFT_GRID` with
the best F1 of that move over those turns is taken (a violation: the best F1 among the pairs
whose precision reaches :data:`VIOLATION_PRECISION`, when any does), and only when it beats
(0, 0) by :data:`MIN_GAIN`; ties go to the smaller change. The turn-level simulation is the
combination's policy without its finer points (the margin in a sentence the rules read, the
negation and contradiction checks); the quality report measures the real reader.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .corpus import CorpusTurn
from .counting import VIOLATION_PRECISION, counts, f1, precision
from .detector import Detection, default_detector
from .vocabulary import VIOLATIONS, Move

VETO_GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
SHIFT_GRID = (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2)
LOWEST_THRESHOLD = 0.05
MIN_GAIN = 0.01  # F1 a veto must add over keeping every find of the move
MOVES = list(Move)

UnitProbabilities = dict[tuple[str, int], np.ndarray]  # (turn id, sentence start) -> (M,)


def rule_finds(turns: Iterable[CorpusTurn]) -> dict[str, list[Detection]]:
    """The rules' finds in each turn (by id), with each language's shipped patterns."""
    out: dict[str, list[Detection]] = {}
    for turn in turns:
        out[turn.id] = default_detector(turn.language).detect(turn.text)
    return out


def choose_vetoes(
    turns: list[CorpusTurn],
    probabilities: UnitProbabilities,
    thresholds: dict[str, np.ndarray],
    finds: dict[str, list[Detection]] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, dict]]:
    """A veto per move and a shift of its thresholds (module docstring) from ``turns``
    (fresh, train and dev only), their units' encoder ``probabilities`` and the languages'
    encoder ``thresholds``; with the figures behind each choice (move -> counts before and
    after)."""
    finds = finds if finds is not None else rule_finds(turns)
    by_turn: dict[str, dict[int, np.ndarray]] = {}
    for (turn_id, start), p in probabilities.items():
        by_turn.setdefault(turn_id, {})[start] = p
    vetoes = np.zeros(len(MOVES), dtype=np.float32)
    shifts = np.zeros(len(MOVES), dtype=np.float32)
    figures: dict[str, dict] = {}
    for j, move in enumerate(MOVES):
        gold = np.array([move.value in t.moves for t in turns], dtype=bool)
        # Per turn: the encoder's probability at each rule find of the move (None: the
        # encoder did not read that sentence, the find stands), and the encoder's best
        # probability of the move elsewhere in the turn against the language's threshold.
        at_finds: list[list[float | None]] = []
        margin = np.full(len(turns), -np.inf)  # best probability minus threshold elsewhere
        for i, turn in enumerate(turns):
            units = by_turn.get(turn.id, {})
            starts = {d.quote_start for d in finds.get(turn.id, []) if d.move == move}
            at_finds.append([float(units[s][j]) if s in units else None for s in sorted(starts)])
            threshold = thresholds.get(turn.language)
            if threshold is not None and threshold[j] <= 1.0:
                elsewhere = [p[j] for s, p in units.items() if s not in starts]
                if elsewhere:
                    margin[i] = max(elsewhere) - threshold[j]
        # A violation's thresholds were chosen for precision already: they may rise, not fall.
        shifts_here = [sh for sh in SHIFT_GRID if sh >= 0 or move not in VIOLATIONS]
        # Only a violation's rule finds may be vetoed: the customer hears the good moves the
        # rules find (persona scripts of good handling, far from the corpus' short turns,
        # went unheard when the encoder could veto them), and a wrong violation is what
        # escalates a customer.
        vetoes_here = VETO_GRID if move in VIOLATIONS else (0.0,)
        grid = [(v, sh) for v in vetoes_here for sh in shifts_here]
        rows = []
        for veto, shift in grid:
            kept = np.array(
                [any(p is None or p >= veto for p in ps) for ps in at_finds], dtype=bool
            )
            rows.append(tuple(int(v) for v in counts(kept | (margin >= shift), gold)))
        f1s = [float(v) for v in f1(np.array(rows))]
        plain = grid.index((0.0, 0.0))
        allowed = list(range(len(grid)))
        if move in VIOLATIONS:
            sure = [
                k
                for k, (tp, fp, _) in enumerate(rows)
                if tp and tp / (tp + fp) >= VIOLATION_PRECISION
            ]
            allowed = sure or allowed
        # The best F1; on a tie the smaller change (a lower veto, a smaller shift). A
        # violation no pair brings to the bar gets the surest pair instead: a wrongly found
        # violation escalates the customer, so precision is never traded for recall.
        sureness = [float(v) for v in precision(np.array(rows), when_none_found=0.0)]
        sure_first = move in VIOLATIONS and not sure
        best = max(
            allowed,
            key=lambda k: (
                sureness[k] if sure_first else 0.0,
                f1s[k],
                -grid[k][0],
                -abs(grid[k][1]),
            ),
        )
        # A change must earn its place, unless keeping things as they are misses the bar.
        if not sure_first and plain in allowed and f1s[best] < f1s[plain] + MIN_GAIN:
            best = plain
        vetoes[j], shifts[j] = grid[best]
        figures[move.value] = {
            "veto": grid[best][0],
            "shift": grid[best][1],
            "turns": len(turns),
            "rule_finds": sum(len(ps) for ps in at_finds),
            "before": dict(zip(("tp", "fp", "fn"), rows[plain], strict=True)),
            "after": dict(zip(("tp", "fp", "fn"), rows[best], strict=True)),
        }
    return vetoes, shifts, figures


def shifted(thresholds: dict[str, np.ndarray], shifts: np.ndarray) -> dict[str, np.ndarray]:
    """The languages' thresholds moved by each move's shift, kept within the search grid;
    a move a language never reports stays never reported."""
    out = {}
    for language, t in thresholds.items():
        moved = np.clip(t + shifts, LOWEST_THRESHOLD, 0.95).astype(np.float32)
        out[language] = np.where(t > 1.0, t, moved).astype(np.float32)
    return out
