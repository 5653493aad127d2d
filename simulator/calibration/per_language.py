"""Calibration per language: the matrix and its DOMAIN expectations in each language.

A persona file is written in a base language and may offer others through overlays
(:mod:`simulator.persona.overlay`). Calibrating in a language plays every persona that
offers it in that language (its phrase bank, its remedy triggers) against the reference
policies speaking that language's ``agent_lines.yaml``, read by that language's rules;
the expectations are checked on that language's matrix alone, so "the same behaviour in
every language" (issue 13) is one verdict per language. A persona that does not offer the
language, or whose overlay for it is broken, is listed as skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import FileProblems, FrontlineError
from ..languages import available_languages
from ..persona.model import Persona
from ..render.base import Renderer
from .expectations import ExpectationResult, check_expectations
from .matrix import Matrix
from .runner import Progress, run_calibration
from .verdict import Verdict, calibration_verdict

ALL = "all"


@dataclass(frozen=True)
class Skipped:
    """A persona left out of a language's calibration, and why."""

    persona: str
    reason: str


@dataclass
class LanguageCalibration:
    """One language's calibration: its matrix (None when no persona offers the language),
    the expectations checked on it and the personas skipped."""

    language: str
    matrix: Matrix | None
    results: list[ExpectationResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict | None:
        """The verdict ``frontline calibrate`` gives this language (None: nothing ran)."""
        return None if self.matrix is None else calibration_verdict(self.results, self.matrix)

    @property
    def ok(self) -> bool:
        """Calibrated: something ran, every expectation holds, no two personas alike."""
        verdict = self.verdict
        return verdict is not None and verdict.ok

    def summary(self) -> str:
        """One line for the end of the run: the language and its verdict."""
        if self.matrix is None:
            return f"{self.language}: NOT calibrated: no persona offers {self.language}"
        return f"{self.language}: {self.verdict.summary()}"  # type: ignore[union-attr]

    def to_dict(self) -> dict:
        """Everything for ``--json``: the matrix's figures, expectations, skipped personas."""
        data = self.matrix.to_dict() if self.matrix else {"language": self.language}
        data["skipped"] = [{"persona": s.persona, "reason": s.reason} for s in self.skipped]
        data["expectations"] = [r.to_dict() for r in self.results]
        data["calibrated"] = self.ok
        return data


def language_codes(asked: Sequence[str]) -> list[str]:
    """The language codes asked for (``all``: every language with a pack), in the order
    asked and without repeats; an unknown code is refused naming the known ones."""
    known = [p.language for p in available_languages()]
    codes: list[str] = []
    for code in asked:
        for one in known if code == ALL else [code]:
            if one not in known:
                raise FrontlineError(
                    f"--language {one!r}: no language pack has it "
                    f"(known: {', '.join(known)}, or {ALL})"
                )
            if one not in codes:
                codes.append(one)
    return codes


def played_in(personas: Sequence[Persona], language: str) -> tuple[list[Persona], list[Skipped]]:
    """Each persona as played in ``language``, and those that cannot be, with the reason.

    ``personas`` are persona files (base language plus overlays) or plain personas (their
    language only)."""
    played: list[Persona] = []
    skipped: list[Skipped] = []
    for persona in personas:
        if persona.language == language:
            played.append(persona)
            continue
        overlays = getattr(persona, "languages", {})
        if language not in overlays:
            offers = getattr(persona, "offered_languages", None)
            offered = offers() if offers else [persona.language]
            skipped.append(
                Skipped(persona.id, f"not offered in {language} (offers {', '.join(offered)})")
            )
            continue
        try:
            played.append(persona.in_language(language))
        except FileProblems as e:
            first = e.problems[0] if e.problems else "its overlay does not resolve"
            more = f" (and {len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
            skipped.append(Skipped(persona.id, f"its {language} overlay is broken: {first}{more}"))
    return played, skipped


def calibrate_language(
    personas: Sequence[Persona],
    language: str,
    runs: int = 3,
    policies: Sequence[str] | None = None,
    renderer: Renderer | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LanguageCalibration:
    """Every persona that offers ``language`` played in it, every policy, ``runs`` seeds;
    the expectations checked on this language's matrix."""
    played, skipped = played_in(personas, language)
    if not played:
        return LanguageCalibration(language, None, [], skipped)
    results = run_calibration(played, policies, runs, renderer, workers=workers, progress=progress)
    name = getattr(renderer, "name", "offline") if renderer else "offline"
    matrix = Matrix.from_results(results, played, policies, renderer=name)
    matrix.language = language
    return LanguageCalibration(language, matrix, check_expectations(matrix), skipped)


def calibrate_languages(
    personas: Sequence[Persona],
    languages: Sequence[str],
    runs: int = 3,
    policies: Sequence[str] | None = None,
    renderer: Renderer | None = None,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[LanguageCalibration]:
    """:func:`calibrate_language` for each of ``languages`` (codes or ``all``), in order;
    ``progress(language, done, total)`` as each cell finishes."""
    out = []
    for code in language_codes(languages):

        def step(done: int, total: int, code: str = code) -> None:
            if progress:
                progress(code, done, total)

        out.append(calibrate_language(personas, code, runs, policies, renderer, workers, step))
    return out
