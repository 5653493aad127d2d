"""Which language model Frontline talks to, and how: environment variables or a config file.

Nothing configured means no model: Frontline runs fully offline. A model is configured by
``FRONTLINE_LLM_MODEL`` (plus ``FRONTLINE_LLM_BASE_URL`` for anything but OpenAI itself),
or by a YAML or TOML file named by ``FRONTLINE_LLM_CONFIG``; environment variables win over
the file. Any server speaking the OpenAI chat-completions protocol works: OpenAI, Ollama,
vLLM, llama.cpp's ``llama-server`` and LM Studio have presets (``kind``) whose capability
flags decide how requests are made; ``generic`` assumes the least. See ``docs/llm.md``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ..errors import FileProblems, Problem
from ..yamlfile import parse_yaml, read_text, validate_data, validation_problems
from .retry import RetryPolicy

ENV_PREFIX = "FRONTLINE_LLM_"


class BackendKind(StrEnum):
    OPENAI = "openai"
    OLLAMA = "ollama"
    VLLM = "vllm"
    LLAMACPP = "llamacpp"
    LMSTUDIO = "lmstudio"
    GENERIC = "generic"


class Capabilities(BaseModel):
    """What a server supports; it shapes requests, never trust: answers are always validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    structured_output: Literal["json_schema", "json_object", "none"] = Field(
        "none",
        description="How to ask for JSON: a JSON Schema response_format, plain JSON "
        "mode, or only by instructions in the prompt.",
    )
    structured_output_enforced: bool = Field(
        False,
        description="The server constrains decoding to the schema (grammar/guided "
        "decoding), so the answer almost always parses.",
    )
    stream_usage: bool = Field(
        False,
        description="Send stream_options.include_usage; the "
        "server then ends a stream with a usage-only chunk.",
    )
    seed: bool = Field(False, description="The server accepts a seed for reproducibility.")
    reasoning_fields: list[str] = Field(
        default_factory=list,
        description="Message/delta fields carrying the model's hidden "
        "reasoning (e.g. reasoning_content); never shown to the trainee.",
    )
    strip_think_tags: bool = Field(
        True,
        description="Remove <think>…</think> blocks that "
        "reasoning models put in the content itself.",
    )
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    batch_questions: bool = Field(
        False,
        description="The judge asks all its questions about a transcript in one structured "
        "call (the transcript sent once); needs json_schema structured output.",
    )


CapabilityName = Literal[
    "structured_output",
    "structured_output_enforced",
    "stream_usage",
    "seed",
    "reasoning_fields",
    "strip_think_tags",
    "max_tokens_param",
    "batch_questions",
]

PRESETS: dict[BackendKind, Capabilities] = {
    BackendKind.OPENAI: Capabilities(
        structured_output="json_schema",
        structured_output_enforced=True,
        stream_usage=True,
        seed=True,
        max_tokens_param="max_completion_tokens",
        batch_questions=True,
    ),
    BackendKind.OLLAMA: Capabilities(
        structured_output="json_schema",
        structured_output_enforced=True,
        stream_usage=True,
        seed=True,
        reasoning_fields=["reasoning"],
        batch_questions=True,
    ),
    BackendKind.VLLM: Capabilities(
        structured_output="json_schema",
        structured_output_enforced=True,
        stream_usage=True,
        seed=True,
        reasoning_fields=["reasoning_content", "reasoning"],
        batch_questions=True,
    ),
    BackendKind.LLAMACPP: Capabilities(
        structured_output="json_schema",
        structured_output_enforced=True,
        stream_usage=True,
        seed=True,
        reasoning_fields=["reasoning_content"],
        batch_questions=True,
    ),
    BackendKind.LMSTUDIO: Capabilities(
        structured_output="json_schema",
        structured_output_enforced=True,
        stream_usage=False,
        seed=True,
        reasoning_fields=["reasoning_content", "reasoning"],
        batch_questions=True,
    ),
    BackendKind.GENERIC: Capabilities(),
}

DEFAULT_BASE_URLS: dict[BackendKind, str] = {
    BackendKind.OPENAI: "https://api.openai.com/v1",
    BackendKind.OLLAMA: "http://localhost:11434/v1",
    BackendKind.VLLM: "http://localhost:8000/v1",
    BackendKind.LLAMACPP: "http://localhost:8080/v1",
    BackendKind.LMSTUDIO: "http://localhost:1234/v1",
}

