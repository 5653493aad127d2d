"""The judge's prompts shaped for small models and prompt caches (issue 17): the transcript
first and the questions after it, all questions in one structured call where the server
supports it, the per-question path as fallback, the evidence checks on both."""

from __future__ import annotations

import json

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_support import backend_for

from simulator.grading.judge import JudgeQuestion, run_judge
from simulator.grading.judge.prompts import judge_messages
from simulator.grading.judge.run import parse_answers
from simulator.transcript import Transcript, Turn

CALL = Transcript(
    turns=[
        Turn("customer", "You charged me twice for my order."),
        Turn("agent", "I'm sorry. The payment system retried your card after a timeout."),
        Turn("customer", "So what now?"),
        Turn("agent", "I will refund the second charge today."),
    ]
)
QUESTIONS = [
    JudgeQuestion(id="explains-cause", question="Did the agent explain the cause?"),
    JudgeQuestion(id="remedy", question="Did the agent offer a concrete remedy?"),
    JudgeQuestion(id="timescale", question="Did the agent say when?"),
]


def entry(qid: str, verdict: str, turn: int | None, quote: str | None) -> dict:
    return {"id": qid, "reasoning": "Read it.", "verdict": verdict, "turn": turn, "quote": quote}


def single(verdict: str, turn: int | None, quote: str | None) -> Reply:
    return Reply(
        content=json.dumps(
            {"reasoning": "Read it.", "verdict": verdict, "turn": turn, "quote": quote}
        )
    )


@pytest.fixture
def server():
    with FakeOpenAIServer() as srv:
        yield srv


def batched(server):
    return backend_for(server, capabilities={"batch_questions": True})


def test_one_call_answers_every_question_with_the_transcript_first(server):
    server.script(
        Reply(
            content=json.dumps(
                {
                    "answers": [
                        entry("explains-cause", "yes", 1, "The payment system retried your card"),
                        entry("remedy", "yes", 3, "I will refund the second charge today."),
                        entry("timescale", "yes", 3, "today"),
                    ]
                }
            )
        )
    )
    report = run_judge(batched(server), CALL, QUESTIONS)
    assert [v.verdict for v in report.verdicts] == ["yes", "yes", "yes"]
    assert all(v.verified for v in report.verdicts)
    [body] = server.chat_requests()
    user = body["messages"][1]["content"]
    assert user.startswith("Transcript") and user.index("</transcript>") < user.index("[remedy]")
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["answers"]["items"]["properties"]["id"]["enum"] == [
        "explains-cause",
        "remedy",
        "timescale",
    ]


def test_each_single_question_request_starts_with_the_same_transcript_text():
    # The prefix every question shares is the whole system prompt and the transcript, so
    # a server's prompt cache serves the second question onwards.
    first, second = (judge_messages(CALL, q) for q in QUESTIONS[:2])
    assert first[0] == second[0]
    shared = first[1]["content"].split("Question:")[0]
    assert second[1]["content"].startswith(shared) and "</transcript>" in shared


def test_evidence_is_checked_on_the_batched_path_too(server):
    server.script(
        Reply(
            content=json.dumps(
                {
                    "answers": [
                        entry("explains-cause", "yes", 0, "You charged me twice"),  # customer's
                        entry("remedy", "yes", 3, "I will send a voucher"),  # not said
                        entry("timescale", "no", None, None),
                    ]
                }
            )
        )
    )
    report = run_judge(batched(server), CALL, QUESTIONS)
    assert [v.verdict for v in report.verdicts] == ["abstain", "abstain", "no"]
    assert all(v.flagged_for_review for v in report.verdicts[:2])


def test_an_answer_missing_from_the_one_call_is_asked_on_its_own(server):
    server.script(
        Reply(
            content=json.dumps(
                {
                    "answers": [
                        entry("explains-cause", "yes", 1, "The payment system retried your card"),
                        {"id": "remedy", "verdict": "maybe"},  # does not fit: asked again
                    ]
                }
            )
        ),
        single("yes", 3, "I will refund the second charge today."),
        single("no", None, None),
    )
    report = run_judge(batched(server), CALL, QUESTIONS)
    assert [v.verdict for v in report.verdicts] == ["yes", "yes", "no"]
    requests = server.chat_requests()
    assert len(requests) == 3
    assert (
        "Question: Did the agent offer a concrete remedy?" in requests[1]["messages"][1]["content"]
    )


def test_an_unusable_whole_answer_falls_back_to_one_question_a_call(server):
    server.script(
        Reply(content="I think the agent did well."),
        single("yes", 1, "The payment system retried your card"),
        single("yes", 3, "I will refund the second charge today."),
        single("no", None, None),
        # the second sample goes straight to one question a call
        single("yes", 1, "The payment system retried your card"),
        single("yes", 3, "I will refund the second charge today."),
        single("no", None, None),
    )
    report = run_judge(batched(server), CALL, QUESTIONS, samples=2)
    assert [v.verdict for v in report.verdicts] == ["yes", "yes", "no"]
    assert len(server.chat_requests()) == 7


def test_a_dead_server_costs_one_call_on_the_batched_path(server):
    server.default = Reply(status=400)
    report = run_judge(batched(server), CALL, QUESTIONS)
    assert all(v.verdict == "abstain" and v.flagged_for_review for v in report.verdicts)
    assert len(server.chat_requests()) == 1


def test_without_the_capability_each_question_is_its_own_call(server):
    server.default = single("no", None, None)
    run_judge(backend_for(server), CALL, QUESTIONS)
    assert len(server.chat_requests()) == 3


@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.sampled_from(["answers", "id", "verdict", "turn"]), inner)
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps({"answers": v})),
    )
)
def test_any_answer_to_the_one_call_parses_or_says_why(text):
    got = parse_answers(text, [q.id for q in QUESTIONS])
    assert isinstance(got, str) or set(got) <= {q.id for q in QUESTIONS}
