"""Helpers shared by the tests/test_llm_*.py files: the fake server and configs for it."""

from __future__ import annotations

from fake_openai_server import FakeOpenAIServer

from simulator.llm.config import BackendConfig
from simulator.llm.openai_backend import OpenAIBackend


def config_for(server: FakeOpenAIServer, **overrides: object) -> BackendConfig:
    """A config pointing at ``server`` with short timeouts and tiny retry waits."""
    values: dict[str, object] = {
        "kind": "vllm",
        "base_url": server.base_url,
        "model": "fake-model",
        "timeout": 0.5,
        "connect_timeout": 0.5,
        "max_attempts": 3,
        "retry_initial_wait": 0.001,
        "retry_max_wait": 0.005,
        # The judge's tests answer one question per request; the one-call path for all
        # questions is tested on its own (tests/grading/test_judge_batched.py).
        "capabilities": {"batch_questions": False},
    }
    values.update(overrides)
    return BackendConfig.model_validate(values)


def backend_for(server: FakeOpenAIServer, **overrides: object) -> OpenAIBackend:
    """The real openai-client backend, talking to ``server``."""
    return OpenAIBackend(config_for(server, **overrides))
