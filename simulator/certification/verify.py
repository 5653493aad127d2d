"""``frontline certify --verify DIR``: prove a run's results still follow from its inputs.

Three checks, each reported in plain words:

1. **Stamps**: the exam, rubric and personas are loaded as they are now and hashed; any
   difference from the stamp recorded at run time is named (e.g. a rubric edited after the
   run). When the judge took part, its prompt hash is compared too.
2. **Re-grading**: every stored transcript is rule-graded again with today's rubric; each
   score or criterion verdict that differs from the stored one is reported.
3. **Reports**: the report files are rebuilt from the stored results and compared with
   the files in DIR, so an edited CSV or certificate is caught.

The judge's verdicts are not re-run (a model is neither free nor deterministic); its
model and prompt hash are what the stamp vouches for.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FrontlineError, NotFound
from ..worker_start import worker_context
from .exam import Exam, ExamLibrary
from .results_store import DB_NAME, GRADED, ResultsStore
from .rule_grading import TranscriptGrader
from .runner import in_flight
from .stamps import Stamp


@dataclass
class Verification:
    """The outcome: ``ok`` only when every check passed."""

    out_dir: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _compare(stored: dict, fresh: dict) -> list[str]:
    diffs = []
    if stored.get("score") != fresh.get("score"):
        diffs.append(f"score {stored.get('score')} -> {fresh.get('score')}")
    old = {c["id"]: c["verdict"] for c in stored.get("criteria", [])}
    new = {c["id"]: c["verdict"] for c in fresh.get("criteria", [])}
    for cid in sorted(set(old) | set(new)):
        if old.get(cid) != new.get(cid):
            diffs.append(f"{cid} {old.get(cid, 'absent')} -> {new.get(cid, 'absent')}")
    return diffs


def _regrade(args: tuple[TranscriptGrader, list[tuple[str, str, str]]]) -> list[tuple]:
    grader, items = args
    return [(key, name, *grader(name, text)) for key, name, text in items]


def _regrade_all(
    store: ResultsStore, grader: TranscriptGrader, workers: int, chunk: int = 256
) -> Iterator[tuple[list[tuple], dict[str, dict]]]:
    """Re-grade every graded transcript, a chunk at a time; yield each chunk's fresh
    results with the stored records they are to match. Memory stays bounded: at most a
    few chunks are read ahead of the workers."""

    def chunks() -> Iterator[tuple[list[tuple], dict[str, dict]]]:
        items, stored = [], {}
        for row, text in store.iter_graded_with_text():
            items.append((row.key, row.source, text))
            stored[row.key] = row.record or {}
            if len(items) >= chunk:
                yield items, stored
                items, stored = [], {}
        if items:
            yield items, stored

    if workers <= 1 or store.counts()["graded"] <= 200:
        for items, stored in chunks():
            yield _regrade((grader, items)), stored
        return
    waiting: dict = {}
    cancel = threading.Event()
    with ProcessPoolExecutor(workers, mp_context=worker_context()) as pool:

        def submit(part: tuple[list[tuple], dict[str, dict]]):
            fut = pool.submit(_regrade, (grader, part[0]))
            waiting[fut] = part[1]
            return fut

        for fut in in_flight(chunks(), submit, workers * 2, cancel):
            yield fut.result(), waiting.pop(fut)


def _same_file(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def verify(
    out_dir: Path,
    *,
    exams: ExamLibrary | None = None,
    workers: int | None = None,
    judge_prompt_hash: str | None = None,
) -> Verification:
    """Run the three checks on a run folder."""
    from .plan import REPORT_LANGUAGE, exam_inputs, make_stamp
    from .report import RubricLevels, write_reports

    out_dir = Path(out_dir)
    if not (out_dir / DB_NAME).is_file():
        raise NotFound(f"{out_dir} holds no certification run ({DB_NAME} is missing)")
    result = Verification(out_dir)
    with ResultsStore(out_dir) as store:
        recorded_data = store.get_meta("stamp")
        exam_data = store.get_meta("exam")
        if recorded_data is None or exam_data is None:
            raise FrontlineError(f"{out_dir}: the run has no stamp; it never started grading")
        recorded = Stamp.model_validate(recorded_data)
        exams = exams or ExamLibrary()
        try:
            exam = exams.get(recorded.exam.id)
        except NotFound as exc:
            result.problems.append(f"exam: {exc}")
            exam = Exam.model_validate(exam_data)
        rubric, personas = exam_inputs(exam)
        judge = recorded.judge
        if judge is not None:
            from .judging import current_prompt_hash

            judge = judge.model_copy(
                update={"prompt_hash": judge_prompt_hash or current_prompt_hash(rubric.language)}
            )
        current = make_stamp(exam, rubric, personas, judge)
        result.problems += [f"stamp: {d}" for d in current.differences(recorded)]

        grader = TranscriptGrader(rubric)
        n_workers = workers or os.cpu_count() or 1
        for regraded, stored in _regrade_all(store, grader, n_workers):
            for key, name, status, fresh in regraded:
                result.checked += 1
                if status != GRADED:
                    result.problems.append(
                        f"{name}: no longer reads as a transcript: {fresh.get('error')}"
                    )
                    continue
                diffs = _compare(stored[key], fresh)
                if diffs:
                    result.problems.append(f"{name}: re-grading differs: " + "; ".join(diffs))

        # The reports the stored results give, written aside and compared file by file.
        with tempfile.TemporaryDirectory(prefix=".verify-", dir=out_dir) as tmp:
            language = str(store.get_meta(REPORT_LANGUAGE) or "en")
            write_reports(
                store,
                Exam.model_validate(exam_data),
                recorded,
                RubricLevels(rubric.in_language(language)),
                Path(tmp),
                workers=n_workers,
                language=language,
                rubric=rubric,
            )
            for path in sorted(p for p in Path(tmp).rglob("*") if p.is_file()):
                rel = path.relative_to(tmp).as_posix()
                mine = out_dir / rel
                if not mine.is_file():
                    result.problems.append(f"{rel}: missing")
                elif not _same_file(path, mine):
                    result.problems.append(
                        f"{rel}: differs from what the stored results give (edited after the run?)"
                    )
    return result
