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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FrontlineError, NotFound
from .exam import Exam, ExamLibrary
from .results_store import DB_NAME, GRADED, ResultsStore
from .rule_grading import TranscriptGrader
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


def verify(out_dir: Path, *, exams: ExamLibrary | None = None, workers: int | None = None,
           judge_prompt_hash: str | None = None) -> Verification:
    """Run the three checks on a run folder."""
    from .plan import exam_inputs, make_stamp
    from .report import build_report, render_files

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

            judge = judge.model_copy(update={"prompt_hash": judge_prompt_hash
                                             or current_prompt_hash()})
        current = make_stamp(exam, rubric, personas, judge)
        result.problems += [f"stamp: {d}" for d in current.differences(recorded)]

        grader = TranscriptGrader(rubric)
        rows = [r for r in store.rows() if r.status == GRADED]
        items = list(store.texts(r.key for r in rows))
        stored = {r.key: r.record or {} for r in rows}
        size = max(1, len(items) // ((workers or os.cpu_count() or 1) * 4) or 1)
        batches = [(grader, items[i:i + size]) for i in range(0, len(items), size)]
        if len(items) > 200 and (workers or os.cpu_count() or 1) > 1:
            with ProcessPoolExecutor(workers) as pool:
                regraded = [x for batch in pool.map(_regrade, batches) for x in batch]
        else:
            regraded = [x for b in batches for x in _regrade(b)]
        for key, name, status, fresh in regraded:
            result.checked += 1
            if status != GRADED:
                result.problems.append(f"{name}: no longer reads as a transcript: "
                                       f"{fresh.get('error')}")
                continue
            diffs = _compare(stored[key], fresh)
            if diffs:
                result.problems.append(f"{name}: re-grading differs: " + "; ".join(diffs))

        expected = render_files(build_report(store, Exam.model_validate(exam_data), recorded,
                                             lambda s: rubric.level_for(s).label),
                                Exam.model_validate(exam_data), recorded)
    for rel, text in expected.items():
        path = out_dir / rel
        if not path.is_file():
            result.problems.append(f"{rel}: missing")
        elif path.read_text(encoding="utf-8") != text:
            result.problems.append(f"{rel}: differs from what the stored results give "
                                   "(edited after the run?)")
    return result

