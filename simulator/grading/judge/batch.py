"""The judge over the OpenAI Batch API: the requests to submit and the verdicts from the
answers that come back, with exactly the checks and policy of the live judge.

The run side (files, batches, polling, resuming: ``simulator/certification/batch_api.py``)
only moves these requests and answers around. Each request's ``custom_id`` is
``"<transcript>.<question>.<sample>"``, numbers counted within one batch.
"""

from __future__ import annotations

import json
from typing import Any

from ...llm.backend import strip_think
from ...transcript import Transcript
from ..grader import grade
from ..rubric import Rubric
from ..scorecard import Scorecard
from .evidence import check_answer, parse_answer
from .policy import apply_judge
from .prompts import ANSWER_SCHEMA, judge_messages, judge_prompts, prompt_hash, questions_hash
from .verdicts import JudgeQuestion, JudgeReport, JudgeRun, JudgeSample, majority

# One answer: its text, or None and why there is none.
Answer = tuple[str | None, str | None]


def request_body(messages: list[dict], seed: int, *, model: str, capabilities: Any) -> dict:
    """One chat-completions request body, as the live judge would send it."""
    caps = capabilities
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": 0.0,
        caps.max_tokens_param: 1024,
    }
    if caps.seed:
        body["seed"] = seed
    if caps.structured_output == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": ANSWER_SCHEMA["title"],
                "schema": ANSWER_SCHEMA,
                "strict": True,
            },
        }
    elif caps.structured_output == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


def request_lines(
    index: int,
    transcript: Transcript,
    questions: list[JudgeQuestion],
    samples: int,
    *,
    model: str,
    capabilities: Any,
    language: str | None = None,
) -> list[str]:
    """The JSONL request lines for transcript number ``index`` of a batch, in the judge's
    wording for ``language`` (the batch's, so one prompt hash names the whole batch)."""
    lines = []
    prompts = judge_prompts(language)
    for qi, question in enumerate(questions):
        messages = judge_messages(transcript, question, prompts)
        for si in range(samples):
            lines.append(
                json.dumps(
                    {
                        "custom_id": f"{index}.{qi}.{si}",
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": request_body(messages, si, model=model, capabilities=capabilities),
                    },
                    ensure_ascii=False,
                )
            )
    return lines


def read_result_line(line: dict) -> tuple[str, Answer, str | None]:
    """(custom_id, answer, model that answered) from one line of a batch output or error
    file; a failed request gives no text and the reason."""
    response = line.get("response") or {}
    body = response.get("body") or {}
    if response.get("status_code") == 200 and body.get("choices"):
        text = body["choices"][0].get("message", {}).get("content") or ""
        return line["custom_id"], (strip_think(text)[0], None), body.get("model")
    err = line.get("error") or body.get("error") or {}
    why = err.get("message") or response.get("status_code")
    return line["custom_id"], (None, f"the model failed (batch: {why})"), None


def batch_run(
    model: str,
    questions: list[JudgeQuestion],
    samples: int,
    capabilities: Any,
    language: str | None = None,
) -> JudgeRun:
    """What produced the verdicts, as the live judge records it."""
    return JudgeRun(
        model=model,
        backend=f"batch:{model}",
        prompt_sha256=prompt_hash(judge_prompts(language)),
        questions_sha256=questions_hash(questions),
        samples=samples,
        temperature=0.0,
        seed=0,
        structured_output=capabilities.structured_output,
    )


def judged_scorecard(
    index: int,
    transcript: Transcript,
    rubric: Rubric,
    questions: list[JudgeQuestion],
    samples: int,
    answers: dict[str, Answer],
    run: JudgeRun,
) -> Scorecard:
    """Transcript number ``index`` graded by the rules and then judged from the batch's
    ``answers`` (by custom_id): same checks, vote and policy as the live judge."""
    verdicts = []
    for qi, question in enumerate(questions):
        checked = []
        for si in range(samples):
            text, problem = answers.get(
                f"{index}.{qi}.{si}", (None, "no answer in the batch output")
            )
            if text is None:
                checked.append(JudgeSample(verdict="abstain", problem=problem))
                continue
            parsed = parse_answer(text)
            checked.append(
                JudgeSample(verdict="abstain", problem=parsed)
                if isinstance(parsed, str)
                else check_answer(parsed, transcript)
            )
        verdicts.append(majority(question, checked))
    report = JudgeReport(run=run, verdicts=verdicts)
    return apply_judge(grade(transcript, rubric), transcript, rubric, report)