# Local servers ignore the key, but the openai client insists on having one.
PLACEHOLDER_KEY = "not-needed"


class BackendConfig(BaseModel):
    """One model endpoint and how Frontline uses it. Also the config-file format."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    kind: BackendKind | None = Field(
        None, description="Server preset; default 'openai' without a base_url, else 'generic'."
    )
    base_url: str | None = Field(None, description="e.g. http://localhost:11434/v1")
    model: str = Field(min_length=1, description="Model name as the server knows it.")
    api_key: SecretStr | None = Field(None, description="Prefer FRONTLINE_LLM_API_KEY.")
    timeout: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds to wait for the answer to start, or between two pieces of a stream.",
    )
    connect_timeout: float = Field(5.0, gt=0, le=600)
    max_attempts: int = Field(3, ge=1, le=10, description="Tries per call on transient errors.")
    retry_initial_wait: float = Field(0.5, ge=0, le=60)
    retry_max_wait: float = Field(8.0, ge=0, le=600)
    regenerations: int = Field(
        2,
        ge=0,
        le=5,
        description="New tries when a customer reply "
        "breaks character, before the offline reply replaces it.",
    )
    temperature: float = Field(0.8, ge=0, le=2, description="For the customer's words.")
    max_tokens: int = Field(300, ge=16, le=8192)
    judge_model: str | None = Field(None, description="Model for the judge; default: model.")
    judge_samples: int = Field(1, ge=1, le=9, description="Judge samples; majority vote.")
    detect_moves: bool = Field(
        False,
        description="Also ask the model to find good moves "
        "the rule detector missed (paraphrases, other languages).",
    )
    capabilities: dict[CapabilityName, bool | str | list[str]] = Field(
        default_factory=dict, description="Overrides of the preset's capability flags."
    )

    @property
    def effective_kind(self) -> BackendKind:
        if self.kind is not None:
            return self.kind
        return BackendKind.OPENAI if self.base_url is None else BackendKind.GENERIC

    @property
    def effective_base_url(self) -> str:
        return self.base_url or DEFAULT_BASE_URLS.get(self.effective_kind, "")

    def effective_capabilities(self) -> Capabilities:
        """The preset for ``kind`` with this config's overrides applied."""
        merged = PRESETS[self.effective_kind].model_dump() | dict(self.capabilities)
        return Capabilities.model_validate(merged)

    def effective_api_key(self, environ: Mapping[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        if self.effective_kind is BackendKind.OPENAI and env.get("OPENAI_API_KEY"):
            return env["OPENAI_API_KEY"]
        return PLACEHOLDER_KEY

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.max_attempts,
            initial_wait=self.retry_initial_wait,
            max_wait=self.retry_max_wait,
        )

    def describe(self) -> str:
        """Where answers come from, for messages: never includes the key."""
        return f"the language model {self.model!r} at {self.effective_base_url}"


# Environment variable (after the prefix) -> config field. Booleans accept 1/0/true/false.
ENV_FIELDS = {
    "KIND": "kind",
    "BASE_URL": "base_url",
    "MODEL": "model",
    "API_KEY": "api_key",
    "TIMEOUT": "timeout",
    "CONNECT_TIMEOUT": "connect_timeout",
    "MAX_ATTEMPTS": "max_attempts",
    "RETRY_INITIAL_WAIT": "retry_initial_wait",
    "RETRY_MAX_WAIT": "retry_max_wait",
    "REGENERATIONS": "regenerations",
    "TEMPERATURE": "temperature",
    "MAX_TOKENS": "max_tokens",
    "JUDGE_MODEL": "judge_model",
    "JUDGE_SAMPLES": "judge_samples",
    "DETECT_MOVES": "detect_moves",
}
ENV_CAPABILITIES = {
    "STRUCTURED_OUTPUT": "structured_output",
    "STRUCTURED_OUTPUT_ENFORCED": "structured_output_enforced",
    "STREAM_USAGE": "stream_usage",
    "SEED": "seed",
    "STRIP_THINK_TAGS": "strip_think_tags",
    "MAX_TOKENS_PARAM": "max_tokens_param",
    "REASONING_FIELDS": "reasoning_fields",
    "BATCH_QUESTIONS": "batch_questions",
}
_BOOLS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _env_value(name: str, raw: str) -> bool | str | list[str]:
    if name in (
        "DETECT_MOVES",
        "STRUCTURED_OUTPUT_ENFORCED",
        "STREAM_USAGE",
        "SEED",
        "STRIP_THINK_TAGS",
        "BATCH_QUESTIONS",
    ):
        value = _BOOLS.get(raw.strip().lower())
        if value is None:
            raise FileProblems(
                [
                    Problem(
                        "environment",
                        f"expected true or false, got {raw!r}",
                        field=ENV_PREFIX + name,
                    )
                ]
            )
        return value
    if name == "REASONING_FIELDS":
        return [f.strip() for f in raw.split(",") if f.strip()]
    return raw.strip()


def read_config_file(path: Path) -> dict:
    """Parse a YAML (.yaml/.yml) or TOML (.toml) config file into raw data."""
    name = str(path)
    text = read_text(path)
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FileProblems([Problem(name, f"invalid TOML: {exc}")]) from None
    data, _ = parse_yaml(text, name)
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise FileProblems([Problem(name, f"expected a mapping of fields, got {kind}", 1)])
    return data


def load_backend_config(environ: Mapping[str, str] | None = None) -> BackendConfig | None:
    """The configured backend, or None when no model is configured (offline mode).

    Raises :class:`FileProblems` naming the file and field, or the environment variable,
    when the configuration is present but wrong.
    """
    env = os.environ if environ is None else environ
    data: dict = {}
    source = "environment"
    lines: dict = {}
    file = env.get(ENV_PREFIX + "CONFIG", "").strip()
    if file:
        path = Path(file).expanduser()
        source = str(path)
        if not path.is_file():
            raise FileProblems([Problem(source, "no such file", field=ENV_PREFIX + "CONFIG")])
        if path.suffix.lower() == ".toml":
            data = read_config_file(path)
        else:
            data, lines = parse_yaml(read_text(path), source)
            if not isinstance(data, dict):
                data = data if data is not None else {}
    overrides: dict = {}
    for suffix, field in ENV_FIELDS.items():
        raw = env.get(ENV_PREFIX + suffix)
        if raw is not None and raw.strip():
            overrides[field] = _env_value(suffix, raw)
    caps: dict = {}
    for suffix, cap in ENV_CAPABILITIES.items():
        raw = env.get(ENV_PREFIX + suffix)
        if raw is not None and raw.strip():
            caps[cap] = _env_value(suffix, raw)
    if not file and not overrides and not caps:
        return None
    if not file and "model" not in overrides:
        raise FileProblems(
            [
                Problem(
                    "environment",
                    "set the model name as well (e.g. "
                    "FRONTLINE_LLM_MODEL=llama3.1:8b), or unset the other "
                    "FRONTLINE_LLM_* variables to run offline",
                    field=ENV_PREFIX + "MODEL",
                )
            ]
        )
    if file:
        config = validate_data(BackendConfig, data, source, lines)
        merged = config.model_dump() | overrides
        merged["capabilities"] = dict(config.capabilities) | caps
    else:
        merged = overrides | {"capabilities": caps}
    try:
        config = BackendConfig.model_validate(merged)
        config.effective_capabilities()
    except ValidationError as exc:
        problems = validation_problems(exc, source if file else "environment", lines)
        raise FileProblems(_name_env_fields(problems, set(overrides) | set(caps))) from None
    return config


def _name_env_fields(problems: list[Problem], from_env: set[str]) -> list[Problem]:
    # A wrong value that came from a variable is reported under the variable's name.
    by_field = {v: k for k, v in ENV_FIELDS.items()} | {v: k for k, v in ENV_CAPABILITIES.items()}
    out = []
    for p in problems:
        top = p.field.split(".")[0].split("[")[0]
        leaf = p.field.split(".")[-1]
        key = leaf if top == "capabilities" else top
        if key in from_env and key in by_field:
            out.append(Problem("environment", p.message, field=ENV_PREFIX + by_field[key]))
        else:
            out.append(p)
    return out
