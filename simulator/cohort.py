"""The cohort, for trainers: every trainee's graded sessions, per criterion, over time.

From the session store's scorecards (:meth:`SessionStore.graded_sessions`), filtered by
trainee, persona, rubric, mode and date range, :func:`build_cohort` gives

- the **weakest criteria** (the lowest share of applicable attempts in which they were met);
- **per trainee**: sessions, first and latest score, mean, change, weakest criterion;
- **progress after practice**: per criterion, how often it was met in the earlier half of
  each trainee's attempts and in the later half (trainees with at least two attempts
  where it applied), so a trainer sees what practice improves and what it does not;
- series for plots (score by attempt per trainee; weakest criteria by week) and a CSV
  with one row per session and criterion.

Only trainers and admins may see it: the web tab checks the role before calling this.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .errors import FrontlineError
from .sessions.store import SessionInfo, SessionStore

VERDICTS = ("met", "missed")  # not_applicable attempts do not count for or against
CSV_COLUMNS = [
    "session",
    "trainee",
    "date",
    "persona",
    "rubric",
    "mode",
    "attempt",
    "overall",
    "passed",
    "stage",
    "criterion",
    "title",
    "verdict",
]


def parse_day(text: str, what: str) -> date | None:
    """A YYYY-MM-DD date typed in a filter, or None when blank."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FrontlineError(f"{what}: {text!r} is not a date; write it as YYYY-MM-DD") from None


