"""``frontline grade FILE|DIR… [--rubric ID] [--json] [--judge [--samples N]]`` and
``frontline rubrics``.

``grade`` prints a scorecard per transcript. Exit 0 whether the trainee passed or failed;
exit 1 only when some input could not be read (the readable ones are still graded), or
when ``--judge`` is asked for with no model configured. With ``--judge`` the LLM judge
answers the rubric's ``judge:`` questions (simulator.grading.judge); a judge that cannot
answer flags the scorecard ``needs_review`` and does not change the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import FrontlineError
from ..grading.grader import grade
from ..grading.judge import grade_with_judge, judge_questions
from ..grading.rubric_loader import DEFAULT_RUBRIC, RubricLibrary
from ..grading.scorecard import render_text
from ..grading.transcript_input import parse_transcripts
from ..languages.catalogue import Texts
from ..moves.detector import Detector
from ..persona.loader import PersonaLibrary
from ..persona.model import Persona


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade",
        help="grade transcripts against a rubric and print scorecards",
        description="Grade transcripts: the JSON transcript format, JSONL (one per line) or "
        "plain text with 'Customer:' / 'Agent:' lines. A folder means every *.json, *.jsonl "
        "and *.txt file under it. Exit 0 whether the trainee passes or fails; 1 if any "
        "input is unreadable.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="FILE|DIR")
    p.add_argument(
        "--rubric",
        metavar="ID",
        help="rubric id (default: the transcript's own "
        f"rubric if it names one, else {DEFAULT_RUBRIC}); see `frontline rubrics`",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the scorecard as JSON (one "
        "object; several transcripts give one object per line)",
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="grade as conversations cut off "
        "before the end: stages not reached and end-of-call checks are N/A",
    )
    p.add_argument(
        "--judge",
        action="store_true",
        help="also ask the LLM judge the rubric's "
        "judge: questions (needs FRONTLINE_LLM_MODEL; see docs/llm.md)",
    )
    p.add_argument(
        "--samples",
        type=_samples,
        metavar="N",
        help="with --judge: ask each "
        "question N times and keep the majority (default: FRONTLINE_LLM_"
        "JUDGE_SAMPLES, else 1)",
    )
    p.set_defaults(func=run_grade)

    r = sub.add_parser(
        "rubrics",
        help="list the rubrics available for grading",
        description="List the rubric files in the rubrics folder (FRONTLINE_RUBRICS).",
    )
    r.set_defaults(func=run_rubrics)


def _samples(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 9:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 9, not {text!r}")
    return n


def judge_backend(samples: int | None):
    """(backend, samples) for ``--judge``: the configured model (its ``judge_model`` when
    set). No model configured is a user error, raised before anything is graded."""
    from ..llm.config import load_backend_config
    from ..wiring import backend_from_config

    config = load_backend_config()
    if config is None:
        raise FrontlineError(
            "--judge needs a language model, and none is configured: set "
            "FRONTLINE_LLM_MODEL (and FRONTLINE_LLM_BASE_URL for a local "
            "server), see docs/llm.md"
        )
    if config.judge_model:
        config = config.model_copy(update={"model": config.judge_model})
    return backend_from_config(config), samples or config.judge_samples


class _Personas:
    """The transcripts' customers, from the persona folder, loaded once if a transcript
    has a complaint record to check against its case (DOMAIN §3.10)."""

    def __init__(self):
        self._library: PersonaLibrary | None = None

    def of(self, transcript) -> Persona | None:
        if transcript.record is None or transcript.persona is None:
            return None
        if self._library is None:
            self._library = PersonaLibrary()
        return self._library.personas.get(transcript.persona.id)


class _Detectors:
    """The configured move detector per language (the model too when detect_moves is on),
    built when a transcript first needs one; None with no model detection (the rules)."""

    def __init__(self) -> None:
        from ..llm.config import load_backend_config

        config = load_backend_config()
        self.on = config is not None and config.detect_moves
        self._built: dict[str, Detector] = {}

    def get(self, language: str) -> Detector | None:
        if not self.on:
            return None
        if language not in self._built:
            from ..wiring import detector_from_config

            self._built[language] = detector_from_config(language)
        return self._built[language]


def common_language(languages: list[str | None]) -> str:
    """The one language all these are in, else English (a summary of mixed languages)."""
    found = {lang or "en" for lang in languages}
    return found.pop() if len(found) == 1 else "en"


def run_grade(args: argparse.Namespace) -> int:
    library = RubricLibrary()
    if args.rubric:
        library.get(args.rubric)  # an unknown id stops here: NotFound lists the known ones
    if args.samples and not args.judge:
        raise FrontlineError("--samples goes with --judge")
    backend, samples = judge_backend(args.samples) if args.judge else (None, 1)
    loaded, problems = parse_transcripts(*args.paths)
    personas = _Personas()
    failures = [str(p) for p in problems]
    cards = []
    unjudged: set[str] = set()
    detectors = _Detectors()
    for item in loaded:
        try:
            rubric = library.get(args.rubric or item.transcript.rubric or DEFAULT_RUBRIC)
        except FrontlineError as exc:
            failures.append(f"{item.source}: {exc}")
            continue
        partial = True if args.partial else None
        persona = personas.of(item.transcript)
        detector = detectors.get(item.transcript.language or rubric.language)
        if backend is None:
            card = grade(
                item.transcript, rubric, partial=partial, detector=detector, persona=persona
            )
        else:
            if not judge_questions(rubric) and rubric.id not in unjudged:
                unjudged.add(rubric.id)
                print(
                    f"note: rubric {rubric.id} has no judge: questions; its transcripts are "
                    "graded by the rules only",
                    file=sys.stderr,
                )
            card = grade_with_judge(
                item.transcript,
                rubric,
                backend,
                samples=samples,
                partial=partial,
                detector=detector,
                persona=persona,
            )
        cards.append((item.source, card))
    # One file holding one transcript prints one object; anything more prints JSON lines.
    single = len(args.paths) == 1 and len(loaded) == 1 and loaded[0].source == str(args.paths[0])
    if args.json and single and cards:
        print(cards[0][1].model_dump_json(indent=2))
    elif args.json:
        for source, card in cards:
            print(
                json.dumps({"source": source, **card.model_dump(mode="json")}, ensure_ascii=False)
            )
    else:
        print("\n".join(render_text(card, source) for source, card in cards), end="")
        if len(cards) > 1:
            passed = sum(card.passed for _, card in cards)
            review = sum(card.needs_review for _, card in cards)
            t = Texts(common_language([card.language for _, card in cards]))
            print(
                "\n"
                + t("cli.graded_many", n=len(cards), passed=passed, failed=len(cards) - passed)
                + (t("cli.need_review", n=review) if review else "")
            )
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def run_rubrics(args: argparse.Namespace) -> int:
    library = RubricLibrary()
    for rubric_id in library.ids():
        r = library.rubrics[rubric_id]
        default = " (default)" if rubric_id == DEFAULT_RUBRIC else ""
        print(f"{rubric_id}{default}: {r.title} [{', '.join(r.domain)}]")
        print(f"    {r.summary}")
        print(
            f"    {len(r.stages)} stages, {len(r.criteria())} criteria, "
            f"{len(r.phrasing)} phrasing rules; pass mark {r.pass_mark:g}; "
            f"levels {' / '.join(lv.label for lv in r.levels)}"
        )
    for problem in library.problems:
        print(str(problem), file=sys.stderr)
    if not library.rubrics:
        print(f"no rubrics in {library.folder}", file=sys.stderr)
        return 1
    return 1 if library.problems else 0
