"""Writing a run's reports into its folder: JSON, CSV, HTML and certificates.

Files (all derived from the results store, so they can always be rebuilt):

- ``report.json``: the whole report (exam, stamp, cohort, every candidate with the
  evidence for each criterion, skipped and ineligible transcripts);
- ``candidates.csv``: one row per candidate (result, level, score, stage scores, stamps);
- ``criteria.csv``: one row per criterion of each candidate's deciding attempts, with the
  evidence quoted;
- ``report.html``: a self-contained page with the score distribution as inline SVG;
- ``certificates/<candidate>.html``: one per candidate who passed.

Every file is written to a temporary name and renamed, so a run killed while writing
never leaves half a report.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TextIO

from ..grading.rubric import Rubric
from ..languages.catalogue import Texts
from ..worker_start import worker_context
from . import cohort
from .certificate import certificate_html, certificate_id
from .exam import Exam
from .report_html import (
    DETAIL_LIMIT,
    candidate_html,
    candidate_summary_html,
    write_report_html,
)
from .results_store import GRADED, ResultsStore
from .stamps import Stamp

REPORT_FILES = ("report.json", "candidates.csv", "criteria.csv", "report.html")
CERT_DIR = "certificates"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def candidate_slug(name: str) -> str:
    """A file name for a candidate: readable, and unique even for look-alike names."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:40] or "candidate"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _evidence_text(crit: dict) -> str:
    parts = []
    for ev in crit.get("evidence", []):
        if isinstance(ev, dict):
            where = f"agent turn {ev['agent_turn']}: " if ev.get("agent_turn") else ""
            parts.append(where + str(ev.get("quote") or ""))
        else:
            parts.append(str(ev))
    return " | ".join(p for p in parts if p)


def _criteria_rows(c: dict, index: dict[str, dict]) -> Iterator[list]:
    for p in c["personas"]:
        best = p["best"]
        if best is None:
            continue
        verdicts = {
            v.get("criterion"): v.get("verdict")
            for v in ((best.get("judge") or {}).get("verdicts") or [])
        }
        for crit in best["criteria"]:
            info = index.get(crit["id"], {})
            yield [
                c["candidate"],
                p["persona"],
                best["source"],
                info.get("stage", ""),
                crit["id"],
                crit.get("verdict", ""),
                info.get("weight", ""),
                _evidence_text(crit),
                crit.get("note", ""),
                verdicts.get(crit["id"], ""),
            ]


def _candidate_row(c: dict, stage_ids: list[str], stamp: dict, digest: str) -> list:
    stages = {st["id"]: st["score"] for st in c["stages"]}
    return [
        c["candidate"],
        c["result"],
        c["level"],
        c["score"],
        *["" if stages.get(s) is None else stages[s] for s in stage_ids],
        sum(p["result"] == cohort.PASS for p in c["personas"]),
        len(c["personas"]),
        c.get("certificate") or "",
        c.get("certificate_id") or "",
        digest,
        stamp["exam"]["hash"],
        stamp["rubric"]["hash"],
        (stamp.get("judge") or {}).get("model", ""),
    ]


def _json_entry(key: str, value: object) -> str:
    # One top-level entry exactly as json.dumps(report, indent=2) would write it.
    return f"  {json.dumps(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace(
        "\n", "\n  "
    )


def _write_json_list(fh: TextIO, key: str, items: Iterable[dict]) -> None:
    fh.write(f"  {json.dumps(key)}: [")
    first = True
    for item in items:
        fh.write(
            ("\n" if first else ",\n")
            + "    "
            + json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        )
        first = False
    fh.write("]" if first else "\n  ]")


@contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    """A file written under a temporary name and renamed into place when complete."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def localised_index(index: dict[str, dict], rubric: Rubric | None, language: str) -> dict:
    """The criteria index with each criterion's title and tip, and its stage's title
    (``stage_title``), in ``language`` where the rubric has them (a run's transcripts may
    each have been graded in their own)."""
    if rubric is None:
        return index
    localised = rubric.in_language(language)
    texts = {c.id: c for _, c in localised.criteria()}
    stages = {s.id: s.title for s in localised.stages}
    out = {}
    for cid, entry in index.items():
        entry = dict(entry)
        if entry.get("stage") in stages:  # the id stays for the CSV; people read the title
            entry["stage_title"] = stages[entry["stage"]]
        if cid in texts:
            entry["title"] = texts[cid].title
            if "tip" in entry:
                entry["tip"] = texts[cid].tip
        out[cid] = entry
    return out


@dataclass(frozen=True)
class RubricLevels:
    """The rubric's level name for a score; picklable, so report workers can use it."""

    rubric: Rubric

    def __call__(self, score: float) -> str:
        return self.rubric.level_for(score).label


_PART_FILES = ("candidates.jsonl", "candidates.csv", "criteria.csv", "rows.html", "details.html")


@dataclass
class _PartJob:
    """One slice of the candidates (names from ``lo``, inclusive, to ``hi``, exclusive;
    None is open-ended), written by one process into its own files in ``folder``."""

    store_dir: Path
    exam: Exam
    stamp: Stamp
    level_for: Callable[[float], str]
    index: dict[str, dict]
    lo: str | None
    hi: str | None
    folder: Path
    cert_dir: Path
    language: str = "en"


@dataclass
class _PartResult:
    folder: Path
    tally: cohort.CohortTally
    stage_ids: list[str]
    detail_ends: list[int]  # end offset in details.html of each of the first candidates


def _write_part(job: _PartJob, store: ResultsStore | None = None) -> _PartResult:
    """Write one slice of the candidates: their JSON lines, CSV rows, HTML rows and (for
    the first :data:`DETAIL_LIMIT`) details, and the certificates of those who passed."""
    own = store is None
    store = store or ResultsStore(job.store_dir, readonly=True)
    stamp, exam = job.stamp, job.exam
    stamp_data = stamp.model_dump(mode="json")
    digest = stamp.digest()
    tally = cohort.CohortTally(job.index)
    stage_ids: list[str] = []
    detail_ends: list[int] = []
    files = [
        open(job.folder / name, "w", encoding="utf-8", newline="")  # noqa: SIM115
        for name in _PART_FILES
    ]
    cand_json, cand_csv, crit_fh, html_rows, html_details = files
    try:
        crit_csv = csv.writer(crit_fh, lineterminator="\n")
        rows_csv = csv.writer(cand_csv, lineterminator="\n")
        for c in cohort.iter_candidates(
            store, exam, job.level_for, stamp.judge is not None, stamp_data, job.lo, job.hi
        ):
            if c["result"] == cohort.PASS:
                name = f"{candidate_slug(c['candidate'])}.html"
                c["certificate"] = f"{CERT_DIR}/{name}"
                c["certificate_id"] = certificate_id(c, stamp)
                write_atomic(job.cert_dir / name, certificate_html(c, exam, stamp, job.language))
            else:
                c["certificate"] = c["certificate_id"] = None
            tally.add(c)
            for st in c["stages"]:
                if st["id"] not in stage_ids:
                    stage_ids.append(st["id"])
            # Stage columns are known only at the end: keep the row's stage scores aside.
            rows_csv.writerow(
                [
                    json.dumps({st["id"]: st["score"] for st in c["stages"]}),
                    *_candidate_row(c, [], stamp_data, digest),
                ]
            )
            cand_json.write(
                ("" if tally.count == 1 else ",\n")
                + "    "
                + json.dumps(c, ensure_ascii=False, separators=(",", ":"))
            )
            crit_csv.writerows(_criteria_rows(c, job.index))
            html_rows.write(candidate_summary_html(c, job.language))
            if tally.count <= DETAIL_LIMIT:
                html_details.write(candidate_html(c, job.index, job.language))
                detail_ends.append(html_details.tell())
    finally:
        for fh in files:
            fh.close()
        if own:
            store.close()
    return _PartResult(job.folder, tally, stage_ids, detail_ends)


