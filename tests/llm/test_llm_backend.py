"""The real openai client against the fake server: requests made, answers read, failures."""

from __future__ import annotations

import logging

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for
from tenacity import RetryCallState

from simulator.errors import FrontlineError
from simulator.llm.backend import strip_think
from simulator.llm.retry import BackendError, RetryPolicy, StreamInterrupted

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
def fake_server():
    with FakeOpenAIServer() as server:
        yield server


def collect(backend, **kw):
    chunks = list(backend.stream(MESSAGES, **kw))
    return "".join(c.text for c in chunks), chunks


# -- plain completions ------------------------------------------------------------------
def test_complete_reads_text_and_usage_and_sends_the_configured_request(fake_server):
    fake_server.script(Reply(content="I want my money back."))
    backend = backend_for(fake_server, kind="vllm", temperature=0.7, max_tokens=123)
    answer = backend.complete(MESSAGES, seed=42)
    assert answer.text == "I want my money back."
    assert answer.usage is not None and answer.usage.completion_tokens == 5
    body = fake_server.chat_requests()[0]
    assert body["model"] == "fake-model"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.7 and body["max_tokens"] == 123 and body["seed"] == 42
    assert "response_format" not in body
    headers = {k.lower(): v for k, v in fake_server.requests[0].headers.items()}
    assert headers["authorization"] == "Bearer not-needed"


