"""Backend configuration from environment variables and YAML/TOML files; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.llm.config import PLACEHOLDER_KEY, BackendKind, load_backend_config


def test_nothing_configured_means_offline():
    assert load_backend_config({}) is None
    assert load_backend_config({"FRONTLINE_LLM_MODEL": "  "}) is None
    assert load_backend_config({"OPENAI_API_KEY": "sk-x", "PATH": "/bin"}) is None


def test_openai_from_the_environment():
    config = load_backend_config(
        {"FRONTLINE_LLM_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": "sk-from-openai-var"}
    )
    assert config.effective_kind is BackendKind.OPENAI
    assert config.effective_base_url == "https://api.openai.com/v1"
    assert (
        config.effective_api_key({"OPENAI_API_KEY": "sk-from-openai-var"}) == "sk-from-openai-var"
    )
    caps = config.effective_capabilities()
    assert (
        caps.structured_output == "json_schema" and caps.max_tokens_param == "max_completion_tokens"
    )


def test_a_local_server_from_the_environment():
    env = {
        "FRONTLINE_LLM_KIND": "ollama",
        "FRONTLINE_LLM_MODEL": "llama3.1:8b",
        "FRONTLINE_LLM_TIMEOUT": "30",
        "FRONTLINE_LLM_MAX_ATTEMPTS": "5",
        "FRONTLINE_LLM_STREAM_USAGE": "false",
        "FRONTLINE_LLM_DETECT_MOVES": "yes",
    }
    config = load_backend_config(env)
    assert config.effective_base_url == "http://localhost:11434/v1"
    assert config.effective_api_key({}) == PLACEHOLDER_KEY
    assert config.timeout == 30 and config.max_attempts == 5 and config.detect_moves
    assert config.effective_capabilities().stream_usage is False
    assert config.effective_capabilities().reasoning_fields == ["reasoning"]


def test_a_base_url_without_a_kind_gets_the_cautious_generic_preset():
    config = load_backend_config(
        {"FRONTLINE_LLM_BASE_URL": "http://10.0.0.5:9000/v1", "FRONTLINE_LLM_MODEL": "m"}
    )
    assert config.effective_kind is BackendKind.GENERIC
    caps = config.effective_capabilities()
    assert caps.structured_output == "none" and not caps.seed and not caps.stream_usage


def test_the_key_never_shows_in_messages_or_repr():
    config = load_backend_config(
        {"FRONTLINE_LLM_MODEL": "m", "FRONTLINE_LLM_API_KEY": "sk-secret-123"}
    )
    assert config.effective_api_key({}) == "sk-secret-123"
    assert "sk-secret-123" not in repr(config) + config.describe() + str(config.model_dump())


def test_yaml_file_with_environment_overrides(tmp_path: Path):
    path = tmp_path / "llm.yaml"
    path.write_text(
        "schema_version: 1\nkind: vllm\nbase_url: http://gpu:8000/v1\n"
        "model: Qwen/Qwen2.5-7B-Instruct\nregenerations: 1\n"
        "capabilities:\n  structured_output: json_object\n"
    )
    config = load_backend_config(
        {
            "FRONTLINE_LLM_CONFIG": str(path),
            "FRONTLINE_LLM_MODEL": "other-model",
            "FRONTLINE_LLM_SEED": "0",
        }
    )
    assert config.model == "other-model" and config.regenerations == 1
    caps = config.effective_capabilities()
    assert caps.structured_output == "json_object" and caps.seed is False


def test_toml_file(tmp_path: Path):
    path = tmp_path / "llm.toml"
    path.write_text(
        'schema_version = 1\nkind = "llamacpp"\nmodel = "local"\n'
        'judge_samples = 3\n[capabilities]\nreasoning_fields = ["thoughts"]\n'
    )
    config = load_backend_config({"FRONTLINE_LLM_CONFIG": str(path)})
    assert config.effective_base_url == "http://localhost:8080/v1"
    assert config.judge_samples == 3
    assert config.effective_capabilities().reasoning_fields == ["thoughts"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("schema_version: 1\nmodel: m\ntimeout: -1\n", "llm.yaml:3: timeout"),
        ("schema_version: 1\nmodel: m\ntemprature: 0.5\n", "llm.yaml:3: temprature: unknown field"),
        ("schema_version: 1\nkind: ollama\n", "model: required field is missing"),
        ("schema_version: 1\nmodel: m\nkind: gemini\n", "llm.yaml:3: kind"),
        ("model: m\n", "schema_version: required field is missing"),
        ("schema_version: 1\nmodel: [unclosed\n", "invalid YAML"),
        ("schema_version: 1\nmodel: m\ncapabilities:\n  seed: sometimes\n", "seed"),
        ("schema_version: 1\nmodel: m\ncapabilities:\n  colour: red\n", "capabilities.colour"),
    ],
)
def test_file_errors_name_file_line_and_field(tmp_path: Path, text, expected):
    path = tmp_path / "llm.yaml"
    path.write_text(text)
    with pytest.raises(FileProblems) as err:
        load_backend_config({"FRONTLINE_LLM_CONFIG": str(path)})
    assert expected in str(err.value)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"FRONTLINE_LLM_BASE_URL": "http://x/v1"}, "FRONTLINE_LLM_MODEL"),
        ({"FRONTLINE_LLM_MODEL": "m", "FRONTLINE_LLM_TIMEOUT": "soon"}, "FRONTLINE_LLM_TIMEOUT"),
        ({"FRONTLINE_LLM_MODEL": "m", "FRONTLINE_LLM_KIND": "gemini"}, "FRONTLINE_LLM_KIND"),
        (
            {"FRONTLINE_LLM_MODEL": "m", "FRONTLINE_LLM_STREAM_USAGE": "maybe"},
            "FRONTLINE_LLM_STREAM_USAGE",
        ),
        (
            {"FRONTLINE_LLM_MODEL": "m", "FRONTLINE_LLM_STRUCTURED_OUTPUT": "xml"},
            "FRONTLINE_LLM_STRUCTURED_OUTPUT",
        ),
        ({"FRONTLINE_LLM_CONFIG": "/nonexistent/llm.yaml"}, "no such file"),
    ],
)
def test_environment_errors_name_the_variable(env, expected):
    with pytest.raises(FileProblems) as err:
        load_backend_config(env)
    assert expected in str(err.value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_config_file_loads_or_gives_file_problems(tmp_path: Path, text):
    for name in ("fuzz.yaml", "fuzz.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        try:
            config = load_backend_config({"FRONTLINE_LLM_CONFIG": str(path)})
        except FileProblems as exc:
            assert str(exc).startswith(str(path)) or "environment" in str(exc)
        else:
            assert config is not None and config.model
