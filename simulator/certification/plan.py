"""Putting a run together: the exam's rubric and personas, the grader, the judge, stamps.

:func:`plan_run` is what the CLI and the web UI call; it checks everything a run needs
before any transcript is touched (the exam's rubric and personas exist, a judge model is
configured when the judge takes part) and fails with one clear message otherwise.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import FrontlineError, NotFound
from ..grading.grader import GRADER_VERSION
from ..grading.rubric import Rubric
from ..grading.rubric_loader import RubricLibrary
from ..moves.combine import reader_fingerprint
from ..moves.detector import pattern_files
from ..persona.loader import PersonaLibrary
from ..persona.model import Persona
from .exam import Exam
from .judging import JudgeSetup, make_judge_setup
from .report import RubricLevels, write_reports
from .results_store import ResultsStore
from .rule_grading import TranscriptGrader
from .runner import RunPlan
from .stamps import JudgeStamp, Ref, Stamp


def grader_version(rubric: Rubric) -> str:
    """The rule grader's version plus a hash of the move patterns and encoder heads it reads."""
    digest = hashlib.sha256()
    for path in pattern_files(rubric.language):
        if path.exists():
            where = f"{path.parent.name}/{path.name}"  # a pack's files are all moves.yaml
            digest.update(where.encode() + b"\0" + path.read_bytes())
    reader = reader_fingerprint(rubric.language)
    return f"{GRADER_VERSION}+patterns:{digest.hexdigest()[:16]}+{reader}"


def exam_inputs(
    exam: Exam, rubrics: RubricLibrary | None = None, personas: PersonaLibrary | None = None
) -> tuple[Rubric, list[Persona]]:
    """The exam's rubric and personas, or one message naming everything that is missing."""
    rubrics = rubrics or RubricLibrary()
    personas = personas or PersonaLibrary()
    missing = []
    try:
        rubric = rubrics.get(exam.rubric)
    except NotFound as exc:
        missing.append(str(exc))
        rubric = None
    found = []
    for pid in exam.personas:
        try:
            found.append(personas.get(pid))
        except NotFound as exc:
            missing.append(str(exc))
    if missing:
        raise FrontlineError(f"exam {exam.id} cannot run:\n  " + "\n  ".join(missing))
    assert rubric is not None
    return rubric, found


REPORT_LANGUAGE = "report_language"  # the results store's meta key: what verify rewrites in


def report_language(store: ResultsStore, asked: str | None = None) -> str:
    """The language of a run's reports: the one asked for (``certify --language``), else
    the transcripts' common language, else English; recorded in the store so that
    ``certify --verify`` writes the same reports."""
    chosen = asked or store.common_language()
    if not store.readonly:
        store.set_meta(REPORT_LANGUAGE, chosen)
    return chosen


def make_stamp(
    exam: Exam, rubric: Rubric, personas: list[Persona], judge: JudgeStamp | None
) -> Stamp:
    """The stamp every result of a run carries."""
    return Stamp(
        exam=Ref(id=exam.id, hash=exam.content_hash()),
        rubric=Ref(id=rubric.id, hash=rubric.content_hash()),
        personas=[Ref(id=p.id, hash=p.content_hash()) for p in personas],
        grader=grader_version(rubric),
        judge=judge,
    )


def plan_run(
    exam: Exam,
    out_dir: Path,
    *,
    use_judge: bool = False,
    judge_setup: JudgeSetup | None = None,
    batch: dict | None = None,
    farm: list[str] | None = None,
    workers: int | None = None,
    judge_concurrency: int | None = None,
    rubrics: RubricLibrary | None = None,
    personas: PersonaLibrary | None = None,
    language: str | None = None,
) -> RunPlan:
    """A ready-to-run plan. ``use_judge`` is the user's ``--judge``; the exam may refuse or
    require it. ``judge_setup`` replaces the configured model (tests, the Batch API path).
    ``language`` is the reports' and certificates' (default: the transcripts' common
    language, else English)."""
    if use_judge and exam.judge.participation == "none":
        raise FrontlineError(
            f"exam {exam.id} is graded by the rules only "
            "(judge.participation: none); run it without --judge"
        )
    rubric, persona_list = exam_inputs(exam, rubrics, personas)
    judged = exam.uses_judge(use_judge or batch is not None)
    batch_judge = None
    if judged and batch is not None:
        from .batch_api import batch_judge as make_batch_judge

        batch_judge = make_batch_judge(exam, rubric, Path(out_dir), **batch)
    elif judged and judge_setup is None:
        judge_setup = make_judge_setup(exam, rubric, farm=farm)
    setup = judge_setup if judged and batch_judge is None else None
    judge_stamp = batch_judge.stamp() if batch_judge else setup.stamp if setup else None
    stamp = make_stamp(exam, rubric, persona_list, judge_stamp)

    workers = workers or os.cpu_count() or 1

    def reports(store: ResultsStore, exam: Exam, stamp: Stamp) -> list[Path]:
        chosen = report_language(store, language)
        return write_reports(
            store,
            exam,
            stamp,
            RubricLevels(rubric.in_language(chosen)),
            workers=workers,
            language=chosen,
            rubric=rubric,
        )

    return RunPlan(
        exam=exam,
        out_dir=Path(out_dir),
        grader=TranscriptGrader(rubric),
        stamp=stamp,
        judge=setup.judge if setup else None,
        judge_phase=batch_judge,
        judge_concurrency=judge_concurrency or exam.judge.concurrency,
        workers=workers,
        write_reports=reports,
    )
