"""A cohort of real practice sessions for the cohort tests and screenshot.

Each session is played through the real Conversation (customer state machine, phrase-bank
renderer) with a scripted trainee, graded by the real grader with the shipped rubric and
saved in a session store, as the web app does. Trainees get better with practice: their
early attempts use the poor script, later ones the good one. Only the dates are set by
hand (``created``), so the sessions spread over several weeks as a real cohort's would.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from simulator.grading.grader import grade
from simulator.grading.rubric_loader import RubricLibrary
from simulator.persona.loader import PersonaLibrary
from simulator.sessions import Conversation, SessionStore

ROOT = Path(__file__).resolve().parent.parent
POOR = [
    "What's the problem?",
    "Please calm down, that's our policy.",
    "Nothing I can do, it's the warehouse's fault.",
]
FAIR = [
    "Thank you for telling us. I'm sorry about that.",
    "When did this start, and what happened exactly?",
    "I'll arrange a replacement for you.",
]
GOOD = [
    "Thank you for telling us. I'm so sorry, that sounds really frustrating.",
    "Could you tell me when this started? And what happened exactly?",
    "So what you're saying is that it has happened again and you've had to chase us. "
    "I'm sorry, and I will sort it out today.",
    "That happened because the order went to the wrong depot. I will put this right: you "
    "can choose a refund or a replacement, and I'll arrange it within five working days, "
    "because that is our fastest route. My name is Sam and my direct line is 0113 496 "
    "0000.",
    "Does that work for you? Is there anything else I can help you with?",
]
# trainee -> the script of each attempt, oldest first
PLAN = {
    "ann": [POOR, FAIR, GOOD, GOOD],
    "bea": [POOR, POOR, FAIR, FAIR],
    "cal": [FAIR, GOOD, GOOD],
}
PERSONAS = [
    "meek-emotional-late-delivery",
    "chronic-rational-repair",
    "aggressive-rational-billing",
    "vip-rational-broadband-outage",
]
START = date(2026, 3, 2)  # a Monday


@lru_cache(maxsize=1)
def _libraries() -> tuple[PersonaLibrary, RubricLibrary]:
    return PersonaLibrary(ROOT / "personas"), RubricLibrary(ROOT / "rubrics")


def play(
    store: SessionStore, user: str, persona_id: str, script: list[str], mode: str = "training"
) -> str:
    """One session to its end, graded and saved; returns its id."""
    personas, rubrics = _libraries()
    persona, rubric = personas.get(persona_id), rubrics.get()
    conv = Conversation.start(persona, store=store, user=user, rubric=rubric.id, mode=mode)
    "".join(conv.opening())
    for line in script:
        if conv.finished:
            break
        "".join(conv.reply(line))
    if not conv.finished:
        conv.end()
    card = grade(store.transcript(conv.session_id, user), rubric)
    store.save_scorecard(conv.session_id, user, card.model_dump(mode="json"))
    return conv.session_id


def seed_cohort(db: Path) -> dict[str, list[str]]:
    """Play the whole plan into the store at ``db``; one attempt a week per trainee."""
    ids: dict[str, list[str]] = {}
    with SessionStore(db) as store:
        for t, (user, scripts) in enumerate(PLAN.items()):
            for n, script in enumerate(scripts):
                sid = play(
                    store,
                    user,
                    PERSONAS[(n + t) % len(PERSONAS)],
                    script,
                    mode="exam" if n == len(scripts) - 1 else "training",
                )
                ids.setdefault(user, []).append(sid)
    with sqlite3.connect(db) as con:
        for user, sids in ids.items():
            for n, sid in enumerate(sids):
                day = START + timedelta(weeks=n, days=list(PLAN).index(user))
                con.execute(
                    "UPDATE sessions SET created = ? WHERE id = ?",
                    (f"{day.isoformat()}T10:00:00+00:00", sid),
                )
    return ids
