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
arrived (an interrupted and resumed run included). Nothing here holds the cohort in
memory: candidates are read from the store one at a time, in name order (SQLite sorts
them, by an index), and the cohort's figures are running tallies (:class:`CohortTally`),
so a cohort of any size is reported in the same memory.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import groupby
from statistics import mean

from ..languages.catalogue import Texts
from .exam import Exam
from .results_store import GRADED, JUDGED, MALFORMED, ResultsStore, Row, unpack_record

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
                reasons.append(
                    f"judge and rules disagree on {v.get('criterion')} "
                    f"(rules: {rule}, judge: {v['verdict']})"
                )
        return reasons

    def outcome(self, exam: Exam, judge_used: bool) -> str:
        if self.review_reasons(judge_used):
            return REVIEW
        return PASS if self.score >= exam.pass_mark else FAIL


def _order(a: Attempt) -> tuple:
    return (a.record.get("created") or "", a.row.source, a.row.key)


def eligibility(persona: str | None, mode: str | None, exam: Exam, t: Texts | None = None) -> str:
    """Why a graded transcript is not an attempt at this exam ('' when it is one), in
    ``t``'s language (English by default)."""
    t = t or Texts("en")
    if not persona:
        return t("report.ineligible_no_persona")
    if persona not in exam.personas:
        return t("report.ineligible_not_in_exam", persona=persona, exam=exam.id)
    if exam.mode != "any" and mode and mode != exam.mode:
        return t(
            "report.ineligible_wrong_mode",
            mode=_mode_name(mode, t),
            exam=exam.id,
            accepted=_mode_name(exam.mode, t),
        )
    return ""


def _mode_name(mode: str, t: Texts) -> str:
    """A session mode (``training``, ``exam``) as the language names it; as recorded when
    the catalogue has no word for it."""
    try:
        return t(f"practice.mode_name_{mode}").lower()
    except KeyError:
        return mode


def judge_flips(judgement: dict | None) -> int:
    """How many criteria the judge changed from the rules' verdict in one transcript."""
    return sum(v.get("effect") == "changed" for v in (judgement or {}).get("verdicts", []))


def count_judge_flips(store: ResultsStore) -> dict[str, int]:
    """Criteria the judge changed over every stored judgement, and the transcripts with at
    least one (streamed from the store)."""
    criteria = transcripts = 0
    for (blob,) in store.query("SELECT record FROM judgements"):
        flips = judge_flips(unpack_record(blob))
        criteria += flips
        transcripts += flips > 0
    return {"criteria": criteria, "transcripts": transcripts}


def _attempt_summary(a: Attempt, exam: Exam, judge_used: bool) -> dict:
    out = {
        "key": a.row.key,
        "source": a.row.source,
        "created": a.record.get("created"),
        "score": round(a.score, 1),
        "counted": a.counted,
        "note": a.note,
    }
    if judge_used:
        out["judge_flips"] = judge_flips(a.row.judgement)
    if a.counted:
        out["outcome"] = a.outcome(exam, judge_used)
        out["review"] = a.review_reasons(judge_used)
    return out


def _best(counted: list[Attempt], exam: Exam, judge_used: bool) -> Attempt | None:
    rank = {PASS: 2, REVIEW: 1, FAIL: 0}
    return max(
        counted,
        key=lambda a: (rank[a.outcome(exam, judge_used)], a.score, [-ord(c) for c in a.row.key]),
        default=None,
    )


def _persona_result(persona: str, attempts: list[Attempt], exam: Exam, judge_used: bool) -> dict:
    counted = [a for a in attempts if a.counted]
    best = _best(counted, exam, judge_used)
    outcomes = {a.outcome(exam, judge_used) for a in counted}
    result = PASS if PASS in outcomes else REVIEW if REVIEW in outcomes else FAIL
    return {
        "persona": persona,
        "result": result,
        "score": round(best.score, 1) if best else 0.0,
        "note": "" if counted else "no attempt",
        "best": None
        if best is None
        else {
            "key": best.row.key,
            "source": best.row.source,
            "transcript_id": best.record.get("transcript_id"),
            "created": best.record.get("created"),
            "score": round(best.score, 1),
            "level": best.record.get("level"),
            "stages": best.record.get("stages", []),
            # The store keeps each criterion as the reports print it (results_store.py).
            "criteria": best.record.get("criteria", []),
            "violations": best.record.get("violations", []),
            "judge": best.row.judgement if judge_used else None,
            "review": best.review_reasons(judge_used),
        },
        "attempts": [_attempt_summary(a, exam, judge_used) for a in attempts],
    }


