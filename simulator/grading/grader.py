"""The rule grader: transcript + rubric -> scorecard, deterministic and explainable.

Each agent turn's moves come from its stored reading (how the turn was read when the
session ran, so the grader credits exactly what the customer reacted to, including a
remedy only the persona recognised); a turn without one, as in a transcript imported
from elsewhere, is read afresh once with the rule detector for the transcript's language.
Every criterion and phrasing rule reads that one list. The overall score is the weight of
criteria met over the weight of criteria that applied (0-100), minus phrasing penalties,
floored at 0.
"""

from __future__ import annotations

from ..customer.state import Outcome
from ..languages.catalogue import Texts
from ..moves.combine import default_reader
from ..moves.detector import Detection, Detector
from ..moves.vocabulary import Move
from ..persona.model import Persona
from ..transcript import Transcript, Turn
from .conditions import Hit, Observed, Verdict, evaluate, names
from .record_check import RecordAssessment, assess_record
from .rubric import Condition, Rubric
from .scorecard import Scorecard

GRADER_VERSION = "rules-1"


def is_ended(transcript: Transcript, partial: bool | None = None) -> bool:
    """Whether to grade the conversation as finished.

    ``partial`` decides when given. Otherwise a recorded outcome decides (``ongoing`` means
    it was cut off); a transcript without one, such as a pasted real call, is taken whole.
    """
    if partial is not None:
        return not partial
    if transcript.outcome is not None:
        return transcript.outcome is not Outcome.ONGOING
    return True


def observe(
    transcript: Transcript,
    detector: Detector | None = None,
    ended: bool = True,
    language: str | None = None,
    persona: Persona | None = None,
) -> Observed:
    """The moves of every agent turn: its stored reading when it has one that fits its
    text, else detected afresh (the only place the grader runs patterns); and the
    complaint record, graded against ``persona``'s case when it is the transcript's."""
    return Observed(
        agent_turns(transcript.turns, language or transcript.language, detector),
        ended,
        record_of(transcript, persona, language or transcript.language),
        follow_up=transcript.follow_up_of is not None,
    )


def record_of(
    transcript: Transcript, persona: Persona | None = None, language: str | None = None
) -> RecordAssessment | None:
    """The transcript's complaint record graded (DOMAIN §3.10): against ``persona``'s case
    when ``persona`` is the one the conversation was with (same id, and same content when
    the transcript names a hash), else for completeness only; None without a record. Its
    labels and reasons are in ``language`` (default: the conversation's)."""
    record = transcript.record
    if record is None or record.is_empty():
        return None
    ref = transcript.persona
    if (
        persona is not None
        and ref is not None
        and (ref.id != persona.id or (ref.hash and ref.hash != persona.content_hash()))
    ):
        persona = None
    return assess_record(record, persona, transcript, Texts(language) if language else None)


def agent_turns(
    turns: list[Turn], language: str | None, detector: Detector | None = None, start: int = 0
) -> list[tuple[int, tuple[Detection, ...]]]:
    """(position, moves) of each agent turn of ``turns[start:]``. A turn without a fitting
    reading is read with ``detector``, by default the default reader of ``language`` (the
    rules plus the encoder; English when unknown), built only if needed. The turns to read
    are read together, so the encoder embeds their sentences in one batch."""
    positions = [i for i in range(start, len(turns)) if turns[i].role == "agent"]
    unread = [
        i for i in positions if turns[i].reading is None or not turns[i].reading.fits(turns[i].text)
    ]
    fresh: dict[int, tuple[Detection, ...]] = {}
    if unread:
        if detector is None:
            detector = default_reader(language or "en")
        texts = [turns[i].text for i in unread]
        detect_many = getattr(detector, "detect_many", None)
        found = detect_many(texts) if detect_many else [detector.detect(t) for t in texts]
        fresh = {i: tuple(f) for i, f in zip(unread, found, strict=True)}
    return [
        (i, fresh[i] if i in fresh else tuple(turns[i].reading.moves))  # type: ignore[union-attr]
        for i in positions
    ]


def language_of(transcript: Transcript, rubric: Rubric) -> str:
    """The language to read the transcript's turns in: its own, else the rubric's."""
    return transcript.language or rubric.language


def _evidence(hits: list[Hit], obs: Observed) -> list[dict]:
    out = []
    seen = set()
    for h in hits:
        d = h.detection
        if (h.k, d.start, d.move) in seen:  # e.g. the same apology found by two parts
            continue
        seen.add((h.k, d.start, d.move))
        out.append(
            {
                "turn": obs.positions[h.k],
                "agent_turn": h.k + 1,
                "move": d.move.value,
                "quote": d.quote,
                "start": d.quote_start,
            }
        )
    return out


def _describe(condition: Condition, t: Texts) -> str:
    """A short reason for 'not applicable' when an ``applies_if`` is not met."""
    part = condition.part(condition.kind)
    move = getattr(part, "move", None)
    if move:
        return t("scorecard.note_applies_when", moves=names(move, t))
    if condition.agent_turns is not None:
        return t("scorecard.note_applies_from", n=condition.agent_turns.min)
    if condition.call is not None:
        return t(f"scorecard.note_call_{condition.call.is_}")
    return t("scorecard.note_applies_if")


def _customer(transcript: Transcript) -> dict | None:
    if transcript.outcome is None:
        return None
    last = transcript.trajectory[-1] if transcript.trajectory else None
    return {
        "outcome": transcript.outcome,
        "anger": last.anger if last else None,
        "trust": last.trust if last else None,
        "patience": last.patience if last else None,
    }


