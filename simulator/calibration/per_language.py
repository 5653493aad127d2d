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

from ..errors import FileProblems, FrontlineError
from ..languages import available_languages
from ..persona.model import Persona
from ..render.base import Renderer
from .expectations import check_expectations
from .matrix import Matrix
from .outcome import Calibration, Skipped
from .runner import Progress, run_calibration

ALL = "all"


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
) -> Calibration:
    """Every persona that offers ``language`` played in it, every policy, ``runs`` seeds;
    the expectations checked on this language's matrix."""
    played, skipped = played_in(personas, language)
    if not played:
        return Calibration(language, None, [], skipped)
    results = run_calibration(played, policies, runs, renderer, workers=workers, progress=progress)
    name = getattr(renderer, "name", "offline") if renderer else "offline"
    matrix = Matrix.from_results(results, played, policies, renderer=name)
    matrix.language = language
    return Calibration(language, matrix, check_expectations(matrix), skipped)


def calibrate_languages(
    personas: Sequence[Persona],
    languages: Sequence[str],
    runs: int = 3,
    policies: Sequence[str] | None = None,
    renderer: Renderer | None = None,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Calibration]:
    """:func:`calibrate_language` for each of ``languages`` (codes or ``all``), in order;
    ``progress(language, done, total)`` as each cell finishes."""
    out = []
    for code in language_codes(languages):

        def step(done: int, total: int, code: str = code) -> None:
            if progress:
                progress(code, done, total)

        out.append(calibrate_language(personas, code, runs, policies, renderer, workers, step))
    return out
