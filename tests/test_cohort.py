"""The cohort figures (simulator.cohort) without a server: filters, weakest criteria,
per-trainee rows, progress after practice, plot series and the CSV; and the store's
cross-user read that feeds them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from cohort_data import GOOD, POOR, ROOT, play

from simulator.cohort import CSV_COLUMNS, CohortFilter, build_cohort, load_cohort, parse_day
from simulator.customer.state import Outcome
from simulator.errors import FrontlineError
from simulator.persona.loader import PersonaLibrary
from simulator.sessions import Conversation, SessionStore
from simulator.sessions.store import SessionInfo


def info(
    sid: str, user: str, day: str, persona: str = "p1", mode: str = "training", rubric: str = "r"
) -> SessionInfo:
    return SessionInfo(
        sid,
        user,
        persona,
        "h",
        rubric,
        mode,
        0,
        "offline",
        f"{day}T09:00:00+00:00",
        f"{day}T09:30:00+00:00",
        "finished",
        Outcome.RESOLVED,
    )


def card(overall: float, **verdicts: str) -> dict:
    return {
        "overall": overall,
        "passed": overall >= 60,
        "rubric": {"id": "r"},
        "criteria": [
            {"id": cid, "stage": "s", "title": cid.upper(), "verdict": v}
            for cid, v in verdicts.items()
        ],
    }


PAIRS = [
    (info("a1", "ann", "2026-03-02"), card(20, thank="missed", apologise="missed")),
    (info("b1", "bea", "2026-03-03", persona="p2"), card(50, thank="met", apologise="missed")),
    (info("a2", "ann", "2026-03-09"), card(40, thank="met", apologise="missed")),
    (
        info("a3", "ann", "2026-03-16", mode="exam"),
        card(80, thank="met", apologise="met", close="not_applicable"),
    ),
    (
        info("b2", "bea", "2026-03-17", persona="p2", rubric="other"),
        card(45, thank="missed", apologise="missed"),
    ),
]


def test_weakest_criteria_count_only_attempts_where_they_applied():
    cohort = build_cohort(PAIRS)
    weakest = cohort.weakest()
    assert [(r.id, r.met, r.applicable) for r in weakest] == [("apologise", 1, 5), ("thank", 3, 5)]
    assert weakest[0].title == "APOLOGISE" and weakest[0].rate == 20
    assert "close" not in {r.id for r in cohort.rates()}


def test_per_trainee_rows_and_attempt_numbers():
    cohort = build_cohort(reversed(PAIRS))  # any order in, oldest first out
    assert [(a.session, a.number) for a in cohort.attempts] == [
        ("a1", 1),
        ("b1", 1),
        ("a2", 2),
        ("a3", 3),
        ("b2", 2),
    ]
    ann, bea = cohort.by_trainee()
    assert (ann.trainee, ann.sessions, ann.first, ann.latest, ann.change) == ("ann", 3, 20, 80, 60)
    assert ann.mean == pytest.approx(46.7) and ann.weakest.id == "apologise"
    assert (bea.first, bea.latest, bea.change) == (50, 45, -5)


def test_progress_compares_earlier_and_later_halves_per_trainee():
    progress = {p.id: p for p in build_cohort(PAIRS).progress()}
    # ann: thank missed, met, met -> earlier [missed], later [met]; bea: met, missed.
    assert (progress["thank"].before.met, progress["thank"].before.applicable) == (1, 2)
    assert (progress["thank"].after.met, progress["thank"].after.applicable) == (1, 2)
    assert progress["apologise"].before.rate == 0 and progress["apologise"].after.rate == 50
    assert progress["apologise"].change == 50


@pytest.mark.parametrize(
    "flt,expected",
    [
        (CohortFilter(trainees=("bea",)), ["b1", "b2"]),
        (CohortFilter(personas=("p1",)), ["a1", "a2", "a3"]),
        (CohortFilter(rubrics=("other",)), ["b2"]),
        (CohortFilter(modes=("exam",)), ["a3"]),
        (CohortFilter(since=date(2026, 3, 9), until=date(2026, 3, 16)), ["a2", "a3"]),
        (CohortFilter(since=date(2026, 3, 16), until=date(2026, 3, 16)), ["a3"]),
        (CohortFilter(trainees=("nobody",)), []),
    ],
)
def test_filters(flt, expected):
    assert [a.session for a in build_cohort(PAIRS, flt).attempts] == expected


def test_dates_are_checked():
    assert parse_day(" 2026-03-02 ", "From") == date(2026, 3, 2) and parse_day("", "x") is None
    with pytest.raises(FrontlineError, match="From: '03/02/2026' is not a date"):
        parse_day("03/02/2026", "From")
    with pytest.raises(FrontlineError, match="empty"):
        CohortFilter(since=date(2026, 3, 9), until=date(2026, 3, 1))


def test_plot_series():
    cohort = build_cohort(PAIRS)
    labels, series = cohort.score_series()
    assert labels == ["#1", "#2", "#3"]
    assert series == {"ann": [20, 40, 80], "bea": [50, 45, None]}
    weeks, rates = cohort.weekly_rates(["thank"])
    assert weeks == ["2026-W10", "2026-W11", "2026-W12"]
    assert rates == {"thank": [50.0, 100.0, 50.0]}


def test_csv_has_a_row_per_session_and_criterion():
    rows = list(csv.DictReader(io.StringIO(build_cohort(PAIRS).to_csv())))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 2 + 2 + 2 + 3 + 2
    assert rows[0] == {
        "session": "a1",
        "trainee": "ann",
        "date": "2026-03-02",
        "persona": "p1",
        "rubric": "r",
        "mode": "training",
        "attempt": "1",
        "overall": "20",
        "passed": "no",
        "stage": "s",
        "criterion": "thank",
        "title": "THANK",
        "verdict": "missed",
    }


def test_the_store_gives_every_trainees_graded_sessions(tmp_path):
    db = tmp_path / "s.sqlite3"
    with SessionStore(db) as store:
        first = play(store, "ann", "meek-emotional-late-delivery", POOR)
        second = play(store, "bob", "meek-emotional-late-delivery", GOOD, mode="exam")
        # a session not graded (still going) is not part of the cohort
        persona = PersonaLibrary(ROOT / "personas").get("meek-emotional-late-delivery")
        Conversation.start(persona, store=store, user="cal")
        cohort = load_cohort(store)
    assert [(a.session, a.trainee, a.mode) for a in cohort.attempts] == [
        (first, "ann", "training"),
        (second, "bob", "exam"),
    ]
    assert cohort.attempts[1].overall > cohort.attempts[0].overall
    assert all(a.rubric == "complaint-handling" for a in cohort.attempts)
