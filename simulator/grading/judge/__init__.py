"""The LLM judge: a model answers the rubric questions rules cannot see, and its answers
enter the scorecard only under a fixed policy.

Everything the judge is lives here:

* :mod:`.prompts`   the ``judge`` section of the prompt file, the transcript as the judge
  reads it, the answer schema and the hashes that name them;
* :mod:`.verdicts`  questions, checked samples, the vote, the record of a run;
* :mod:`.evidence`  checking an answer: parses, quotes the agent's own words;
* :mod:`.injection` words that address the grader, never evidence;
* :mod:`.run`       asking a backend every question (live);
* :mod:`.batch`     the same through the OpenAI Batch API (requests and verdicts);
* :mod:`.policy`    combining the verdicts with the rules into one scorecard.

Building the backend is :mod:`simulator.wiring`'s job; certification only calls in.
"""

from .policy import apply_judge, grade_with_judge, judge_questions
from .prompts import ANSWER_SCHEMA, judge_messages, prompt_hash, questions_hash
from .run import judge, run_judge
from .verdicts import JudgeQuestion, JudgeReport, JudgeRun, JudgeSample, JudgeVerdict

__all__ = [
    "ANSWER_SCHEMA",
    "JudgeQuestion",
    "JudgeReport",
    "JudgeRun",
    "JudgeSample",
    "JudgeVerdict",
    "apply_judge",
    "grade_with_judge",
    "judge",
    "judge_messages",
    "judge_questions",
    "prompt_hash",
    "questions_hash",
    "run_judge",
]
