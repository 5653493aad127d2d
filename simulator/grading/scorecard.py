"""The scorecard: what the grader says about one transcript, and its text rendering.

The pydantic model is the source of truth (``--json`` prints it; ``docs/scorecard-format.md``
describes it). Every quote is a verbatim substring of the agent turn it cites:
``transcript.turns[turn].text[start:start + len(quote)] == quote``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..customer.state import Outcome
from ..languages.catalogue import BASE, Texts
from ..languages.formatting import number

SCORECARD_SCHEMA_VERSION = 1


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(Model):
    """Words from one agent turn that show (or, for a miss, expose) a move."""

    turn: int = Field(description="Index of the turn in the transcript's ``turns`` (0-based).")
    agent_turn: int = Field(description="Which agent turn it is (1 = the agent's first).")
    move: str
    quote: str = Field(description="The sentence, verbatim.")
    start: int = Field(description="Character offset of the quote in the turn's text.")
    by: Literal["rules", "judge"] = Field(
        "rules",
        description="Who found it: the rule "
        "detector, or the LLM judge (its verified quote; "
        "``move`` is then 'judge').",
    )


class CriterionResult(Model):
    id: str
    stage: str
    title: str
    domain: str
    weight: int
    verdict: Literal["met", "missed", "not_applicable"]
    evidence: list[Evidence] = Field(
        default_factory=list,
        description="For 'met': the words "
        "that meet it; for 'missed': words that show the gap, "
        "when there are any.",
    )
    note: str = Field("", description="Why, in a sentence (for misses and not-applicable).")
    tip: str | None = Field(None, description="What to do instead; only when missed.")
    rule_verdict: Literal["met", "missed", "not_applicable"] | None = Field(
        None,
        description="Set when the LLM judge ran: the rules' own verdict, which "
        "``verdict`` may differ from (see ``judge.criteria``).",
    )
    needs_review: bool = Field(
        False,
        description="The judge was asked and could not give a "
        "usable answer: a human should check this verdict.",
    )


class StageResult(Model):
    id: str
    title: str
    domain: str
    score: float | None = Field(
        description="0-100 over the stage's applicable criteria; null when none applied."
    )
    met: int = Field(description="Weight of criteria met.")
    applicable: int = Field(description="Weight of criteria that applied.")


class Violation(Model):
    move: str
    title: str
    domain: str
    turn: int
    agent_turn: int
    quote: str
    start: int
    penalty: float = Field(description="Points taken off; 0 beyond the rule's max_count.")
    tip: str
    why: str = Field(
        "",
        description="What broke the rule, when the quote alone does not say "
        "(a give-away: what was offered beyond the company's rules).",
    )


class CustomerResult(Model):
    """How the conversation ended for the customer, when the transcript records it."""

    outcome: Outcome
    anger: float | None = None
    trust: float | None = None
    patience: float | None = None


class CriterionJudgement(Model):
    """The LLM judge's answer about one criterion, next to what the rules said."""

    criterion: str
    question: str
    decided_by: Literal["rules", "either", "judge"]
    rule_verdict: Literal["met", "missed", "not_applicable"]
    verdict: Literal["yes", "no", "na", "abstain"] = Field(
        description="The judge's answer after checking its evidence."
    )
    result: Literal["met", "missed", "not_applicable"] = Field(
        description="The criterion's verdict on the scorecard."
    )
    effect: Literal["agrees", "changed", "recorded", "review"] = Field(
        description="agrees: judge and rules agree; changed: the judge changed the verdict; "
        "recorded: they disagree but policy keeps the rules' verdict; review: the judge gave "
        "no usable answer where it could matter, or a 'yes' whose quote does not show the "
        "behaviour (needs_review)."
    )
    reasoning: str = ""
    turn: int | None = Field(None, description="Index in the transcript's turns of the quote.")
    agent_turn: int | None = None
    quote: str | None = None
    verified: bool = Field(False, description="The quote was found in that agent turn.")
    votes: dict[str, int] = Field(default_factory=dict)
    flagged: bool = Field(
        False,
        description="The judge abstained: unparseable output, "
        "evidence not in the transcript, split samples or a failed backend.",
    )
    evidence_problem: str | None = Field(
        None,
        description="Why a verified 'yes' could not "
        "change the verdict: its quote is not a whole clause "
        "or 3+ whole words that the rule detector reads as "
        "the criterion's move (effect: review).",
    )


