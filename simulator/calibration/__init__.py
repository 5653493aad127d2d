"""Persona calibration: do the personas reward what DOMAIN teaches and punish what it warns?

Reference trainee policies (:mod:`.policies`) talk to every persona through the real
customer state machine (:mod:`.runner`); the figures form a matrix (:mod:`.matrix`)
that DOMAIN expectations (:mod:`.expectations`, ``expectations.yaml``) are checked
against. :func:`calibration_report` is the one call the persona designer needs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..persona.model import Persona
from ..render.base import Renderer
from .expectations import ExpectationResult, check_expectations
from .lint import LintWarning, lint_persona
from .matrix import Cell, Matrix
from .policies import POLICIES
from .report import persona_markdown, to_markdown, to_text
from .runner import Progress, RunResult, run_calibration
from .verdict import Verdict, calibration_verdict

__all__ = [
    "POLICIES",
    "CalibrationReport",
    "Cell",
    "ExpectationResult",
    "Matrix",
    "calibrate",
    "calibrate_persona",
    "calibration_report",
    "calibration_verdict",
    "check_expectations",
    "lint_persona",
    "Verdict",
]


def calibrate(
    personas: Sequence[Persona],
    runs: int = 3,
    policies: Sequence[str] | None = None,
    renderer: Renderer | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Matrix:
    """Run every policy against every persona over ``runs`` seeds; return the matrix."""
    results = run_calibration(
        personas, policies, runs, renderer, workers=workers, progress=progress
    )
    name = getattr(renderer, "name", "offline") if renderer else "offline"
    return Matrix.from_results(results, personas, policies, renderer=name)


# Offline results per (persona content hash, runs): the designer recalibrates one edited
# persona against the same shipped ones again and again. The effects table and the move
# patterns are loaded once per process anyway, so the hash is all that can change.
_RESULTS: OrderedDict[tuple[str, int], list[RunResult]] = OrderedDict()
_RESULTS_MAX = 256


def calibrate_persona(
    persona: Persona,
    runs: int = 3,
    others: Sequence[Persona] = (),
    renderer: Renderer | None = None,
    workers: int | None = 1,
) -> Matrix:
    """The matrix for one persona, alongside ``others`` (e.g. the shipped personas, so the
    comparative expectations and the distinctness check have something to compare with).
    A persona in ``others`` with the same id is replaced by ``persona``.

    Offline results are remembered by persona content, so only personas not seen before
    (typically just the one being edited) are run. ``workers`` defaults to 1: this is the
    interactive call, made from inside the web server's threads, where forking is unwise.
    """
    group = [persona] + [p for p in others if p.id != persona.id]
    if renderer is not None:
        return calibrate(group, runs, renderer=renderer, workers=workers)
    keys = {p.id: (p.content_hash(), runs) for p in group}
    todo = [p for p in group if keys[p.id] not in _RESULTS]
    fresh = run_calibration(todo, runs=runs, workers=workers) if todo else []
    for p in todo:
        _RESULTS[keys[p.id]] = [r for r in fresh if r.persona == p.id]
    for p in group:
        _RESULTS.move_to_end(keys[p.id])
    while len(_RESULTS) > _RESULTS_MAX:
        _RESULTS.popitem(last=False)
    return Matrix.from_results([r for p in group for r in _RESULTS[keys[p.id]]], group)


@dataclass
class CalibrationReport:
    """What the persona designer shows before saving: matrix, expectations, warnings."""

    persona_id: str
    matrix: Matrix
    expectations: list[ExpectationResult]
    warnings: list[LintWarning] = field(default_factory=list)

    @property
    def failed(self) -> list[ExpectationResult]:
        """Expectations that fail for this persona (or because of it)."""
        return [r for r in self.expectations if r.status == "fail"]

    @property
    def verdict(self) -> Verdict:
        """The same verdict ``frontline calibrate`` gives for this matrix."""
        return calibration_verdict(self.expectations, self.matrix)

    @property
    def distinct(self) -> bool:
        return not any(self.persona_id in pair for pair in self.matrix.twins())

    def to_markdown(self, full: bool = False) -> str:
        """This persona's rows, expectations and linter warnings (``full``: every
        persona's tables as well, as in docs/calibration.md)."""
        lines = ["**Persona linter**", ""]
        lines += [f"- {w}" for w in self.warnings] or ["No warnings."]
        body = persona_markdown(self.matrix, self.persona_id, self.expectations)
        if full:
            body += "\n" + to_markdown(
                self.matrix, self.expectations, command="the persona designer"
            )
        return body + "\n" + "\n".join(lines) + "\n"

    def to_text(self) -> str:
        return (
            to_text(self.matrix, self.expectations)
            + "\n"
            + "\n".join(["Persona linter:"] + [str(w) for w in self.warnings or ["no warnings"]])
            + "\n"
        )


def calibration_report(
    persona: Persona,
    runs: int = 3,
    others: Sequence[Persona] = (),
    text: str | None = None,
    path: Path | str | None = None,
    renderer: Renderer | None = None,
    workers: int | None = 1,
) -> CalibrationReport:
    """Calibrate and lint one persona (``text`` is its YAML as edited, for line numbers).

    Expectations are evaluated over the whole matrix (``persona`` plus ``others``); the
    designer can highlight the lines naming ``persona.id`` in each result.
    """
    matrix = calibrate_persona(persona, runs, others, renderer, workers)
    return CalibrationReport(
        persona.id, matrix, check_expectations(matrix), lint_persona(persona, path, text)
    )
