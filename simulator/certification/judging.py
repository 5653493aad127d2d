"""The LLM judge in a certification run: questions from the rubric, verdicts per transcript.

Each rubric criterion may carry a ``judge:`` question. For every graded transcript the
judge core (:mod:`simulator.llm.judge`) is asked those questions; the backend retries
transient failures itself. Whatever still goes wrong (the server is down, the answer
never parses, the samples split, the judge abstains) becomes ``needs_review``: the
transcript waits for a human and is never failed because a machine broke.
"""

from __future__ import annotations

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


def judge_questions(rubric: Rubric) -> list[tuple[str, str]]:
    """(criterion id, question) for every criterion that carries a ``judge:`` question."""
    return [(c.id, c.judge) for _, c in rubric.criteria() if c.judge]


def _core():
    try:
        from ..llm import judge as core
    except ImportError:
        raise FrontlineError("the LLM judge is not available in this Frontline "
                             "(simulator.llm.judge is missing)") from None
    return core


def current_prompt_hash() -> str | None:
    """The hash of the judge prompt this Frontline sends, or None without a judge."""
    try:
        return _core().prompt_hash()
    except FrontlineError:
        return None


def verdict_record(verdicts: list, run_meta: object | None) -> tuple[str, dict]:
    """Turn the judge core's verdicts into a stored judgement and its status."""
    out, review = [], []
    for v in verdicts:
        data = v.model_dump(mode="json") if hasattr(v, "model_dump") else dict(v)
        criterion = data.get("criterion") or data.get("id")
        answer = data.get("verdict")
        if data.get("flagged_for_review") or answer not in ("yes", "no"):
            review.append(f"judge could not decide {criterion}: "
                          f"{data.get('reason') or answer or 'no verdict'}")
        out.append({"criterion": criterion, "question": data.get("question"),
                    "verdict": answer, "reason": data.get("reason", ""),
                    "votes": data.get("votes")})
    record: dict = {"verdicts": out}
    if run_meta is not None:
        meta = run_meta.model_dump(mode="json") if hasattr(run_meta, "model_dump") \
            else dict(getattr(run_meta, "__dict__", {}) or {})
        record["model"] = meta.get("model")
    if review:
        record["reason"] = "; ".join(review)
        return NEEDS_REVIEW, record
    return JUDGED, record


def make_judge_setup(exam: Exam, rubric: Rubric, backend=None) -> JudgeSetup:
    """A judge over the configured model (or ``backend``), asking the rubric's questions."""
    core = _core()
    questions = judge_questions(rubric)
    if not questions:
        raise FrontlineError(f"rubric {rubric.id} has no criterion with a judge: question, "
                             "so the judge has nothing to ask; run without --judge")
    if backend is None:
        from ..llm.config import load_backend_config
        from ..llm.openai_backend import OpenAIBackend

        config = load_backend_config()
        if config is None:
            raise FrontlineError(f"exam {exam.id} uses the LLM judge but no model is "
                                 "configured: set FRONTLINE_LLM_MODEL (and "
                                 "FRONTLINE_LLM_BASE_URL), see docs/llm.md")
        backend = OpenAIBackend(config)
    samples = exam.judge.samples

    def judge(name: str, text: str, record: dict) -> tuple[str, dict]:
        transcript = parse_transcript(text, name)
        try:
            verdicts, meta = core.judge(backend, transcript, questions, samples=samples)
        except FrontlineError as exc:  # the backend failed after its retries
            return NEEDS_REVIEW, {"reason": f"judge unavailable: {exc}"}
        return verdict_record(verdicts, meta)

    stamp = JudgeStamp(model=getattr(backend, "model", "unknown"),
                       prompt_hash=core.prompt_hash(), samples=samples)
    return JudgeSetup(judge, stamp)
