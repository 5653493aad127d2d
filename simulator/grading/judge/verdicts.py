"""What the judge says: the questions it is asked, each checked answer (a sample), the
verdict per question after the vote, and the record of the run that produced them."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["yes", "no", "na", "abstain"]


class JudgeQuestion(BaseModel):
    """One yes/no question about the agent, with the DOMAIN section behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    domain: str = ""


class JudgeSample(BaseModel):
    """One answer from the model, after checking."""

    verdict: Verdict
    reasoning: str = ""
    turn: int | None = None
    quote: str | None = None
    verified: bool = False
    problem: str | None = Field(None, description="Why this sample abstains.")


class JudgeVerdict(BaseModel):
    """The judge's answer to one question."""

    id: str
    verdict: Verdict
    reasoning: str = ""
    turn: int | None = Field(None, description="Index in transcript.turns of the evidence.")
    quote: str | None = None
    verified: bool = Field(False, description="The quote was found in that agent turn.")
    flagged_for_review: bool = False
    votes: dict[str, int] = Field(default_factory=dict)
    samples: list[JudgeSample] = Field(default_factory=list)


class JudgeRun(BaseModel):
    """What produced the verdicts, for the scorecard."""

    model: str
    backend: str
    prompt_sha256: str
    questions_sha256: str
    samples: int
    temperature: float
    seed: int
    structured_output: str = Field(
        description="How JSON was asked for: json_schema, json_object or none (prompt only)."
    )
    structured_output_enforced: bool = Field(
        False, description="The backend constrains decoding to the schema (capability flag)."
    )


class JudgeReport(BaseModel):
    run: JudgeRun
    verdicts: list[JudgeVerdict]


def majority(question: JudgeQuestion, samples: list[JudgeSample]) -> JudgeVerdict:
    """The verdict most samples agree on, if more than half do; else abstain and flag."""
    votes = Counter(s.verdict for s in samples)
    winner, count = votes.most_common(1)[0]
    if winner == "abstain" or count * 2 <= len(samples):
        problems = sorted({s.problem for s in samples if s.problem})
        why = (
            "; ".join(problems)
            if problems
            else "the samples disagree ("
            + ", ".join(f"{v}: {n}" for v, n in sorted(votes.items()))
            + ")"
        )
        return JudgeVerdict(
            id=question.id,
            verdict="abstain",
            reasoning=f"Abstained: {why}.",
            flagged_for_review=True,
            votes=dict(votes),
            samples=samples,
        )
    best = next(s for s in samples if s.verdict == winner)
    return JudgeVerdict(
        id=question.id,
        verdict=winner,
        reasoning=best.reasoning,
        turn=best.turn,
        quote=best.quote,
        verified=best.verified,
        votes=dict(votes),
        samples=samples,
    )
