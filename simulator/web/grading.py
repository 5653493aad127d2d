"""The web app's use of the grader: rubric choices, the next-stage hint, and scorecards
graded once per session and kept in the store."""

from __future__ import annotations

from functools import lru_cache
from weakref import WeakKeyDictionary

from ..errors import FrontlineError, NotFound
from ..grading.achievable import still_achievable
from ..grading.conditions import Observed
from ..grading.grader import agent_turns, grade, grade_observed
from ..grading.rubric_loader import DEFAULT_RUBRIC, RubricLibrary
from ..sessions import Conversation, SessionStore
from ..sessions.conversation import PersonaSource
from ..transcript import Transcript


@lru_cache(maxsize=1)
def _library_for(_stamp: tuple) -> RubricLibrary:
    return RubricLibrary()


def rubrics() -> RubricLibrary:
    """The rubric folder, re-read when a file in it changes."""
    from .. import config

    folder = config.rubrics_dir()
    stamp = (str(folder), *sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))
    return _library_for(stamp)


def rubric_choices() -> list[tuple[str, str]]:
    """(label, id) of every rubric, the default one first."""
    lib = rubrics()
    ids = sorted(lib.ids(), key=lambda i: (i != DEFAULT_RUBRIC, i))
    return [(f"{lib.get(i).title} ({i})", i) for i in ids]


def check_rubric(rubric_id: str | None) -> str:
    """The rubric id to record on a session; :class:`NotFound` if there is no such rubric."""
    return rubrics().get(rubric_id or None).id


def next_stage(conv: Conversation) -> str | None:
    """The stage the rubric expects next, with its first unmet criterion, for the hint.

    The session so far is graded as a partial conversation; the first stage that is not
    reached yet or has a missed criterion is what the trainee should work on. Graded
    incrementally: each call adds only the turns since the last one (from their stored
    readings), so a long session costs no more per turn than a short one.
    """
    if not conv.turns:
        return None
    try:
        rubric = rubrics().get(conv.info.rubric)
        obs = _observed(conv)
        card = grade_observed(obs, None, rubric)
    except FrontlineError:
        return None
    missed = {}
    still_open = achievable_misses(obs, rubric)
    for c in card.criteria:
        if c.verdict == "missed" and (c.stage, c.id) in still_open:
            missed.setdefault(c.stage, c.title)
    for stage in card.stages:
        if stage.id in missed:
            return f"**{stage.title}** — {missed[stage.id]}"
        if stage.score is None:
            return f"**{stage.title}**"
    return None


def achievable_misses(obs: Observed, rubric) -> set[tuple[str, str]]:
    """(stage id, criterion id) of the criteria later turns could still meet.

    The hint names only these: advice that can no longer be followed ("feelings before
    the remedy" once the remedy is given) is left out, and a stage whose misses are all
    past mending is moved on from.
    """
    return {
        (stage.id, c.id)
        for stage in rubric.stages
        for c in stage.criteria
        if still_achievable(c.check, obs)
    }


# What the hint has observed of each live conversation; an entry goes with its Conversation.
_OBSERVED: WeakKeyDictionary = WeakKeyDictionary()


def _observed(conv: Conversation) -> Observed:
    """The conversation's moves so far, extended by the agent turns added since last time."""
    obs = _OBSERVED.get(conv)
    if obs is None:
        obs = _OBSERVED[conv] = Observed(
            [], ended=False, follow_up=conv.info.follow_up_of is not None
        )
    turns = conv.turns
    start = obs.positions[-1] + 1 if obs.positions else 0
    obs.extend(agent_turns(turns, conv.persona.language, start=start))
    return obs


def scorecard_for(
    store: SessionStore,
    session_id: str,
    user: str,
    transcript: Transcript | None = None,
    personas: PersonaSource | None = None,
) -> dict:
    """The session's scorecard (as JSON data): the saved one, else graded now and saved.

    A session the trainee ended is graded as a whole conversation: it is over. With
    ``personas``, the complaint record is checked against the case (DOMAIN §3.10).
    """
    saved = store.load_scorecard(session_id, user)
    info = store.get(session_id, user)
    transcript = transcript or store.transcript(session_id, user)
    # A scorecard saved before the closing turn (after the customer accepted), or before
    # the complaint record was filled in, is stale.
    if (
        saved is not None
        and info.status != "active"
        and saved.get("agent_turns") == info.agent_turns
        and (saved.get("record") is None) == (transcript.record is None)
    ):
        return saved
    try:
        rubric = rubrics().get(info.rubric)
    except NotFound as exc:
        raise FrontlineError(f"cannot grade session {session_id}: {exc}") from None
    persona = None
    if personas is not None:
        try:
            persona = personas.get(info.persona_id)
        except FrontlineError:
            persona = None  # gone since: the record is checked for completeness only
    card = grade(transcript, rubric, partial=info.status == "active", persona=persona)
    data = card.model_dump(mode="json")
    if info.status != "active":
        store.save_scorecard(session_id, user, data)
    return data
