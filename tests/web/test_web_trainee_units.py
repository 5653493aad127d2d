"""Pieces of the trainee page, without a server: the one verdict badge, the meter's
reasons and ARIA values, and a replay drawn as practice."""

from __future__ import annotations

import re

import pytest

from simulator.web.mood import meter_html, mood_reasons
from simulator.web.scorecard_html import verdict_badge


@pytest.mark.parametrize(
    ("passed", "level", "label", "shown"),
    [
        (True, "pass", "Pass", "PASS"),
        (False, "fail", "Fail", "NOT YET"),
        (True, "distinction", "Distinction", "PASS · Distinction"),
        (False, "fail", "Not yet", "NOT YET"),
    ],
)
def test_one_badge_says_the_verdict_once(passed, level, label, shown):
    html = verdict_badge({"passed": passed, "level": level, "level_label": label})
    assert html.count("sc-badge") == 1
    assert re.search(r">(.*)</span>", html).group(1) == shown


def test_reasons_are_shown_once_with_their_qualifiers():
    assert mood_reasons(
        [
            "Apologised",
            "Apologised (not yet heard, so it earns little trust)",
            "Another turn gone",
            "Apologised",
        ]
    ) == ["Apologised (not yet heard, so it earns little trust)", "Another turn gone"]
    assert mood_reasons(["Took ownership ('I will…')", "Took ownership ('I will…')"]) == [
        "Took ownership ('I will…')"
    ]
    assert mood_reasons([]) == []


def test_meter_rows_are_aria_meters_and_say_why():
    html = meter_html(
        50.0,
        20.0,
        40.0,
        previous=(58.0, 20.0, 45.0),
        reasons=["Apologised", "Apologised", "Another turn gone"],
    )
    rows = re.findall(r'<div class="fl-meter-row"[^>]*>', html)
    assert len(rows) == 3 and all('role="meter"' in r for r in rows)
    assert 'aria-valuetext="anger 50 of 100, down 8"' in rows[0]
    assert 'aria-valuetext="trust 20 of 100"' in rows[1]
    assert "Why: Apologised; Another turn gone" in html
    assert "fl-meter-why" not in meter_html(50.0, 20.0, 40.0)
