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
  are not sent (they abstain with the same error), so a dead server costs one timeout;
* where the backend's ``batch_questions`` capability is on (servers with enforced JSON
  Schema output), all questions go in one call per sample, the transcript first so it is
  sent once; an answer missing from it, or not fitting, is asked again on its own (the
  per-question path), and an unusable whole answer turns batching off for the run. Every
  answer's evidence is checked the same way on both paths.

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

import json
import logging

from ...llm.backend import ChatBackend
from ...llm.retry import BackendError
from ...transcript import Transcript
from .evidence import Answer, check_answer, parse_answer
from .prompts import (
    ANSWER_SCHEMA,
    JudgePrompts,
    all_answers_schema,
    judge_all_messages,
    judge_messages,
    judge_prompts,
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
    # One wording for the whole run (the transcript's language), so the hash names it.
    prompts = prompts or judge_prompts(transcript.language)
    caps = backend.capabilities
    schema = ANSWER_SCHEMA if caps.structured_output != "none" else None
    used_model = model or backend.model
    failure: BackendError | None = None
    answers: dict[str, list[JudgeSample]] = {q.id: [] for q in questions}
    batched = (
        caps.batch_questions and caps.structured_output == "json_schema" and len(questions) > 1
    )

    def ask(messages, i: int, json_schema: dict | None, tokens: int, what: str):
        nonlocal failure, used_model
        try:
            done = backend.complete(
                messages,
                temperature=temperature,
                seed=seed + i,
                json_schema=json_schema,
                model=model,
                max_tokens=tokens,
            )
        except BackendError as exc:
            failure = exc
            log.warning("judge: the model failed on %s: %s", what, exc)
            return None
        used_model = done.model or used_model
        return done.text

    def keep(question: JudgeQuestion, parsed: Answer | str) -> None:
        if isinstance(parsed, str):
            log.warning("judge: unusable answer to %r: %s", question.id, parsed)
            answers[question.id].append(JudgeSample(verdict="abstain", problem=parsed))
            return
        sample = check_answer(parsed, transcript)
        if sample.problem:
            log.warning("judge: discarded answer to %r: %s", question.id, sample.problem)
        answers[question.id].append(sample)

    for i in range(samples):
        found: dict[str, Answer] = {}
        if batched and failure is None:
            ids = [q.id for q in questions]
            text = ask(
                judge_all_messages(transcript, questions, prompts),
                i,
                all_answers_schema(ids),
                min(1024 * len(questions), 8192),
                "all questions",
            )
            if text is not None:
                got = parse_answers(text, ids)
                if isinstance(got, str):
                    log.warning("judge: one call for all questions failed (%s); asking each", got)
                    batched = False
                else:
                    found = got
        for question in questions:
            if failure is not None:
                answers[question.id].append(
                    JudgeSample(
                        verdict="abstain", problem=f"not asked: the model failed ({failure})"
                    )
                )
                continue
            if question.id in found:
                keep(question, found[question.id])
                continue
            text = ask(
                judge_messages(transcript, question, prompts), i, schema, 1024, repr(question.id)
            )
            if text is None:
                answers[question.id].append(
                    JudgeSample(verdict="abstain", problem=f"the model failed ({failure})")
                )
            else:
                keep(question, parse_answer(text))
    verdicts = [majority(q, answers[q.id]) for q in questions]
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


def parse_answers(text: str, ids: list[str]) -> dict[str, Answer] | str:
    """The answers of one call for every question, by question id (the first answer to
    each; entries that do not fit are left out, so their questions are asked again), or a
    message saying why the whole answer cannot be used."""
    body = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        return "the answer is not JSON"
    try:
        data = json.loads(body[start : end + 1])
    except (ValueError, RecursionError) as exc:
        return f"the answer is not valid JSON ({exc})"
    items = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return "the answer has no list of answers"
    out: dict[str, Answer] = {}
    for item in items:
        if not isinstance(item, dict) or item.get("id") not in ids or item["id"] in out:
            continue
        parsed = parse_answer(json.dumps(item))
        if not isinstance(parsed, str):
            out[item["id"]] = parsed
    return out


def judge(
    backend: ChatBackend,
    transcript: Transcript,
    questions: list[JudgeQuestion],
    samples: int = 1,
    **options,
) -> list[JudgeVerdict]:
    """The checked verdicts, one per question (see :func:`run_judge`)."""
    return run_judge(backend, transcript, questions, samples, **options).verdicts
