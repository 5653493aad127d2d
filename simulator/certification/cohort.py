"""From stored results to candidates and a cohort: who passed, with what, and why.

Rules (documented in docs/certification.md):

- A transcript counts as an attempt at one of the exam's personas when its persona is in
  the exam and its mode is allowed; otherwise it is listed as *ineligible* with the reason.
  Malformed transcripts are listed as *skipped* with the parser's message.
- Per candidate and persona, the oldest ``attempts`` eligible transcripts count (by their
  ``created`` time, then source name); later ones are listed but do not count.
- An attempt passes when its score reaches the pass mark and, when the judge took part,
  the judge agreed with the rules on every applicable criterion it was asked about. A
  judge that failed, abstained, split or disagreed sends the attempt to human review: a
  broken judge never turns into a fail.
- A persona is passed by any passing counted attempt; otherwise it is under review if a
  counted attempt is, and failed if not (or if there is no attempt at all).
- The candidate passes when every persona is passed, fails when any is failed, and is under
  review otherwise. Their score is the mean of each persona's best counted score (0 for a
  persona never attempted); per-stage scores are averaged the same way.

Everything is sorted, so the same results always give the same report, however they
arrived (an interrupted and resumed run included).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean, median

from .exam import Exam
from .results_store import GRADED, JUDGED, MALFORMED, Row

PASS, FAIL, REVIEW = "pass", "fail", "needs_review"


@dataclass
class Attempt:
    row: Row
    counted: bool = True
    note: str = ""

    @property
    def record(self) -> dict:
        return self.row.record or {}

    @property
    def score(self) -> float:
        return float(self.record.get("score", 0.0))

    def review_reasons(self, judge_used: bool) -> list[str]:
        """Why a human must look at this attempt (empty when the verdict stands)."""
        if not judge_used:
            return []
        if self.row.judge_status is None:
            return ["the judge has not run yet"]
        judgement = self.row.judgement or {}
        if self.row.judge_status != JUDGED:
            return [judgement.get("reason", "the judge could not give a verdict")]
        met = {c["id"]: c.get("verdict") for c in self.record.get("criteria", [])}
        reasons = []
        for v in judgement.get("verdicts", []):
            rule = met.get(v.get("criterion"))
            if rule not in ("met", "missed"):
                continue
            if v.get("verdict") not in ("yes", "no"):
                reasons.append(f"judge gave no clear verdict on {v.get('criterion')}")
            elif (v["verdict"] == "yes") != (rule == "met"):
                reasons.append(f"judge and rules disagree on {v.get('criterion')} "
                               f"(rules: {rule}, judge: {v['verdict']})")
        return reasons

    def outcome(self, exam: Exam, judge_used: bool) -> str:
        if self.review_reasons(judge_used):
            return REVIEW
        return PASS if self.score >= exam.pass_mark else FAIL


def _order(a: Attempt) -> tuple:
    return (a.record.get("created") or "", a.row.source, a.row.key)


def _eligibility(record: dict, exam: Exam) -> str:
    persona = record.get("persona")
    if not persona:
        return "no persona recorded in the transcript"
    if persona not in exam.personas:
        return f"persona {persona} is not part of exam {exam.id}"
    mode = record.get("mode")
    if exam.mode != "any" and mode and mode != exam.mode:
        return f"run in {mode} mode; exam {exam.id} accepts {exam.mode} mode only"
    return ""


def _distribution(scores: list[float]) -> list[dict]:
    bins = [{"from": lo, "to": lo + 10, "count": 0} for lo in range(0, 100, 10)]
    for s in scores:
        bins[min(int(s // 10), 9)]["count"] += 1
    return bins


def judge_flips(judgement: dict | None) -> int:
    """How many criteria the judge changed from the rules' verdict in one transcript."""
    return sum(v.get("effect") == "changed" for v in (judgement or {}).get("verdicts", []))


