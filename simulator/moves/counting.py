"""Counting finds against labels, shared by what fits the encoder's heads and what chooses
the trust in the rules (:mod:`.train_heads`, :mod:`.rule_trust`).

Apart from both because :mod:`.train_heads` imports :mod:`.rule_trust`; the quality report
(:mod:`.quality`) keeps its own per-move tallies, which also carry quotes and near misses.
"""

from __future__ import annotations

import numpy as np

# A wrongly found violation escalates the customer: the precision a violation's threshold,
# veto or shift must reach on the turns it is chosen on.
VIOLATION_PRECISION = 0.95


def counts(predicted: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(tp, fp, fn) along the last axis of boolean ``predicted`` against boolean ``gold``:
    shape (..., 3), e.g. one row per candidate threshold when ``predicted`` is 2-D."""
    return np.stack(
        [
            (predicted & gold).sum(axis=-1),
            (predicted & ~gold).sum(axis=-1),
            (~predicted & gold).sum(axis=-1),
        ],
        axis=-1,
    )


def f1(c: np.ndarray) -> np.ndarray:
    """F1 of (tp, fp, fn) rows; 0 where nothing was found right."""
    c = np.asarray(c)
    denominator = 2 * c[..., 0] + c[..., 1] + c[..., 2]
    return np.where(denominator > 0, 2 * c[..., 0] / np.maximum(denominator, 1), 0.0)


def precision(c: np.ndarray, *, when_none_found: float = 1.0) -> np.ndarray:
    """Precision of (tp, fp, fn) rows; ``when_none_found`` where nothing was found."""
    c = np.asarray(c)
    found = c[..., 0] + c[..., 1]
    return np.where(found > 0, c[..., 0] / np.maximum(found, 1), when_none_found)
