"""The real backend: any OpenAI-compatible chat-completions server, via the ``openai`` client.

The client never retries by itself (``max_retries=0``); :mod:`simulator.llm.retry` does.
Capability flags decide what is sent (JSON schema or JSON mode, usage in streams, seed,
which token limit parameter); whatever comes back is checked here before anyone uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx2
import openai

from .backend import Chunk, Completion, Message, ThinkStripper, Usage, strip_think
from .config import BackendConfig, Capabilities
from .retry import IncompleteResponse, call_with_retry, stream_with_retry

log = logging.getLogger("frontline.llm")


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    return Usage(
        prompt_tokens=int(getattr(raw, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
    )


def _extra(obj: Any, fields: list[str]) -> str:
    """Text of the first non-empty reasoning field on a message or delta."""
    extra = getattr(obj, "model_extra", None) or {}
    for f in fields:
        value = extra.get(f) if f in extra else getattr(obj, f, None)
        if isinstance(value, str) and value:
            return value
    return ""


class OpenAIBackend:
    """Talks to one model on one OpenAI-compatible server."""

    def __init__(self, config: BackendConfig, client: openai.OpenAI | None = None):
        self.config = config
        self.model = config.model
        self.capabilities: Capabilities = config.effective_capabilities()
        self.name = f"{config.effective_kind.value}:{config.model}"
        self.where = config.describe()
        self.policy = config.retry_policy()
        self.client = client or openai.OpenAI(
            base_url=config.effective_base_url,
            api_key=config.effective_api_key(),
            max_retries=0,
            timeout=httpx2.Timeout(config.timeout, connect=config.connect_timeout),
        )

    # -- building requests ------------------------------------------------------------
    def _params(
        self,
        messages: list[Message],
        temperature: float | None,
        max_tokens: int | None,
        seed: int | None,
        model: str | None,
    ) -> dict[str, Any]:
        caps = self.capabilities
        params: dict[str, Any] = {
            "model": model or self.model,
            "messages": messages,
            "temperature": self.config.temperature if temperature is None else temperature,
            caps.max_tokens_param: max_tokens or self.config.max_tokens,
        }
        if seed is not None and caps.seed:
            params["seed"] = seed
        return params

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        mode = self.capabilities.structured_output
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.get("title", "answer"),
                    "schema": schema,
                    "strict": True,
                },
            }
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    # -- calls ------------------------------------------------------------------------
    def complete(
        self,
        messages: list[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> Completion:
        """One whole answer (retried on transient errors); raises BackendError."""
        params = self._params(messages, temperature, max_tokens, seed, model)
        if json_schema is not None:
            fmt = self._response_format(json_schema)
            if fmt is not None:
                params["response_format"] = fmt

        def call() -> Completion:
            raw = self.client.chat.completions.create(**params)
            choices = getattr(raw, "choices", None)
            if not choices:  # a str (non-JSON body) or an answer without choices
                raise ValueError("no choices in the answer")
            choice = choices[0]
            message = choice.message
            text = message.content or ""
            reasoning = _extra(message, self.capabilities.reasoning_fields)
            if self.capabilities.strip_think_tags:
                text, thought = strip_think(text)
                reasoning = reasoning or thought
            return Completion(
                text=text,
                model=getattr(raw, "model", None) or params["model"],
                finish_reason=choice.finish_reason,
                usage=_usage(raw.usage),
                reasoning=reasoning,
            )

        return call_with_retry(call, self.policy, self.where)

    def stream(
        self,
        messages: list[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Iterator[Chunk]:
        """Stream the answer. Retried only until its first text arrives; a failure after
        that raises StreamInterrupted. A stream that ends without a finish reason is cut."""
        params = self._params(messages, temperature, max_tokens, seed, None)
        params["stream"] = True
        if self.capabilities.stream_usage:
            params["stream_options"] = {"include_usage": True}
        return stream_with_retry(
            lambda: self._chunks(params),
            self.policy,
            self.where,
            has_text=lambda c: bool(c.text),
            text_of=lambda c: c.text,
        )

    def _chunks(self, params: dict[str, Any]) -> Iterator[Chunk]:
        stream = self.client.chat.completions.create(**params)
        fields = self.capabilities.reasoning_fields
        think = ThinkStripper() if self.capabilities.strip_think_tags else None
        finished = False
        try:
            for raw in stream:
                usage = _usage(getattr(raw, "usage", None))
                if not raw.choices:  # the usage-only final chunk
                    if usage:
                        yield Chunk(usage=usage)
                    continue
                choice = raw.choices[0]
                delta = choice.delta
                text = (delta.content or "") if delta is not None else ""
                reasoning = _extra(delta, fields) if delta is not None else ""
                if think is not None and text:
                    before = len(think.reasoning)
                    text = think.feed(text)
                    reasoning += think.reasoning[before:]
                if choice.finish_reason:
                    finished = True
                    if think is not None:
                        text += think.flush()
                if text or reasoning or choice.finish_reason or usage:
                    yield Chunk(
                        text=text,
                        reasoning=reasoning,
                        finish_reason=choice.finish_reason,
                        usage=usage,
                    )
        finally:
            stream.close()
        if not finished:
            raise IncompleteResponse("the stream ended without a finish reason")