def candidate_result(
    name: str,
    rows: list[Row],
    exam: Exam,
    level_for: Callable[[float], str],
    judge_used: bool,
    stamp_for: dict,
) -> dict:
    """One candidate's result from their eligible graded transcripts."""
    by_persona: dict[str, list[Attempt]] = defaultdict(list)
    for row in rows:
        by_persona[(row.record or {}).get("persona")].append(Attempt(row))
    personas = []
    for pid in exam.personas:
        attempts = sorted(by_persona.get(pid, []), key=_order)
        for i, a in enumerate(attempts):
            if i >= exam.attempts:
                a.counted, a.note = False, f"beyond the {exam.attempts} attempt(s) allowed"
        personas.append(_persona_result(pid, attempts, exam, judge_used))
    results = {p["result"] for p in personas}
    result = FAIL if FAIL in results else REVIEW if REVIEW in results else PASS
    score = round(_mean([p["score"] for p in personas]), 1)
    stage_scores: dict[str, list[float | None]] = defaultdict(list)
    stage_titles: dict[str, str] = {}
    for p in personas:
        for st in (p["best"] or {}).get("stages", []):
            stage_titles[st["id"]] = st.get("title", st["id"])
    for p in personas:
        got = {st["id"]: st.get("score") for st in (p["best"] or {}).get("stages", [])}
        for sid in stage_titles:
            value = got.get(sid)
            stage_scores[sid].append(
                0.0 if p["best"] is None else float(value) if value is not None else None
            )
    stages = [
        {"id": sid, "title": stage_titles[sid], "score": _mean_or_none(stage_scores[sid])}
        for sid in stage_titles
    ]
    return {
        "candidate": name,
        "result": result,
        "score": score,
        "level": level_for(score),
        "stages": stages,
        "personas": personas,
        "stamp": stamp_for,
    }


def iter_candidates(
    store: ResultsStore,
    exam: Exam,
    level_for: Callable[[float], str],
    judge_used: bool,
    stamp: dict,
    lo: str | None = None,
    hi: str | None = None,
) -> Iterator[dict]:
    """Every candidate's result, in name order, one at a time; with ``lo`` and ``hi``
    only the names from ``lo`` (inclusive) to ``hi`` (exclusive)."""
    where, params = "r.status = ?", [GRADED]
    if lo is not None:
        where, params = where + " AND r.candidate >= ?", [*params, lo]
    if hi is not None:
        where, params = where + " AND r.candidate < ?", [*params, hi]
    rows = (
        row
        for row in store.iter_rows(
            where, tuple(params), order="r.candidate, r.seq", graded_only=True
        )
        if not eligibility(row.record.get("persona"), row.record.get("mode"), exam)
    )
    stamp_for = _stamp_for(stamp, exam)
    for name, group in groupby(rows, key=lambda r: r.record["candidate"]):
        yield candidate_result(name, list(group), exam, level_for, judge_used, stamp_for)


def iter_skipped(store: ResultsStore) -> Iterator[dict]:
    """Malformed transcripts, in arrival order, with the parser's message."""
    for row in store.iter_rows("r.status = ?", (MALFORMED,), order="r.seq", graded_only=True):
        yield {
            "source": row.source,
            "key": row.key,
            "reason": (row.record or {}).get("error", "malformed"),
        }


def iter_ineligible(store: ResultsStore, exam: Exam, t: Texts | None = None) -> Iterator[dict]:
    """Graded transcripts that are no attempt at this exam, in arrival order, with why (in
    ``t``'s language)."""
    for _seq, key, source, candidate, persona, mode in store.query(
        "SELECT t.seq, t.key, t.source, r.candidate, r.persona, r.mode FROM results r "
        "JOIN transcripts t ON t.seq = r.seq WHERE r.status = ? ORDER BY r.seq",
        (GRADED,),
    ):
        why = eligibility(persona, mode, exam, t)
        if why:
            yield {"source": source, "key": key, "candidate": candidate, "reason": why}