@dataclass(frozen=True)
class CohortFilter:
    """Which sessions count; an empty choice means all."""

    trainees: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    rubrics: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    since: date | None = None  # inclusive
    until: date | None = None  # inclusive

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise FrontlineError(f"the date range is empty: {self.since} is after {self.until}")

    def admits(self, info: SessionInfo) -> bool:
        day = date.fromisoformat(info.created[:10])
        return (
            (not self.trainees or info.user in self.trainees)
            and (not self.personas or info.persona_id in self.personas)
            and (not self.rubrics or (info.rubric or "") in self.rubrics)
            and (not self.modes or info.mode in self.modes)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


@dataclass(frozen=True)
class Attempt:
    """One graded session of one trainee."""

    session: str
    trainee: str
    created: str
    persona: str
    rubric: str
    mode: str
    number: int  # the trainee's 1st, 2nd … attempt within the filter, oldest first
    overall: float
    passed: bool
    verdicts: dict[str, str]  # criterion id -> met / missed / not_applicable


@dataclass(frozen=True)
class CriterionRate:
    """How often one criterion was met where it applied."""

    id: str
    stage: str
    title: str
    met: int
    applicable: int

    @property
    def rate(self) -> float:
        return 100 * self.met / self.applicable if self.applicable else 0.0


@dataclass(frozen=True)
class TraineeSummary:
    trainee: str
    sessions: int
    first: float
    latest: float
    mean: float
    weakest: CriterionRate | None

    @property
    def change(self) -> float:
        return self.latest - self.first


@dataclass(frozen=True)
class CriterionProgress:
    """A criterion met in the earlier and in the later half of trainees' attempts."""

    id: str
    stage: str
    title: str
    before: CriterionRate
    after: CriterionRate

    @property
    def change(self) -> float:
        return self.after.rate - self.before.rate


@dataclass
class Cohort:
    """The filtered attempts, oldest first, and what the trainer reads from them."""

    attempts: list[Attempt]
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (stage, title)

    @property
    def trainees(self) -> list[str]:
        return sorted({a.trainee for a in self.attempts})

    def rates(self, attempts: Iterable[Attempt] | None = None) -> list[CriterionRate]:
        """Each criterion's met / applicable over ``attempts`` (default: all)."""
        met: dict[str, int] = defaultdict(int)
        applicable: dict[str, int] = defaultdict(int)
        for a in self.attempts if attempts is None else attempts:
            for cid, verdict in a.verdicts.items():
                if verdict in VERDICTS:
                    applicable[cid] += 1
                    met[cid] += verdict == "met"
        return [
            CriterionRate(cid, *self.titles.get(cid, ("", cid)), met[cid], applicable[cid])
            for cid in sorted(applicable)
        ]

    def weakest(
        self, limit: int = 5, attempts: Iterable[Attempt] | None = None
    ) -> list[CriterionRate]:
        """The criteria met least often (ties: the more often applicable first)."""
        return sorted(self.rates(attempts), key=lambda r: (r.rate, -r.applicable, r.id))[:limit]

    def by_trainee(self) -> list[TraineeSummary]:
        out = []
        for name in self.trainees:
            mine = [a for a in self.attempts if a.trainee == name]
            weakest = self.weakest(1, mine)
            out.append(
                TraineeSummary(
                    name,
                    len(mine),
                    mine[0].overall,
                    mine[-1].overall,
                    round(sum(a.overall for a in mine) / len(mine), 1),
                    weakest[0] if weakest else None,
                )
            )
        return out

    def progress(self) -> list[CriterionProgress]:
        """Per criterion: met in the earlier half of each trainee's attempts where it
        applied, against the later half (an odd middle attempt counts in neither)."""
        early: list[tuple[str, str]] = []
        late: list[tuple[str, str]] = []
        for name in self.trainees:
            mine = [a for a in self.attempts if a.trainee == name]
            for cid in {c for a in mine for c in a.verdicts}:
                seen = [a.verdicts[cid] for a in mine if a.verdicts.get(cid) in VERDICTS]
                half = len(seen) // 2
                if half:
                    early += [(cid, v) for v in seen[:half]]
                    late += [(cid, v) for v in seen[-half:]]
        out = []
        for cid in sorted({c for c, _ in early}):
            stage, title = self.titles.get(cid, ("", cid))
            rate = [
                CriterionRate(
                    cid,
                    stage,
                    title,
                    sum(v == "met" for c, v in part if c == cid),
                    sum(c == cid for c, _ in part),
                )
                for part in (early, late)
            ]
            out.append(CriterionProgress(cid, stage, title, *rate))
        return sorted(out, key=lambda p: (p.change, p.id))

    def score_series(self) -> tuple[list[str], dict[str, list[float | None]]]:
        """Attempt numbers as x labels and each trainee's overall score by attempt."""
        longest = max((a.number for a in self.attempts), default=0)
        series: dict[str, list[float | None]] = {n: [None] * longest for n in self.trainees}
        for a in self.attempts:
            series[a.trainee][a.number - 1] = a.overall
        return [f"#{i}" for i in range(1, longest + 1)], series

    def weekly_rates(self, criteria: Sequence[str]) -> tuple[list[str], dict[str, list]]:
        """ISO weeks as x labels and each criterion's met rate (%) in that week."""
        weeks = sorted({_week(a.created) for a in self.attempts})
        series = {}
        for cid in criteria:
            values = []
            for week in weeks:
                rates = self.rates(a for a in self.attempts if _week(a.created) == week)
                rate = next((r for r in rates if r.id == cid), None)
                values.append(round(rate.rate, 1) if rate and rate.applicable else None)
            series[cid] = values
        return weeks, series

    def to_csv(self) -> str:
        """One row per session and criterion, for a spreadsheet."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for a in self.attempts:
            for cid, verdict in a.verdicts.items():
                stage, title = self.titles.get(cid, ("", cid))
                w.writerow(
                    [
                        a.session,
                        a.trainee,
                        a.created[:10],
                        a.persona,
                        a.rubric,
                        a.mode,
                        a.number,
                        f"{a.overall:g}",
                        "yes" if a.passed else "no",
                        stage,
                        cid,
                        title,
                        verdict,
                    ]
                )
        return out.getvalue()


def _week(created: str) -> str:
    year, week, _ = date.fromisoformat(created[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def build_cohort(
    graded: Iterable[tuple[SessionInfo, dict]], flt: CohortFilter | None = None
) -> Cohort:
    """The cohort from (session, scorecard) pairs, oldest first; see the module docstring."""
    flt = flt or CohortFilter()
    attempts: list[Attempt] = []
    titles: dict[str, tuple[str, str]] = {}
    counts: dict[str, int] = defaultdict(int)
    # A stable sort: sessions started in the same second keep the order they were given.
    for info, card in sorted(graded, key=lambda pair: pair[0].created):
        if not flt.admits(info) or card.get("overall") is None:
            continue
        counts[info.user] += 1
        verdicts = {}
        for crit in card.get("criteria", []):
            verdicts[crit["id"]] = crit.get("verdict", "not_applicable")
            titles.setdefault(crit["id"], (crit.get("stage", ""), crit.get("title", crit["id"])))
        rubric = info.rubric or (card.get("rubric") or {}).get("id", "")
        attempts.append(
            Attempt(
                info.id,
                info.user,
                info.created,
                info.persona_id,
                rubric,
                info.mode,
                counts[info.user],
                float(card["overall"]),
                bool(card.get("passed")),
                verdicts,
            )
        )
    return Cohort(attempts, titles)


def load_cohort(store: SessionStore, flt: CohortFilter | None = None) -> Cohort:
    """Every trainee's graded sessions in ``store`` that the filter admits."""
    return build_cohort(store.graded_sessions(), flt)
