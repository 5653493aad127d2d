"""The language model fails in the middle of a terminal practice session: the CLI (run as a
subprocess against the fake OpenAI-compatible server) says the trainee's reply is saved and
how to carry on, leaves no dangling ``Customer:`` prefix, and the suggested command works."""

from __future__ import annotations

import re

from conftest import FIXTURE_PERSONA_ID
from fake_openai_server import FakeOpenAIServer, Reply

OPENING = "I was refunded the wrong amount and I want it sorted today."
AGENT = "I am sorry, let me look at that refund for you right now."


def llm_env(server: FakeOpenAIServer) -> dict[str, str]:
    return {
        "FRONTLINE_LLM_KIND": "vllm",
        "FRONTLINE_LLM_BASE_URL": server.base_url,
        "FRONTLINE_LLM_MODEL": "fake-model",
        "FRONTLINE_LLM_MAX_ATTEMPTS": "2",
        "FRONTLINE_LLM_RETRY_INITIAL_WAIT": "0.001",
        "FRONTLINE_LLM_RETRY_MAX_WAIT": "0.002",
        "FRONTLINE_LLM_REGENERATIONS": "0",
    }


def test_a_failed_model_mid_session_says_the_turn_is_saved_and_how_to_resume(cli):
    with FakeOpenAIServer(default=Reply(status=500, error_message="model crashed")) as server:
        server.script(Reply(content=OPENING))  # the opening works, then every call fails
        failed = cli(
            "practice",
            "--persona",
            FIXTURE_PERSONA_ID,
            stdin=AGENT + "\nThanks\n",
            env=llm_env(server),
        )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert OPENING in failed.stdout
    assert not re.search(r"Customer: *$", failed.stdout, re.M), failed.stdout
    session = re.search(r"^Session ([0-9a-f]+) ", failed.stdout, re.M)[1]
    assert "model crashed" in failed.stderr
    assert "your last reply is saved" in failed.stderr
    assert f"frontline practice --resume {session}" in failed.stderr
    assert f"frontline practice --resume {session} --offline" in failed.stderr

    resumed = cli("practice", "--resume", session, "--offline", stdin="/end\n")
    assert resumed.returncode == 0, resumed.stderr
    assert f"You: {AGENT}" in resumed.stdout, "the reply typed before the failure was kept"
    after = resumed.stdout.split(f"You: {AGENT}", 1)[1]
    assert re.search(r"^Customer: \S", after, re.M), "the customer answers it offline"


def test_a_model_down_from_the_start_leaves_the_session_to_resume(cli):
    with FakeOpenAIServer(default=Reply(status=503, error_message="loading")) as server:
        failed = cli(
            "practice", "--persona", FIXTURE_PERSONA_ID, stdin=AGENT + "\n", env=llm_env(server)
        )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "Customer:" not in failed.stdout
    session = re.search(r"^Session ([0-9a-f]+) ", failed.stdout, re.M)[1]
    assert "the session is saved" in failed.stderr
    assert f"--resume {session} --offline" in failed.stderr
