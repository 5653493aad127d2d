"""The LLM judge: yes / no / not-applicable per question, with evidence checked in code.

For criteria rules cannot see ("did the agent explain the cause in terms the customer
could follow?"), a model reads the transcript and answers one question at a time:
reasoning first, then the verdict, the number of the agent turn it relies on and a
verbatim quote from that turn. Nothing it says is taken on trust:

* every answer's evidence is checked in code (:mod:`.evidence`): a verdict whose quote
  is not the agent's own words in the cited turn, or that addresses the grader, abstains;
* output that does not parse or validate abstains; nothing is guessed;
* with ``samples > 1`` each question is asked that many times (seed + i) and a verdict
  needs a strict majority; otherwise, including ties, the answer is ``abstain``;
* every ``abstain`` is ``flagged_for_review``: never a silent pass or fail;
* if the backend fails, the question abstains with the error and the questions after it
  are not sent (they abstain with the same error), so a dead server costs one timeout.

API (independent of the rubric format)::

    questions = [JudgeQuestion(id="explains-cause", question="Did the agent explain why the
                 customer was charged twice?", domain="DOMAIN §3.3: explain the cause")]
    report = run_judge(backend, transcript, questions, samples=3)
    report.run          # JudgeRun: model, backend, prompt_sha256, questions_sha256, ...
    report.verdicts     # one JudgeVerdict per question, in order
    judge(backend, transcript, questions)   # just the verdicts

The scorecard should record ``report.run`` and must never let a verdict override a
deterministic (rule-detected) violation: the judge only answers what rules cannot see.
Requests use temperature 0 and a seed where the backend supports it; structured output
(a JSON Schema) where the backend's capability flags allow, and the answer is validated
with pydantic either way.
"""

from __future__ import annotations

import logging

from ...llm.backend import ChatBackend
from ...llm.retry import BackendError
from ...transcript import Transcript
from .evidence import check_answer, parse_answer
from .prompts import (
    ANSWER_SCHEMA,
    JudgePrompts,
    judge_messages,
    prompt_hash,
    questions_hash,
)
from .verdicts import JudgeQuestion, JudgeReport, JudgeRun, JudgeSample, JudgeVerdict, majority

log = logging.getLogger("frontline.llm")


def run_judge(
    backend: ChatBackend,
    transcript: Transcript,
    questions: list[JudgeQuestion],
    samples: int = 1,
    *,
    seed: int = 0,
    temperature: float = 0.0,
    model: str | None = None,
    prompts: JudgePrompts | None = None,
) -> JudgeReport:
    """Ask every question ``samples`` times; return the checked verdicts and run metadata."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    caps = backend.capabilities
    schema = ANSWER_SCHEMA if caps.structured_output != "none" else None
    used_model = model or backend.model
    failure: BackendError | None = None
    verdicts = []
    for question in questions:
        messages = judge_messages(transcript, question, prompts)
        answers: list[JudgeSample] = []
        for i in range(samples):
            if failure is not None:
                answers.append(
                    JudgeSample(
                        verdict="abstain", problem=f"not asked: the model failed ({failure})"
                    )
                )
                continue
            try:
                done = backend.complete(
                    messages,
                    temperature=temperature,
                    seed=seed + i,
                    json_schema=schema,
                    model=model,
                    max_tokens=1024,
                )
            except BackendError as exc:
                failure = exc
                log.warning("judge: the model failed on %r: %s", question.id, exc)
                answers.append(JudgeSample(verdict="abstain", problem=f"the model failed ({exc})"))
                continue
            used_model = done.model or used_model
            parsed = parse_answer(done.text)
            if isinstance(parsed, str):
                log.warning("judge: unusable answer to %r: %s", question.id, parsed)
                answers.append(JudgeSample(verdict="abstain", problem=parsed))
            else:
                sample = check_answer(parsed, transcript)
                if sample.problem:
                    log.warning("judge: discarded answer to %r: %s", question.id, sample.problem)
                answers.append(sample)
        verdicts.append(majority(question, answers))
    run = JudgeRun(
        model=used_model,
        backend=backend.name,
        prompt_sha256=prompt_hash(prompts),
        questions_sha256=questions_hash(questions),
        samples=samples,
        temperature=temperature,
        seed=seed,
        structured_output=caps.structured_output if schema else "none",
        structured_output_enforced=bool(schema) and caps.structured_output_enforced,
    )
    return JudgeReport(run=run, verdicts=verdicts)


def judge(
    backend: ChatBackend,
    transcript: Transcript,
    questions: list[JudgeQuestion],
    samples: int = 1,
    **options,
) -> list[JudgeVerdict]:
    """The checked verdicts, one per question (see :func:`run_judge`)."""
    return run_judge(backend, transcript, questions, samples, **options).verdicts