@dataclass
class CohortTally:
    """The cohort's figures, kept as running tallies while candidates stream past.

    Scores are rounded to one decimal, so at most 1,001 distinct values occur: counting
    them gives the exact mean and median in bounded memory."""

    index: dict[str, dict]
    scores: Counter = field(default_factory=Counter)
    results: Counter = field(default_factory=Counter)
    weakest: dict[str, dict] = field(default_factory=dict)
    # Eligible graded transcripts: each one is an attempt listed under its candidate.
    eligible: int = 0

    def add(self, candidate: dict) -> None:
        self.scores[candidate["score"]] += 1
        self.results[candidate["result"]] += 1
        self.eligible += sum(len(p["attempts"]) for p in candidate["personas"])
        for p in candidate["personas"]:
            for crit in (p["best"] or {}).get("criteria", []):
                if crit.get("verdict") not in ("met", "missed"):
                    continue
                info = self.index.get(crit["id"], {})
                t = self.weakest.setdefault(
                    crit["id"],
                    {
                        "id": crit["id"],
                        "title": info.get("title"),
                        "stage": info.get("stage"),
                        "met": 0,
                        "applicable": 0,
                    },
                )
                t["applicable"] += 1
                t["met"] += crit["verdict"] == "met"

    def merge(self, other: CohortTally) -> None:
        """Add the tallies of another slice of the cohort."""
        self.scores.update(other.scores)
        self.results.update(other.results)
        self.eligible += other.eligible
        for cid, t in other.weakest.items():
            mine = self.weakest.setdefault(cid, dict(t, met=0, applicable=0))
            mine["met"] += t["met"]
            mine["applicable"] += t["applicable"]

    @property
    def count(self) -> int:
        return sum(self.results.values())

    def _mean(self) -> float | None:
        n = self.count
        if not n:
            return None
        # As statistics.mean does: the exact sum of the floats, divided, then rounded.
        total = sum(Fraction(v) * c for v, c in self.scores.items())
        return round(float(total / n), 1)

    def _median(self) -> float | None:
        n = self.count
        if not n:
            return None
        wanted = [(n - 1) // 2, n // 2]  # the middle one, or the middle two
        found, seen = [], 0
        for value in sorted(self.scores):
            seen += self.scores[value]
            while wanted and wanted[0] < seen:
                found.append(value)
                wanted.pop(0)
        return round(found[0] if n % 2 else (found[0] + found[1]) / 2, 1)

    def _distribution(self) -> list[dict]:
        bins = [{"from": lo, "to": lo + 10, "count": 0} for lo in range(0, 100, 10)]
        for s, c in self.scores.items():
            bins[min(int(s // 10), 9)]["count"] += c
        return bins

    def _weakest(self, limit: int = 5) -> list[dict]:
        """Criteria met least often in the counted attempts that decided each persona."""
        rows = [
            dict(t, met_rate=round(t["met"] / t["applicable"], 4)) for t in self.weakest.values()
        ]
        return sorted(rows, key=lambda t: (t["met_rate"], t["id"]))[:limit]

    def summary(self, transcripts: dict[str, int], flips: dict[str, int]) -> dict:
        """The report's ``cohort`` section."""
        n = self.count
        return {
            "candidates": n,
            "passed": self.results[PASS],
            "failed": self.results[FAIL],
            "needs_review": self.results[REVIEW],
            "pass_rate": round(self.results[PASS] / n, 4) if n else 0.0,
            "mean_score": self._mean(),
            "median_score": self._median(),
            "distribution": self._distribution(),
            "weakest_criteria": self._weakest(),
            "transcripts": transcripts,
            "judge_flips": flips,
        }


def exam_summary(exam: Exam) -> dict:
    return {
        "id": exam.id,
        "title": exam.title,
        "rubric": exam.rubric,
        "personas": exam.personas,
        "pass_mark": exam.pass_mark,
        "attempts": exam.attempts,
        "mode": exam.mode,
    }


def _stamp_for(stamp: dict, exam: Exam) -> dict:
    """The hashes one candidate's result rests on (the full stamp is at the top)."""
    from .stamps import canonical_hash

    return {
        "digest": canonical_hash(stamp),
        "exam": stamp["exam"]["hash"],
        "rubric": stamp["rubric"]["hash"],
        "personas": {p["id"]: p["hash"] for p in stamp["personas"]},
        "judge": stamp.get("judge"),
    }


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(_mean(present), 1) if present else None


def _mean(values: list[float]) -> float:
    """statistics.mean, without its exact arithmetic where plain floats give the same
    result: one value, or two (halving a correctly rounded sum is exact)."""
    if len(values) == 1:
        return float(values[0])
    if len(values) == 2:
        return (values[0] + values[1]) / 2
    return mean(values)