def _attempt_summary(a: Attempt, exam: Exam, judge_used: bool) -> dict:
    out = {"key": a.row.key, "source": a.row.source, "created": a.record.get("created"),
           "score": round(a.score, 1), "counted": a.counted, "note": a.note}
    if judge_used:
        out["judge_flips"] = judge_flips(a.row.judgement)
    if a.counted:
        out["outcome"] = a.outcome(exam, judge_used)
        out["review"] = a.review_reasons(judge_used)
    return out


def _best(counted: list[Attempt], exam: Exam, judge_used: bool) -> Attempt | None:
    rank = {PASS: 2, REVIEW: 1, FAIL: 0}
    return max(counted, key=lambda a: (rank[a.outcome(exam, judge_used)], a.score,
                                       [-ord(c) for c in a.row.key]), default=None)


EVIDENCE_LIMIT = 3  # quotes kept per criterion in reports; the store keeps them all


def _criterion(c: dict) -> dict:
    # What is the same for every candidate (title, stage, domain, weight, tip) is listed
    # once, in the report's "criteria" index; each result keeps what is its own.
    out = {"id": c.get("id"), "verdict": c.get("verdict")}
    if c.get("note"):
        out["note"] = c["note"]
    evidence = c.get("evidence", [])[:EVIDENCE_LIMIT]
    if evidence:
        out["evidence"] = [{"agent_turn": e.get("agent_turn"), "quote": e.get("quote")}
                           for e in evidence]
    return out


def _violation(v: dict) -> dict:
    return {k: v.get(k) for k in ("move", "agent_turn", "quote", "penalty")}


def criteria_index(rows: list[Row]) -> dict[str, dict]:
    """Criterion id -> title, stage, domain, weight and tip, from the stored scorecards."""
    index: dict[str, dict] = {}
    for row in rows:
        if row.status == GRADED:
            for c in (row.record or {}).get("criteria", []):
                if c["id"] not in index:
                    index[c["id"]] = {k: c.get(k) for k in ("title", "stage", "domain",
                                                            "weight")}
                if c.get("tip") and not index[c["id"]].get("tip"):
                    index[c["id"]]["tip"] = c["tip"]
            if len(index) and all("tip" in v for v in index.values()):
                break
    return index


def _persona_result(persona: str, attempts: list[Attempt], exam: Exam,
                    judge_used: bool) -> dict:
    counted = [a for a in attempts if a.counted]
    best = _best(counted, exam, judge_used)
    outcomes = {a.outcome(exam, judge_used) for a in counted}
    result = PASS if PASS in outcomes else REVIEW if REVIEW in outcomes else FAIL
    return {
        "persona": persona, "result": result,
        "score": round(best.score, 1) if best else 0.0,
        "note": "" if counted else "no attempt",
        "best": None if best is None else {
            "key": best.row.key, "source": best.row.source,
            "transcript_id": best.record.get("transcript_id"),
            "created": best.record.get("created"), "score": round(best.score, 1),
            "level": best.record.get("level"), "stages": best.record.get("stages", []),
            "criteria": [_criterion(c) for c in best.record.get("criteria", [])],
            "violations": [_violation(v) for v in best.record.get("violations", [])],
            "judge": best.row.judgement if judge_used else None,
            "review": best.review_reasons(judge_used)},
        "attempts": [_attempt_summary(a, exam, judge_used) for a in attempts],
    }