class JudgeResult(Model):
    """What the LLM judge said and what produced it (present only when it ran)."""

    model: str
    backend: str
    prompt_sha256: str = Field(
        description="sha256 of the judge's prompt templates and answer schema."
    )
    questions_sha256: str = Field(description="sha256 of the questions asked.")
    rubric_hash: str = Field(description="The rubric the questions came from.")
    samples: int
    temperature: float
    seed: int
    structured_output: str = "none"
    criteria: list[CriterionJudgement] = Field(default_factory=list)
    needs_review: bool = False
    review: list[str] = Field(default_factory=list, description="Why a human should look.")


class RecordField(Model):
    """One field of the complaint record, graded against the case (DOMAIN §3.10)."""

    field: str
    label: str
    verdict: Literal["met", "missed"]
    reason: str


class RecordResult(Model):
    """The complaint record the trainee filled in after the call, field by field."""

    against_case: bool = Field(
        description="False when the persona was not available: only completeness was checked."
    )
    met: int
    of: int
    fields: list[RecordField]


class RubricRef(Model):
    id: str
    title: str
    hash: str


class Scorecard(Model):
    """The grade of one transcript against one rubric."""

    schema_version: Literal[1] = 1
    grader: str = Field(description="Grader name and version, e.g. 'rules-1'.")
    language: str | None = Field(
        None,
        description="The language its texts are in (the transcript's, else the rubric's): "
        "titles and tips come from the rubric's overlay for it, labels from its catalogue.",
    )
    rubric: RubricRef
    transcript_id: str | None = None
    candidate: str | None = None
    persona: str | None = None
    ended: bool = Field(
        description="False when graded as a partial conversation: stages "
        "it had not reached, and end-of-call checks, are not applicable."
    )
    agent_turns: int
    overall: float = Field(ge=0, le=100, description="Criteria score minus penalties, 0-100.")
    criteria_score: float = Field(ge=0, le=100)
    penalty_total: float = Field(ge=0)
    pass_mark: float
    passed: bool
    level: str
    level_label: str
    stages: list[StageResult]
    criteria: list[CriterionResult]
    violations: list[Violation]
    customer: CustomerResult | None = None
    record: RecordResult | None = Field(
        None,
        description="The complaint record made after the call, "
        "graded field by field (DOMAIN §3.10); null when none was made.",
    )
    needs_review: bool = Field(
        False,
        description="The LLM judge could not give a usable "
        "answer somewhere it could matter, or an agent turn addresses "
        "the grader rather than the customer; see judge.review.",
    )
    judge: JudgeResult | None = Field(
        None,
        description="The LLM judge's verdicts and run "
        "metadata; null when graded by the rules alone.",
    )


QUOTE_LIMIT = 160


def verdict_labels(t: Texts) -> dict[str, str]:
    """MET / MISSED / N/A in the reader's language, padded to one width for a column."""
    labels = {v: t(f"scorecard.verdict_{v}") for v in ("met", "missed", "not_applicable")}
    width = max(len(x) for x in labels.values())
    return {v: x.ljust(width) for v, x in labels.items()}


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= QUOTE_LIMIT else f'"{text[: QUOTE_LIMIT - 1]}…"'


def _clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _judge_line(j: CriterionJudgement, t: Texts) -> str:
    """One line: what the judge said about a criterion and what came of it."""
    said = t("scorecard.judge_abstained") if j.verdict == "abstain" else j.verdict
    if j.effect == "changed":
        effect = t(
            "scorecard.judge_changed",
            before=t(f"scorecard.word_{j.rule_verdict}"),
            after=t(f"scorecard.word_{j.result}"),
        )
    else:
        effect = t(f"scorecard.judge_{j.effect}")
    line = t("scorecard.judge_said", said=said, effect=effect)
    if j.evidence_problem:
        return f"{line}: {_clip(j.evidence_problem)}"
    if j.verdict == "abstain" or j.effect in ("review", "recorded"):
        why = j.reasoning.removeprefix("Abstained: ")
        return f"{line}: {_clip(why)}" if why else line
    if j.quote and j.verified and j.effect != "changed":  # a change shows it as evidence
        line += ", " + t("scorecard.evidence", turn=j.agent_turn, quote=_quote(j.quote))
    return line


def _turns(t: Texts, n: int) -> str:
    return t("scorecard.turns_one" if n == 1 else "scorecard.turns_other", n=n)