def test_openai_kind_uses_max_completion_tokens_and_the_api_key(fake_server):
    backend = backend_for(fake_server, kind="openai", api_key="sk-test", max_tokens=50)
    backend.complete(MESSAGES)
    body = fake_server.chat_requests()[0]
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    headers = {k.lower(): v for k, v in fake_server.requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sk-test"


def test_generic_kind_sends_no_seed_no_schema_and_no_stream_usage(fake_server):
    backend = backend_for(fake_server, kind="generic")
    backend.complete(MESSAGES, seed=3, json_schema={"type": "object"})
    collect(backend, seed=3)
    plain, streamed = fake_server.chat_requests()
    assert "seed" not in plain and "response_format" not in plain
    assert streamed["stream"] is True
    assert "stream_options" not in streamed and "seed" not in streamed


def test_structured_output_flags_choose_the_response_format(fake_server):
    schema = {"title": "verdict", "type": "object", "properties": {"a": {"type": "string"}}}
    backend_for(fake_server, kind="vllm").complete(MESSAGES, json_schema=schema)
    backend_for(
        fake_server, kind="generic", capabilities={"structured_output": "json_object"}
    ).complete(MESSAGES, json_schema=schema)
    strict, json_mode = fake_server.chat_requests()
    assert strict["response_format"]["type"] == "json_schema"
    assert strict["response_format"]["json_schema"]["schema"] == schema
    assert strict["response_format"]["json_schema"]["name"] == "verdict"
    assert json_mode["response_format"] == {"type": "json_object"}


def test_reasoning_is_kept_apart_from_the_text(fake_server):
    fake_server.script(
        Reply(content="<think>be angry</think>Where is my refund?", reasoning="hidden chain")
    )
    answer = backend_for(fake_server).complete(MESSAGES)
    assert answer.text == "Where is my refund?"
    assert answer.reasoning == "hidden chain"


# -- streaming --------------------------------------------------------------------------
def test_stream_yields_text_then_a_usage_only_final_chunk(fake_server):
    fake_server.script(Reply(content="This is the third time I call."))
    text, chunks = collect(backend_for(fake_server, kind="vllm"))
    assert text == "This is the third time I call."
    assert chunks[-1].usage is not None and chunks[-1].text == ""
    assert chunks[-1].usage.completion_tokens == 7
    assert any(c.finish_reason == "stop" for c in chunks)
    assert fake_server.chat_requests()[0]["stream_options"] == {"include_usage": True}


def test_stream_without_the_usage_chunk_still_completes(fake_server):
    fake_server.script(Reply(content="Fine.", usage_chunk=False))
    text, chunks = collect(backend_for(fake_server))
    assert text == "Fine." and all(c.usage is None for c in chunks)


def test_stream_hides_reasoning_deltas_and_think_tags_split_across_chunks(fake_server):
    fake_server.script(
        Reply(
            chunks=["<thi", "nk>plan the ", "reply</th", "ink>I am ", "upset."], reasoning="private"
        )
    )
    text, chunks = collect(backend_for(fake_server))
    assert text == "I am upset."
    assert "".join(c.reasoning for c in chunks) == "privateplan the reply"


def test_strip_think_keeps_an_unclosed_block_hidden():
    assert strip_think("Hello <think>never closed") == ("Hello ", "never closed")
    assert strip_think("a < b") == ("a < b", "")


# -- failures: retried ------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_statuses_are_retried_then_succeed(fake_server, status):
    fake_server.script(Reply(status=status), Reply(status=status), Reply(content="Finally."))
    assert backend_for(fake_server, max_attempts=3).complete(MESSAGES).text == "Finally."
    assert len(fake_server.chat_requests()) == 3


def test_rate_limit_that_persists_ends_in_one_clear_error(fake_server, caplog):
    fake_server.default = Reply(status=429, error_message="slow down")
    with (
        caplog.at_level(logging.WARNING, logger="frontline.llm"),
        pytest.raises(BackendError) as err,
    ):
        backend_for(fake_server, max_attempts=3).complete(MESSAGES)
    assert isinstance(err.value, FrontlineError)
    assert err.value.reason == "rate_limit" and err.value.transient
    assert "429" in str(err.value) and "tried 3 times" in str(err.value)
    assert len(fake_server.chat_requests()) == 3
    assert sum("retrying" in r.message for r in caplog.records) == 2


@pytest.mark.parametrize(
    "status,reason", [(400, "bad_request"), (401, "auth"), (404, "not_found"), (422, "bad_request")]
)
def test_client_errors_are_never_retried(fake_server, status, reason):
    fake_server.script(Reply(status=status, error_message="bad field 'foo'"))
    with pytest.raises(BackendError) as err:
        backend_for(fake_server).complete(MESSAGES)
    assert err.value.reason == reason and not err.value.transient
    assert err.value.status == status
    assert len(fake_server.chat_requests()) == 1
    assert "bad field 'foo'" in str(err.value)


def test_timeout_is_retried_and_then_reported(fake_server):
    fake_server.default = Reply(delay=5)
    with pytest.raises(BackendError) as err:
        backend_for(fake_server, timeout=0.2, max_attempts=2).complete(MESSAGES)
    assert err.value.reason == "timeout"
    assert "did not answer in time" in str(err.value)
    assert len(fake_server.chat_requests()) == 2


def test_a_timeout_then_an_answer_succeeds(fake_server):
    fake_server.script(Reply(delay=5), Reply(content="Here."))
    assert backend_for(fake_server, timeout=0.2).complete(MESSAGES).text == "Here."


def test_connection_refused_is_a_clear_connection_error():
    server = FakeOpenAIServer().start()
    server.stop()  # the port is closed now
    with pytest.raises(BackendError) as err:
        backend_for(server, max_attempts=2).complete(MESSAGES)
    assert err.value.reason == "connection"
    assert "is the server running" in str(err.value)


def test_malformed_json_is_reported_not_retried(fake_server):
    fake_server.script(Reply(malformed=True))
    with pytest.raises(BackendError) as err:
        backend_for(fake_server).complete(MESSAGES)
    assert err.value.reason == "malformed"
    assert len(fake_server.chat_requests()) == 1


def test_malformed_stream_event_is_reported(fake_server):
    fake_server.script(Reply(content="a b", malformed=True))
    with pytest.raises(BackendError) as err:
        collect(backend_for(fake_server))
    assert err.value.reason == "malformed"


# -- failures: streams ------------------------------------------------------------------
def test_stream_cut_before_any_text_is_retried(fake_server):
    fake_server.script(Reply(content="one two", cut_after=0), Reply(content="one two"))
    text, _ = collect(backend_for(fake_server))
    assert text == "one two"
    assert len(fake_server.chat_requests()) == 2


def test_stream_cut_after_text_is_not_retried(fake_server):
    fake_server.script(Reply(content="I paid twice for this order", cut_after=3))
    seen = []
    with pytest.raises(StreamInterrupted) as err:
        for chunk in backend_for(fake_server).stream(MESSAGES):
            seen.append(chunk.text)
    assert "".join(seen) == "I paid twice "
    assert err.value.shown == "I paid twice "
    assert "cut off" in str(err.value)
    assert len(fake_server.chat_requests()) == 1


def test_stream_that_stalls_after_text_times_out_as_interrupted(fake_server):
    fake_server.script(Reply(chunks=["Hello ", "there"], chunk_delay=0.4))
    with pytest.raises(StreamInterrupted) as err:
        collect(backend_for(fake_server, timeout=0.25))
    assert len(fake_server.chat_requests()) == 1
    assert err.value.transient  # the user may retry the whole reply


def test_stream_ending_without_a_finish_reason_counts_as_cut(fake_server):
    fake_server.script(Reply(content="half a", finish_reason=""))
    with pytest.raises(StreamInterrupted):
        collect(backend_for(fake_server))


def test_retry_after_header_is_honoured_within_the_maximum_wait():
    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=2.0, jitter=0)

    class Exc(Exception):
        class response:  # noqa: N801 - shaped like an httpx response
            headers = {"retry-after": "1.5"}

    state = RetryCallState(None, None, (), {})
    state.attempt_number = 1
    state.set_exception((Exc, Exc(), None))
    assert policy.wait(state) == 1.5
    Exc.response.headers = {"retry-after": "100"}
    assert policy.wait(state) == 2.0