def build(rows: list[Row], exam: Exam, level_for: Callable[[float], str],
          judge_used: bool, stamp: dict) -> dict:
    """The whole report as JSON-able data (see the module docstring for the rules)."""
    skipped, ineligible = [], []
    eligible = 0
    by_candidate: dict[str, dict[str, list[Attempt]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.status == MALFORMED:
            skipped.append({"source": row.source, "key": row.key,
                            "reason": (row.record or {}).get("error", "malformed")})
            continue
        if row.status != GRADED:
            continue
        record = row.record or {}
        why = _eligibility(record, exam)
        if why:
            ineligible.append({"source": row.source, "key": row.key,
                               "candidate": record.get("candidate"), "reason": why})
            continue
        by_candidate[record["candidate"]][record["persona"]].append(Attempt(row))
        eligible += 1

    candidates = []
    for name in sorted(by_candidate):
        personas = []
        for pid in exam.personas:
            attempts = sorted(by_candidate[name].get(pid, []), key=_order)
            for i, a in enumerate(attempts):
                if i >= exam.attempts:
                    a.counted, a.note = False, f"beyond the {exam.attempts} attempt(s) allowed"
            personas.append(_persona_result(pid, attempts, exam, judge_used))
        results = {p["result"] for p in personas}
        result = FAIL if FAIL in results else REVIEW if REVIEW in results else PASS
        score = round(mean(p["score"] for p in personas), 1)
        stage_scores: dict[str, list[float]] = defaultdict(list)
        stage_titles: dict[str, str] = {}
        for p in personas:
            for st in (p["best"] or {}).get("stages", []):
                stage_titles[st["id"]] = st.get("title", st["id"])
        for p in personas:
            got = {st["id"]: st.get("score") for st in (p["best"] or {}).get("stages", [])}
            for sid in stage_titles:
                value = got.get(sid)
                stage_scores[sid].append(0.0 if p["best"] is None else
                                         float(value) if value is not None else None)
        stages = [{"id": sid, "title": stage_titles[sid],
                   "score": _mean_or_none(stage_scores[sid])} for sid in stage_titles]
        candidates.append({"candidate": name, "result": result, "score": score,
                           "level": level_for(score), "stages": stages,
                           "personas": personas, "stamp": _stamp_for(stamp, exam)})

    index = criteria_index(rows)
    scores = [c["score"] for c in candidates]
    counts = {r: sum(c["result"] == r for c in candidates) for r in (PASS, FAIL, REVIEW)}
    flips = [judge_flips(row.judgement) for row in rows]
    return {
        "exam": {"id": exam.id, "title": exam.title, "rubric": exam.rubric,
                 "personas": exam.personas, "pass_mark": exam.pass_mark,
                 "attempts": exam.attempts, "mode": exam.mode},
        "stamp": stamp, "judge_used": judge_used,
        "cohort": {
            "candidates": len(candidates), "passed": counts[PASS], "failed": counts[FAIL],
            "needs_review": counts[REVIEW],
            "pass_rate": round(counts[PASS] / len(candidates), 4) if candidates else 0.0,
            "mean_score": round(mean(scores), 1) if scores else None,
            "median_score": round(median(scores), 1) if scores else None,
            "distribution": _distribution(scores),
            "weakest_criteria": _weakest(candidates, index),
            "transcripts": {"total": len(rows), "malformed": len(skipped),
                            "eligible": eligible, "ineligible": len(ineligible)},
            "judge_flips": {"criteria": sum(flips), "transcripts": sum(f > 0 for f in flips)},
        },
        "criteria": index,
        "candidates": candidates, "skipped": skipped, "ineligible": ineligible,
    }


def _stamp_for(stamp: dict, exam: Exam) -> dict:
    """The hashes one candidate's result rests on (the full stamp is at the top)."""
    from .stamps import canonical_hash

    return {"digest": canonical_hash(stamp), "exam": stamp["exam"]["hash"],
            "rubric": stamp["rubric"]["hash"],
            "personas": {p["id"]: p["hash"] for p in stamp["personas"]},
            "judge": stamp.get("judge")}


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 1) if present else None


def _weakest(candidates: list[dict], index: dict[str, dict], limit: int = 5) -> list[dict]:
    """Criteria met least often in the counted attempts that decided each persona."""
    tally: dict[str, dict] = {}
    for c in candidates:
        for p in c["personas"]:
            for crit in (p["best"] or {}).get("criteria", []):
                if crit.get("verdict") not in ("met", "missed"):
                    continue
                info = index.get(crit["id"], {})
                t = tally.setdefault(crit["id"], {"id": crit["id"], "title": info.get("title"),
                                                  "stage": info.get("stage"), "met": 0,
                                                  "applicable": 0})
                t["applicable"] += 1
                t["met"] += crit["verdict"] == "met"
    for t in tally.values():
        t["met_rate"] = round(t["met"] / t["applicable"], 4)
    return sorted(tally.values(), key=lambda t: (t["met_rate"], t["id"]))[:limit]
