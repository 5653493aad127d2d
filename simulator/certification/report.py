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
from itertools import chain
from pathlib import Path
from typing import TextIO

from . import cohort
from .certificate import certificate_html, certificate_id
from .exam import Exam
from .report_html import (
    DETAIL_LIMIT,
    candidate_html,
    candidate_summary_html,
    write_report_html,
)
from .results_store import ResultsStore
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
        verdicts = {v.get("criterion"): v.get("verdict")
                    for v in ((best.get("judge") or {}).get("verdicts") or [])}
        for crit in best["criteria"]:
            info = index.get(crit["id"], {})
            yield [c["candidate"], p["persona"], best["source"], info.get("stage", ""),
                   crit["id"], crit.get("verdict", ""), info.get("weight", ""),
                   _evidence_text(crit), crit.get("note", ""), verdicts.get(crit["id"], "")]


def _candidate_row(c: dict, stage_ids: list[str], stamp: dict, digest: str) -> list:
    stages = {st["id"]: st["score"] for st in c["stages"]}
    return [c["candidate"], c["result"], c["level"], c["score"],
            *["" if stages.get(s) is None else stages[s] for s in stage_ids],
            sum(p["result"] == cohort.PASS for p in c["personas"]), len(c["personas"]),
            c.get("certificate") or "", c.get("certificate_id") or "",
            digest, stamp["exam"]["hash"], stamp["rubric"]["hash"],
            (stamp.get("judge") or {}).get("model", "")]


def _json_entry(key: str, value: object) -> str:
    # One top-level entry exactly as json.dumps(report, indent=2) would write it.
    return f"  {json.dumps(key)}: " + json.dumps(value, indent=2,
                                                  ensure_ascii=False).replace("\n", "\n  ")


def _write_json_list(fh: TextIO, key: str, items: Iterable[dict]) -> None:
    fh.write(f"  {json.dumps(key)}: [")
    first = True
    for item in items:
        fh.write(("\n" if first else ",\n") + "    " + json.dumps(
            item, indent=2, ensure_ascii=False).replace("\n", "\n    "))
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


def _copy(src: TextIO, dst: TextIO) -> None:
    src.seek(0)
    shutil.copyfileobj(src, dst, 1 << 20)


def _spool() -> TextIO:
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="")


def write_reports(store: ResultsStore, exam: Exam, stamp: Stamp,
                  level_for: Callable[[float], str], out_dir: Path | None = None
                  ) -> list[Path]:
    """Write every report file (into the store's folder, or ``out_dir``); return the paths.

    One pass over the candidates, in name order, streamed from the store: each one's
    lines go to the CSV files and to spool files at once, certificates are written as
    they come, and the cohort's figures are tallied; then the files whose head needs
    those figures (report.json, report.html, candidates.csv) are put together from the
    spools. Memory does not grow with the cohort."""
    out = Path(out_dir or store.dir)
    stamp_data = stamp.model_dump(mode="json")
    digest = stamp.digest()
    judge_used = stamp.judge is not None
    index = store.criteria_index()
    tally = cohort.CohortTally(index)
    stage_ids: list[str] = []
    cert_new = out / (CERT_DIR + ".new")
    if cert_new.exists():
        shutil.rmtree(cert_new)
    cert_new.mkdir(parents=True)
    written: list[Path] = []
    with _spool() as cand_json, _spool() as cand_csv, _spool() as html_rows, \
            _spool() as html_details, _atomic(out / "criteria.csv") as crit_fh:
        crit_csv = csv.writer(crit_fh, lineterminator="\n")
        crit_csv.writerow(["candidate", "persona", "source", "stage", "criterion", "verdict",
                           "weight", "evidence", "note", "judge_verdict"])
        rows_csv = csv.writer(cand_csv, lineterminator="\n")
        for c in cohort.iter_candidates(store, exam, level_for, judge_used, stamp_data):
            if c["result"] == cohort.PASS:
                c["certificate"] = f"{CERT_DIR}/{candidate_slug(c['candidate'])}.html"
                c["certificate_id"] = certificate_id(c, stamp)
                name = c["certificate"].split("/", 1)[1]
                write_atomic(cert_new / name, certificate_html(c, exam, stamp))
                written.append(out / c["certificate"])
            else:
                c["certificate"] = c["certificate_id"] = None
            tally.add(c)
            for st in c["stages"]:
                if st["id"] not in stage_ids:
                    stage_ids.append(st["id"])
            # Stage columns are known only at the end: keep the row's stage scores aside.
            rows_csv.writerow([json.dumps({st["id"]: st["score"] for st in c["stages"]}),
                               *_candidate_row(c, [], stamp_data, digest)])
            cand_json.write(("" if tally.count == 1 else ",\n") + "    "
                            + json.dumps(c, ensure_ascii=False, separators=(",", ":")))
            crit_csv.writerows(_criteria_rows(c, index))
            html_rows.write(candidate_summary_html(c))
            if tally.count <= DETAIL_LIMIT:
                html_details.write(candidate_html(c, index))
        counts = {"total": store.counts()["total"],
                  "malformed": sum(1 for _ in cohort.iter_skipped(store)),
                  "ineligible": sum(1 for _ in cohort.iter_ineligible(store, exam))}
        head = {"exam": cohort.exam_summary(exam), "stamp": stamp_data,
                "judge_used": judge_used, "cohort": tally.summary(counts), "criteria": index}
        with _atomic(out / "report.json") as fh:
            fh.write("{\n" + ",\n".join(_json_entry(k, v) for k, v in head.items()) + ",\n")
            _write_json_list(fh, "skipped", cohort.iter_skipped(store))
            fh.write(",\n")
            _write_json_list(fh, "ineligible", cohort.iter_ineligible(store, exam))
            fh.write(',\n  "candidates": [')
            if tally.count:
                fh.write("\n")
                _copy(cand_json, fh)
                fh.write("\n  ]")
            else:
                fh.write("]")
            fh.write("\n}\n")
        with _atomic(out / "candidates.csv") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["candidate", "result", "level", "score",
                        *[f"stage:{s}" for s in stage_ids], "personas_passed", "personas",
                        "certificate", "certificate_id", "stamp", "exam_hash", "rubric_hash",
                        "judge_model"])
            cand_csv.seek(0)
            for row in csv.reader(cand_csv):
                stages = json.loads(row[0])
                w.writerow([*row[1:5], *["" if stages.get(s) is None else stages[s]
                                         for s in stage_ids], *row[5:]])
        with _atomic(out / "report.html") as fh:
            write_report_html(fh, head, html_rows, html_details if tally.count <= DETAIL_LIMIT
                              else None, chain(cohort.iter_skipped(store),
                                               cohort.iter_ineligible(store, exam)))
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
    return [out / name for name in REPORT_FILES] + written


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