def _give_aways(obs: Observed, rubric: Rubric) -> list[dict]:
    """Each offer the persona recognised as beyond its company's rules (DOMAIN §3.9), as a
    violation of the rubric's ``give_away`` rule, with what was given away."""
    rule = rubric.give_away
    if rule is None:
        return []
    found = [h for h in obs.hits([Move.REMEDY]) if h.detection.beyond]
    return [
        {
            "move": "give_away",
            "title": rule.title,
            "domain": rule.domain,
            "turn": obs.positions[h.k],
            "agent_turn": h.k + 1,
            "quote": h.detection.quote,
            "start": h.detection.quote_start,
            "penalty": rule.penalty if n < rule.max_count else 0,
            "tip": rule.tip,
            "why": h.detection.beyond,
        }
        for n, h in enumerate(found)
    ]


def _score(met: int, applicable: int) -> float | None:
    return None if applicable == 0 else round(100 * met / applicable, 1)


def grade(
    transcript: Transcript,
    rubric: Rubric,
    *,
    detector: Detector | None = None,
    partial: bool | None = None,
    persona: Persona | None = None,
) -> Scorecard:
    """Grade one transcript. Same transcript, rubric and patterns: same scorecard.
    ``persona`` (the customer of the conversation) lets the complaint record be checked
    against the case."""
    obs = observe(
        transcript,
        detector,
        is_ended(transcript, partial),
        language=language_of(transcript, rubric),
        persona=persona,
    )
    return grade_observed(obs, transcript, rubric)


def grade_observed(obs: Observed, transcript: Transcript | None, rubric: Rubric) -> Scorecard:
    """Grade moves already observed (``obs``) for ``transcript``: the incremental hint keeps
    one :class:`Observed` per session and extends it turn by turn. The scorecard's texts
    (titles, tips, labels) are in the transcript's language where the rubric has them."""
    language = language_of(transcript, rubric) if transcript else rubric.language
    rubric = rubric.in_language(language)
    obs.texts = t = Texts(language)
    criteria: list[dict] = []
    stages: list[dict] = []
    met_total = applicable_total = 0
    for stage in rubric.stages:
        reached = (
            obs.ended
            or stage.reached_if is None
            or evaluate(stage.reached_if, obs).verdict is Verdict.MET
        )
        met = applicable = 0
        for c in stage.criteria:
            result = {
                "id": c.id,
                "stage": stage.id,
                "title": c.title,
                "domain": c.domain,
                "weight": c.weight,
                "verdict": "not_applicable",
                "evidence": [],
                "note": "",
                "tip": None,
            }
            if obs.follow_up and not stage.in_follow_up:
                result["note"] = t("scorecard.note_follow_up_only")
            elif not reached:
                result["note"] = t("scorecard.note_stage_not_reached")
            elif (
                c.applies_if is not None and evaluate(c.applies_if, obs).verdict is not Verdict.MET
            ):
                result["note"] = _describe(c.applies_if, t)
            else:
                r = evaluate(c.check, obs)
                result["verdict"] = r.verdict.value
                result["evidence"] = _evidence(r.evidence, obs)
                result["note"] = "" if r.verdict is Verdict.MET else r.note
                if r.verdict is Verdict.MISSED:
                    result["tip"] = c.tip
            if result["verdict"] != "not_applicable":
                applicable += c.weight
                met += c.weight if result["verdict"] == "met" else 0
            criteria.append(result)
        stages.append(
            {
                "id": stage.id,
                "title": stage.title,
                "domain": stage.domain,
                "score": _score(met, applicable),
                "met": met,
                "applicable": applicable,
            }
        )
        met_total += met
        applicable_total += applicable

    violations: list[dict] = []
    for rule in rubric.phrasing:
        for n, hit in enumerate(obs.hits([rule.move])):
            d = hit.detection
            violations.append(
                {
                    "move": rule.move.value,
                    "title": rule.title,
                    "domain": rule.domain,
                    "turn": obs.positions[hit.k],
                    "agent_turn": hit.k + 1,
                    "quote": d.quote,
                    "start": d.quote_start,
                    "penalty": rule.penalty if n < rule.max_count else 0,
                    "tip": rule.tip,
                }
            )
    violations += _give_aways(obs, rubric)
    violations.sort(key=lambda v: (v["turn"], v["start"], v["move"]))
    penalty = round(sum(v["penalty"] for v in violations), 1)

    criteria_score = _score(met_total, applicable_total) or 0.0
    overall = round(max(0.0, criteria_score - penalty), 1)
    level = rubric.level_for(overall)
    # Plain data validated once by pydantic-core: far cheaper than a model per result.
    return Scorecard.model_validate(
        {
            "grader": GRADER_VERSION,
            "language": language,
            "rubric": {"id": rubric.id, "title": rubric.title, "hash": rubric.content_hash()},
            "transcript_id": transcript.id if transcript else None,
            "candidate": transcript.candidate if transcript else None,
            "persona": transcript.persona.id if transcript and transcript.persona else None,
            "ended": obs.ended,
            "agent_turns": obs.n,
            "overall": overall,
            "criteria_score": criteria_score,
            "penalty_total": penalty,
            "pass_mark": rubric.pass_mark,
            "passed": overall >= rubric.pass_mark,
            "level": level.id,
            "level_label": level.label,
            "stages": stages,
            "criteria": criteria,
            "violations": violations,
            "customer": _customer(transcript) if transcript else None,
            "record": obs.record.as_dict() if obs.record else None,
        }
    )
