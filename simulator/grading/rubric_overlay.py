"""Per-language overlays: one rubric file, its texts in several languages.

A rubric is written in one base language (English for the shipped ones). Its
``languages`` mapping gives, per language code, the texts a trainee reads in that
language: the title and summary, level labels, stage titles, each criterion's title and
tip (with example phrasings written natively in that language) and, optionally, its
judge question, and each phrasing rule's (and the give-away rule's) title and tip. Every
text is found by the id of what it names (a stage, a criterion, a level, a phrasing
rule's move); nothing that decides a grade (checks, weights, penalties, pass mark) is in
an overlay, so a rubric grades the same in every language.

:func:`overlay_problems` reports an id the base lacks (an error, at the overlay's line)
and :func:`missing_texts` what a language still lacks (``frontline validate`` lists it);
:func:`localise` gives the rubric with one language's texts. Mirrors
:mod:`simulator.persona.overlay`. See docs/rubrics.md, "Rubrics in several languages".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Problem
from ..moves.vocabulary import Move
from ..yamlfile import Lines, field_path, line_for

if TYPE_CHECKING:
    from .rubric import Rubric

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
GIVE_AWAY = "give_away"  # the key of the give-away rule among the phrasing texts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionTexts(_Strict):
    """A criterion's texts in one language (the criterion is the overlay key's id)."""

    title: str | None = Field(None, min_length=1, max_length=120)
    tip: str | None = Field(None, min_length=1, description="Shown when missed, with words to say.")
    judge: str | None = Field(
        None, min_length=1, description="Optional: the judge question in this language."
    )


class RuleTexts(_Strict):
    """A phrasing rule's (or the give-away rule's) texts in one language: the violation the
    scorecard names and the phrasing to use instead."""

    title: str | None = Field(None, min_length=1, max_length=120)
    tip: str | None = Field(None, min_length=1)


class RubricOverlay(_Strict):
    """What one language changes in a rubric: texts only, each keyed by the id it names."""

    title: str | None = Field(None, min_length=1, max_length=80)
    summary: str | None = Field(None, min_length=1, max_length=200)
    levels: dict[str, Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=dict, description="Level id to its label in this language."
    )
    stages: dict[str, Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=dict, description="Stage id to its title in this language."
    )
    criteria: dict[str, CriterionTexts] = Field(
        default_factory=dict, description="Criterion id to its texts in this language."
    )
    phrasing: dict[Move, RuleTexts] = Field(
        default_factory=dict, description="Phrasing rule (its violation move) to its texts."
    )
    give_away: RuleTexts | None = None


def _ids(rubric: Rubric) -> dict[str, set[str]]:
    return {
        "levels": {lv.id for lv in rubric.levels},
        "stages": {s.id for s in rubric.stages},
        "criteria": {c.id for _, c in rubric.criteria()},
        "phrasing": {r.move.value for r in rubric.phrasing},
    }


def overlay_problems(rubric: Rubric, name: str, lines: Lines) -> list[Problem]:
    """Every id an overlay names that the base rubric lacks (and a give-away text for a
    rubric without the rule), each at the overlay's own line; empty when all are known."""
    known = _ids(rubric)
    singular = {"levels": "level", "stages": "stage", "criteria": "criterion"}
    problems = []
    for language, overlay in rubric.languages.items():
        for group, ids in known.items():
            for key in getattr(overlay, group):
                key = getattr(key, "value", key)
                if key not in ids:
                    loc = ("languages", language, group, key)
                    what = singular.get(group, "phrasing rule for")
                    why = f"no {what} {key!r} in the base rubric (known: {', '.join(sorted(ids))})"
                    problems.append(Problem(name, why, line_for(loc, lines), field_path(loc)))
        if overlay.give_away is not None and rubric.give_away is None:
            loc = ("languages", language, GIVE_AWAY)
            why = "the base rubric has no give_away rule"
            problems.append(Problem(name, why, line_for(loc, lines), field_path(loc)))
    return problems


def missing_texts(rubric: Rubric, name: str, lines: Lines) -> list[Problem]:
    """What each language the rubric offers still lacks (a text the trainee would read in
    the base language): one problem per overlay part, at its line, listing the fields."""
    problems = []

    def report(loc: tuple, lacking: list[str]) -> None:
        if lacking:
            message = f"missing in this language: {', '.join(lacking)}"
            problems.append(Problem(name, message, line_for(loc, lines), field_path(loc)))

    for language, o in rubric.languages.items():
        here = ("languages", language)
        report(here, [f for f in ("title", "summary") if getattr(o, f) is None])
        report(here + ("levels",), [lv.id for lv in rubric.levels if lv.id not in o.levels])
        report(here + ("stages",), [s.id for s in rubric.stages if s.id not in o.stages])
        lacking = []
        for _, c in rubric.criteria():
            texts = o.criteria.get(c.id) or CriterionTexts()
            lacking += [f"{c.id}.{f}" for f in ("title", "tip") if getattr(texts, f) is None]
            if c.judge and texts.judge is None:  # the judge would be asked in the base language
                lacking.append(f"{c.id}.judge")
        report(here + ("criteria",), lacking)
        lacking = []
        for r in rubric.phrasing:
            texts = o.phrasing.get(r.move) or RuleTexts()
            lacking += [
                f"{r.move.value}.{f}" for f in ("title", "tip") if getattr(texts, f) is None
            ]
        report(here + ("phrasing",), lacking)
        if rubric.give_away is not None:
            texts = o.give_away or RuleTexts()
            fields = [f"{GIVE_AWAY}.{f}" for f in ("title", "tip") if getattr(texts, f) is None]
            report(here, fields)
    return problems


def _put(target: dict, texts: BaseModel | None, fields: tuple[str, ...]) -> None:
    for f in fields:
        value = getattr(texts, f, None) if texts is not None else None
        if value is not None:
            target[f] = value


def localise(rubric: Rubric, language: str) -> dict[str, Any]:
    """The rubric's data with ``language``'s texts in place of the base's (a text the
    overlay lacks stays the base's); no overlays in it. Validated by the caller."""
    o = rubric.languages[language]
    data = rubric.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"languages"})
    _put(data, o, ("title", "summary"))
    for level in data["levels"]:
        level["label"] = o.levels.get(level["id"], level["label"])
    for stage in data["stages"]:
        stage["title"] = o.stages.get(stage["id"], stage["title"])
        for c in stage["criteria"]:
            _put(c, o.criteria.get(c["id"]), ("title", "tip", "judge"))
    for rule in data.get("phrasing", []):
        _put(rule, o.phrasing.get(Move(rule["move"])), ("title", "tip"))
    if "give_away" in data:
        _put(data["give_away"], o.give_away, ("title", "tip"))
    data["language"] = rubric.language  # the move patterns it names stay the base's field
    return data
