"""The LLM judge in a certification run: questions from the rubric, verdicts per transcript.

There is one judge integration: each transcript goes through
:func:`simulator.grading.judge.grade_with_judge` (rules, then the judge asking every
criterion's ``judge:`` question, then the shared policy); the Batch API path collects its
answers and applies them the same way (:mod:`simulator.grading.judge.batch`). This module
is only the runner's side: which backend, and what is stored. The backend
retries transient failures itself. Whatever still goes wrong (the server is down, the
answer never parses, the samples split, the judge abstains) becomes ``needs_review``: the
transcript waits for a human and is never failed because a machine broke. On top of the
shared policy, certification is stricter (see cohort.py): where the judge and the rules
disagree, a human decides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import FrontlineError
from ..grading.rubric import Rubric
from .exam import Exam
from .results_store import JUDGED, NEEDS_REVIEW
from .rule_grading import parse_transcript
from .stamps import JudgeStamp

JudgeFn = Callable[[str, str, dict], tuple[str, dict]]


@dataclass(frozen=True)
class JudgeSetup:
    """A judge ready for a run, and the stamp that names it."""

    judge: JudgeFn
    stamp: JudgeStamp


def judge_questions(rubric: Rubric):
    """The judge's questions: one per rubric criterion that carries a ``judge:`` question."""
    from ..grading.judge import judge_questions as questions

    return questions(rubric)


def current_prompt_hash(language: str | None = None) -> str:
    """The hash of the judge prompt (templates and answer schema) this Frontline sends for
    conversations in ``language`` (its language pack's wording, if it has any)."""
    from ..grading.judge import prompt_hash
    from ..grading.judge.prompts import judge_prompts

    return prompt_hash(judge_prompts(language))


def judgement_record(card) -> tuple[str, dict]:
    """The stored judgement of a judged scorecard, and its status: any abstention (backend
    failure, unusable answer, split samples) means ``needs_review``. ``verdicts`` keep the
    judge's own answer per criterion; cohort.py compares them with the rules."""
    judge = card.judge
    out = [
        {
            "criterion": c.criterion,
            "verdict": c.verdict,
            "reasoning": c.reasoning,
            "turn": c.turn,
            "quote": c.quote,
            "votes": c.votes,
            "verified": c.verified,
            "rule_verdict": c.rule_verdict,
            "result": c.result,
            "effect": c.effect,
            **({"evidence_problem": c.evidence_problem} if c.evidence_problem else {}),
        }
        for c in judge.criteria
    ]
    record: dict = {
        "verdicts": out,
        "model": judge.model,
        "prompt_sha256": judge.prompt_sha256,
        "judged_score": card.overall,
    }
    # A "yes" whose quote does not show the behaviour is a decision that disagrees with the
    # rules, and cohort.py sends every disagreement to a human; only what the judge could
    # not decide at all makes the judgement itself need review.
    doubted = {c.criterion for c in judge.criteria if c.evidence_problem}
    undecided = [r for r in judge.review if r.split(":", 1)[0] not in doubted]
    if undecided:
        record["reason"] = "the judge could not decide: " + "; ".join(undecided)
        return NEEDS_REVIEW, record
    return JUDGED, record


def configured_backend(exam: Exam, base_url: str | None = None):
    """The configured model, with the exam's number of tries per call; ``base_url``
    replaces the configured server (one replica of a farm)."""
    from ..wiring import judge_backend

    return judge_backend(f"exam {exam.id}", max_attempts=exam.judge.max_attempts, base_url=base_url)


def make_judge_setup(
    exam: Exam, rubric: Rubric, backend=None, farm: list[str] | None = None
) -> JudgeSetup:
    """A judge over the configured model (or ``backend``), asking the rubric's questions.

    ``farm`` lists base URLs of OpenAI-compatible servers serving the same model (vLLM
    replicas without a load balancer in front): each transcript goes to one of them,
    chosen by its content hash, so its samples can share the server's prefix cache."""
    from ..grading.judge import grade_with_judge
    from ..moves.combine import default_reader

    questions = judge_questions(rubric)
    if not questions:
        raise FrontlineError(
            f"rubric {rubric.id} has no criterion with a judge: question, "
            "so the judge has nothing to ask; run without --judge"
        )
    backends = (
        [backend]
        if backend
        else [configured_backend(exam, url) for url in farm]
        if farm
        else [configured_backend(exam)]
    )
    if len({b.model for b in backends}) != 1:
        raise FrontlineError("every server of a judge farm must serve the same model")
    samples = exam.judge.samples
    # Built here, once: rule grading ran in worker processes, and judge threads that all
    # missed the detector cache at once would each compile the patterns (seconds of CPU).
    detector = default_reader(rubric.language)

    def judge(name: str, text: str, record: dict) -> tuple[str, dict]:
        transcript = parse_transcript(text, name)
        chosen = backends[int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % len(backends)]
        return judgement_record(
            grade_with_judge(transcript, rubric, chosen, samples=samples, detector=detector)
        )

    stamp = JudgeStamp(
        model=backends[0].model, prompt_hash=current_prompt_hash(rubric.language), samples=samples
    )
    return JudgeSetup(judge, stamp)