def render_text(card: Scorecard, source: str | None = None, language: str | None = None) -> str:
    """A readable scorecard for the terminal: what went well, what was missed, and why;
    every label in ``language`` (default: the card's own), numbers written its way."""
    language = language or card.language or BASE
    t = Texts(language)
    labels = verdict_labels(t)

    def n(value: float) -> str:
        return number(value, language)

    lines: list[str] = []
    head = t("scorecard.heading", source=source or card.transcript_id or t("scorecard.transcript"))
    lines += [head, "=" * min(len(head), 78)]
    lines.append(t("scorecard.rubric", title=card.rubric.title, id=card.rubric.id))
    who = ", ".join(
        x
        for x in (
            card.candidate and t("scorecard.who_agent", name=card.candidate),
            card.persona and t("scorecard.who_customer", name=card.persona),
        )
        if x
    )
    if who:
        lines.append(t("scorecard.who", who=who))
    verdict = t("scorecard.pass") if card.passed else t("scorecard.fail")
    lines.append(
        t(
            "scorecard.overall",
            overall=n(card.overall),
            verdict=verdict,
            pass_mark=n(card.pass_mark),
            level=card.level_label,
        )
    )
    lines.append(
        t(
            "scorecard.totals",
            criteria=n(card.criteria_score),
            penalties=n(card.penalty_total),
            turns=_turns(t, card.agent_turns),
        )
        + ("" if card.ended else t("scorecard.partial"))
    )
    if card.customer:
        mood = ", ".join(
            t(f"scorecard.{k}", value=n(v))
            for k, v in (("anger", card.customer.anger), ("trust", card.customer.trust))
            if v is not None
        )
        outcome = t(f"scorecard.outcome_{card.customer.outcome.value}")
        lines.append(t("scorecard.customer", outcome=outcome) + (f" ({mood})" if mood else ""))
    if card.judge:
        j = card.judge
        lines.append(
            t(
                "scorecard.judge",
                model=j.model,
                backend=j.backend,
                samples=j.samples,
                temperature=n(j.temperature),
                prompt=j.prompt_sha256[:19],
            )
        )
    if card.needs_review:
        lines.append(t("scorecard.needs_review"))
        lines += [f"         - {_clip(r)}" for r in (card.judge.review if card.judge else [])]
    judged = {j.criterion: j for j in card.judge.criteria} if card.judge else {}
    by_stage: dict[str, list[CriterionResult]] = {}
    for c in card.criteria:
        by_stage.setdefault(c.stage, []).append(c)
    pad = " " * (len(labels["met"]) + 3)
    for stage in card.stages:
        score = t("scorecard.na") if stage.score is None else f"{n(stage.score)}%"
        lines += ["", f"{stage.title} [{stage.domain}]: {score}"]
        for c in by_stage.get(stage.id, []):
            lines.append(f"  {labels[c.verdict]} {c.title} [{c.domain}]")
            if c.verdict == "met":
                shown = set()
                for e in c.evidence:
                    if (e.turn, e.start) not in shown:  # one sentence may show two moves
                        shown.add((e.turn, e.start))
                        lines.append(pad + _evidence_line(t, e))
            else:
                if c.note:
                    lines.append(f"{pad}({c.note})")
                if c.verdict == "missed":
                    for e in c.evidence[:1]:
                        lines.append(pad + _evidence_line(t, e))
                    lines.append(pad + t("scorecard.tip", tip=c.tip))
            if c.id in judged:
                lines.append(f"{pad}{_judge_line(judged[c.id], t)}")
    if card.record is not None:
        r = card.record
        against = "" if r.against_case else t("scorecard.record_completeness")
        lines += ["", t("scorecard.record", met=r.met, of=r.of) + against]
        for f in r.fields:
            lines.append(f"  {labels[f.verdict]} {f.label}: {_clip(f.reason)}")
    lines += ["", t("scorecard.phrasing") if card.violations else t("scorecard.no_violations")]
    for v in card.violations:
        cost = f"-{n(v.penalty)}" if v.penalty else " 0 " + t("scorecard.over_limit")
        where = t("scorecard.evidence", turn=v.agent_turn, quote=_quote(v.quote))
        lines.append(f"  {cost:>4} {v.title} [{v.domain}], {where}")
        if v.why:
            lines.append("       " + t("scorecard.why", why=v.why))
        lines.append("       " + t("scorecard.instead", tip=v.tip))
    return "\n".join(lines) + "\n"


def _evidence_line(t: Texts, e: Evidence) -> str:
    who = t("scorecard.by_judge") if e.by == "judge" else ""
    return t("scorecard.evidence", turn=f"{e.agent_turn}{who}", quote=_quote(e.quote))
