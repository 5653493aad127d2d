"""The one verdict on a calibration: whether it passes, and the sentence that says why.

``frontline calibrate`` (its exit code and last line) and the persona designer (its ✓ or ✗)
both show :func:`calibration_verdict`, so the two can never disagree: a calibration passes
when every DOMAIN expectation holds and no two personas react identically to every
policy (one of such a pair is redundant as a training customer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .expectations import ExpectationResult
from .matrix import Matrix


@dataclass(frozen=True)
class Verdict:
    """Pass or not, with the failed expectations and the indistinguishable pairs."""

    failed: tuple[ExpectationResult, ...]
    twins: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.twins

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    def summary(self) -> str:
        """One line: 'calibrated: …' or 'NOT calibrated: …' with what failed."""
        if self.ok:
            return "calibrated: every DOMAIN expectation holds and every persona reacts differently"
        bits = []
        if self.failed:
            bits.append(f"{len(self.failed)} DOMAIN expectation(s) fail")
        if self.twins:
            bits.append(
                f"{len(self.twins)} indistinguishable pair(s) ("
                + "; ".join(f"{a} = {b}" for a, b in self.twins)
                + ")"
            )
        return "NOT calibrated: " + ", ".join(bits)


def calibration_verdict(results: Sequence[ExpectationResult], matrix: Matrix) -> Verdict:
    """The verdict on ``matrix`` and the expectations checked against it."""
    # Pairs in name order: the same personas give the same sentence in any run order.
    twins = sorted(tuple(sorted(pair)) for pair in matrix.twins())
    return Verdict(tuple(r for r in results if r.status == "fail"), tuple(twins))
