"""One calibration's outcome, however it was run: the matrix, the DOMAIN expectations
checked on it, the personas left out, and the verdict.

``frontline calibrate`` reports every run through this one object: the plain run (each
persona in its own language; ``language`` None) and ``--language L`` (one per language),
so the two give the same figures, JSON fields and verdict lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expectations import ExpectationResult
from .matrix import Matrix
from .verdict import Verdict, calibration_verdict


@dataclass(frozen=True)
class Skipped:
    """A persona left out of a language's calibration, and why."""

    persona: str
    reason: str


@dataclass
class Calibration:
    """One calibration: its matrix (None when no persona could be played), the
    expectations checked on it and the personas skipped. ``language`` is the language
    every persona was played in, or None when each spoke its own (the plain run)."""

    language: str | None
    matrix: Matrix | None
    results: list[ExpectationResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict | None:
        """The verdict ``frontline calibrate`` gives this run (None: nothing ran)."""
        return None if self.matrix is None else calibration_verdict(self.results, self.matrix)

    @property
    def ok(self) -> bool:
        """Calibrated: something ran, every expectation holds, no two personas alike."""
        verdict = self.verdict
        return verdict is not None and verdict.ok

    def summary(self) -> str:
        """One line for the end of the run: the verdict, after the language if there is one."""
        where = f"{self.language}: " if self.language else ""
        if self.verdict is None:
            return f"{where}NOT calibrated: no persona offers {self.language}"
        return where + self.verdict.summary()

    def to_dict(self) -> dict:
        """Everything for ``--json``: the matrix's figures, expectations, skipped personas
        and the verdict."""
        data = self.matrix.to_dict() if self.matrix else {"language": self.language}
        data["skipped"] = [{"persona": s.persona, "reason": s.reason} for s in self.skipped]
        data["expectations"] = [r.to_dict() for r in self.results]
        data["calibrated"] = self.ok
        return data
