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
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from . import cohort
from .certificate import certificate_html, certificate_id
from .exam import Exam
from .report_html import report_html
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


def _candidates_csv(report: dict) -> str:
    stage_ids: list[str] = []
    for c in report["candidates"]:
        for st in c["stages"]:
            if st["id"] not in stage_ids:
                stage_ids.append(st["id"])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["candidate", "result", "level", "score", *[f"stage:{s}" for s in stage_ids],
                "personas_passed", "personas", "certificate", "certificate_id",
                "stamp", "exam_hash", "rubric_hash", "judge_model"])
    stamp = report["stamp"]
    digest = Stamp.model_validate(stamp).digest()
    for c in report["candidates"]:
        stages = {st["id"]: st["score"] for st in c["stages"]}
        w.writerow([c["candidate"], c["result"], c["level"], c["score"],
                    *["" if stages.get(s) is None else stages[s] for s in stage_ids],
                    sum(p["result"] == cohort.PASS for p in c["personas"]), len(c["personas"]),
                    c.get("certificate") or "", c.get("certificate_id") or "",
                    digest, stamp["exam"]["hash"], stamp["rubric"]["hash"],
                    (stamp.get("judge") or {}).get("model", "")])
    return out.getvalue()


def _evidence_text(crit: dict) -> str:
    parts = []
    for ev in crit.get("evidence", []):
        if isinstance(ev, dict):
            where = f"agent turn {ev['agent_turn']}: " if ev.get("agent_turn") else ""
            parts.append(where + str(ev.get("quote") or ""))
        else:
            parts.append(str(ev))
    return " | ".join(p for p in parts if p)


def _criteria_csv(report: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["candidate", "persona", "source", "stage", "criterion", "verdict", "weight",
                "evidence", "note", "judge_verdict"])
    index = report["criteria"]
    for c in report["candidates"]:
        for p in c["personas"]:
            best = p["best"]
            if best is None:
                continue
            verdicts = {v.get("criterion"): v.get("verdict")
                        for v in ((best.get("judge") or {}).get("verdicts") or [])}
            for crit in best["criteria"]:
                info = index.get(crit["id"], {})
                w.writerow([c["candidate"], p["persona"], best["source"], info.get("stage", ""),
                            crit["id"], crit.get("verdict", ""), info.get("weight", ""),
                            _evidence_text(crit), crit.get("note", ""),
                            verdicts.get(crit["id"], "")])
    return out.getvalue()


def build_report(store: ResultsStore, exam: Exam, stamp: Stamp,
                 level_for: Callable[[float], str]) -> dict:
    """The report data from what the store holds now, with certificate ids filled in."""
    stamp_data = stamp.model_dump(mode="json")
    report = cohort.build(store.rows(), exam, level_for, stamp.judge is not None, stamp_data)
    for c in report["candidates"]:
        if c["result"] == cohort.PASS:
            c["certificate"] = f"{CERT_DIR}/{candidate_slug(c['candidate'])}.html"
            c["certificate_id"] = certificate_id(c, stamp)
        else:
            c["certificate"] = c["certificate_id"] = None
    return report


def report_json(report: dict) -> str:
    """The report as JSON: indented at the top, one line per candidate (a cohort of
    thousands stays small and diffs line by line)."""
    head = {k: v for k, v in report.items() if k != "candidates"}
    text = json.dumps(head, indent=2, ensure_ascii=False)
    lines = ",\n".join("    " + json.dumps(c, ensure_ascii=False, separators=(",", ":"))
                        for c in report["candidates"])
    body = f'"candidates": [\n{lines}\n  ]' if lines else '"candidates": []'
    return text[:-2] + f",\n  {body}\n}}\n"


def render_files(report: dict, exam: Exam, stamp: Stamp) -> dict[str, str]:
    """Every report file's relative path and text."""
    files = {
        "report.json": report_json(report),
        "candidates.csv": _candidates_csv(report),
        "criteria.csv": _criteria_csv(report),
        "report.html": report_html(report),
    }
    for c in report["candidates"]:
        if c["certificate"]:
            files[c["certificate"]] = certificate_html(c, exam, stamp)
    return files


def write_reports(store: ResultsStore, exam: Exam, stamp: Stamp,
                  level_for: Callable[[float], str]) -> list[Path]:
    """Write every report file into the store's folder; return the paths written."""
    files = render_files(build_report(store, exam, stamp, level_for), exam, stamp)
    cert_dir = store.dir / CERT_DIR
    cert_dir.mkdir(exist_ok=True)
    # A certificate from an earlier report whose candidate no longer passes must go.
    for old in cert_dir.glob("*.html"):
        if f"{CERT_DIR}/{old.name}" not in files:
            old.unlink()
    written = []
    for rel, text in files.items():
        path = store.dir / rel
        write_atomic(path, text)
        written.append(path)
    return written


def report_paths(out_dir: Path) -> dict[str, Path]:
    """The report files of a run folder that exist, by name (for the web UI's downloads)."""
    out_dir = Path(out_dir)
    found = {name: out_dir / name for name in REPORT_FILES if (out_dir / name).is_file()}
    for cert in sorted((out_dir / CERT_DIR).glob("*.html")):
        found[f"{CERT_DIR}/{cert.name}"] = cert
    return found