def _boundaries(store: ResultsStore, parts: int) -> list[str]:
    """Candidate names that cut the graded transcripts into about ``parts`` equal slices
    (read along the index, so nothing is sorted in memory)."""
    (n,) = store.query("SELECT COUNT(*) FROM results WHERE status = ?", (GRADED,)).fetchone()
    cuts: list[str] = []
    for i in range(1, parts):
        row = store.query(
            "SELECT candidate FROM results WHERE status = ? ORDER BY candidate LIMIT 1 OFFSET ?",
            (GRADED, n * i // parts),
        ).fetchone()
        if row and row[0] is not None and (not cuts or row[0] > cuts[-1]):
            cuts.append(row[0])
    return cuts


def _write_parts(store: ResultsStore, jobs: list[_PartJob], workers: int) -> list[_PartResult]:
    if workers <= 1 or len(jobs) == 1:
        return [_write_part(job, store) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    context = worker_context()  # as for grading: never forked (simulator/worker_start.py)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_write_part, jobs))


def _copy_file(path: Path, dst: TextIO, limit: int | None = None) -> None:
    """Append a part's file (its first ``limit`` bytes) to ``dst`` as bytes: hundreds of
    megabytes at 100,000 transcripts, so no decoding and encoding on the way."""
    dst.flush()
    with open(path, "rb") as src:
        if limit is None:
            shutil.copyfileobj(src, dst.buffer, 1 << 20)
        else:
            dst.buffer.write(src.read(limit))


def write_reports(
    store: ResultsStore,
    exam: Exam,
    stamp: Stamp,
    level_for: Callable[[float], str],
    out_dir: Path | None = None,
    workers: int = 1,
    language: str = "en",
    rubric: Rubric | None = None,
) -> list[Path]:
    """Write every report file (into the store's folder, or ``out_dir``); return the
    paths of the report files and of the certificates folder. The pages people read (the
    HTML report and the certificates) are in ``language``, and so are the criteria's
    titles and tips when ``rubric`` (the run's) has them in it.

    The candidates are streamed from the store in name order, in slices (one per worker
    process, or one): each slice's JSON lines, CSV rows and HTML go to files of its own,
    its certificates are written as they come, and its cohort figures are tallied. Then
    the report files are put together: the heads, which need the whole cohort's figures,
    followed by the slices' files in order. Memory does not grow with the cohort, and the
    files are the same whatever the number of workers."""
    out = Path(out_dir or store.dir)
    for stale in out.glob(".report-*"):  # left by a run killed while writing reports
        shutil.rmtree(stale, ignore_errors=True)
    index = localised_index(store.criteria_index(), rubric, language)
    cert_new = out / (CERT_DIR + ".new")
    if cert_new.exists():
        shutil.rmtree(cert_new)
    cert_new.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix=".report-", dir=out) as tmp:
        cuts = _boundaries(store, workers * 2) if workers > 1 else []
        bounds = list(zip([None, *cuts], [*cuts, None], strict=True))
        jobs = []
        for i, (lo, hi) in enumerate(bounds):
            folder = Path(tmp) / f"part-{i:03d}"
            folder.mkdir()
            jobs.append(
                _PartJob(
                    store.dir, exam, stamp, level_for, index, lo, hi, folder, cert_new, language
                )
            )
        parts = _write_parts(store, jobs, workers)
        _assemble(store, exam, stamp, index, parts, out, language)
    # The certificates of this report replace the last one's, whose candidates may no
    # longer pass; a run killed in between rewrites them when it is resumed.
    cert_dir = out / CERT_DIR
    if cert_dir.exists():
        old = out / (CERT_DIR + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(cert_dir, old)
        os.replace(cert_new, cert_dir)
        shutil.rmtree(old)
    else:
        os.replace(cert_new, cert_dir)
    return [out / name for name in REPORT_FILES] + [cert_dir]


def _assemble(
    store: ResultsStore,
    exam: Exam,
    stamp: Stamp,
    index: dict[str, dict],
    parts: list[_PartResult],
    out: Path,
    language: str = "en",
) -> None:
    tally = cohort.CohortTally(index)
    stage_ids: list[str] = []
    for part in parts:
        tally.merge(part.tally)
        stage_ids += [s for s in part.stage_ids if s not in stage_ids]
    stamp_data = stamp.model_dump(mode="json")
    counts = {
        "total": store.counts()["total"],
        "malformed": sum(1 for _ in cohort.iter_skipped(store)),
        "eligible": tally.eligible,
        "ineligible": sum(1 for _ in cohort.iter_ineligible(store, exam)),
    }
    head = {
        "exam": cohort.exam_summary(exam),
        "stamp": stamp_data,
        "judge_used": stamp.judge is not None,
        "cohort": tally.summary(counts, cohort.count_judge_flips(store)),
        "criteria": index,
    }
    filled = [p for p in parts if p.tally.count]
    with _atomic(out / "report.json") as fh:
        fh.write("{\n" + ",\n".join(_json_entry(k, v) for k, v in head.items()) + ",\n")
        _write_json_list(fh, "skipped", cohort.iter_skipped(store))
        fh.write(",\n")
        _write_json_list(fh, "ineligible", cohort.iter_ineligible(store, exam, Texts(language)))
        fh.write(',\n  "candidates": [')
        for i, part in enumerate(filled):
            fh.write("\n" if i == 0 else ",\n")
            _copy_file(part.folder / "candidates.jsonl", fh)
        fh.write("\n  ]\n}\n" if filled else "]\n}\n")
    with _atomic(out / "candidates.csv") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "candidate",
                "result",
                "level",
                "score",
                *[f"stage:{s}" for s in stage_ids],
                "personas_passed",
                "personas",
                "certificate",
                "certificate_id",
                "stamp",
                "exam_hash",
                "rubric_hash",
                "judge_model",
            ]
        )
        for part in parts:
            with open(part.folder / "candidates.csv", encoding="utf-8", newline="") as src:
                for row in csv.reader(src):
                    stages = json.loads(row[0])
                    w.writerow(
                        [
                            *row[1:5],
                            *["" if stages.get(s) is None else stages[s] for s in stage_ids],
                            *row[5:],
                        ]
                    )
    with _atomic(out / "criteria.csv") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            [
                "candidate",
                "persona",
                "source",
                "stage",
                "criterion",
                "verdict",
                "weight",
                "evidence",
                "note",
                "judge_verdict",
            ]
        )
        for part in parts:
            _copy_file(part.folder / "criteria.csv", fh)

    def rows(dst: TextIO) -> None:
        for part in parts:
            _copy_file(part.folder / "rows.html", dst)

    def details(dst: TextIO) -> None:
        left = DETAIL_LIMIT
        for part in parts:
            if left <= 0:
                break
            ends = part.detail_ends[:left]
            if ends:
                _copy_file(part.folder / "details.html", dst, ends[-1])
            left -= len(ends)

    with _atomic(out / "report.html") as fh:
        write_report_html(
            fh,
            head,
            rows,
            details if tally.count <= DETAIL_LIMIT else None,
            chain(cohort.iter_skipped(store), cohort.iter_ineligible(store, exam, Texts(language))),
            language,
            exam.texts(language).title,
        )


def read_cohort(out_dir: Path) -> dict | None:
    """The ``cohort`` section of a run's report.json, read without loading the whole
    file (its candidates come last, one per line)."""
    path = Path(out_dir) / "report.json"
    if not path.is_file():
        return None
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith('  "criteria": ') or line.startswith('  "candidates": '):
                break
            lines.append(line)
    head = "".join(lines).rstrip().rstrip(",") + "\n}"
    return json.loads(head).get("cohort")


def report_paths(out_dir: Path) -> dict[str, Path]:
    """The report files of a run folder that exist, by name (for the web UI's downloads)."""
    out_dir = Path(out_dir)
    found = {name: out_dir / name for name in REPORT_FILES if (out_dir / name).is_file()}
    for cert in sorted((out_dir / CERT_DIR).glob("*.html")):
        found[f"{CERT_DIR}/{cert.name}"] = cert
    return found
