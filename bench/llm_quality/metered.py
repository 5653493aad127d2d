"""A ChatBackend wrapper that records what every call cost: latency to the first text, the
whole time, and the tokens the server counted. The customer, judge and detector use it
exactly as they would the real backend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    kind: str  # "stream" or "complete"
    seconds: float = 0.0
    first_text: float | None = None  # seconds to the first visible text (streams)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None


@dataclass
class Meter:
    calls: list[Call] = field(default_factory=list)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]


class MeteredBackend:
    """Passes every call to ``inner`` and appends a :class:`Call` to ``meter``."""

    def __init__(self, inner: Any, meter: Meter):
        self.inner = inner
        self.meter = meter
        self.name = inner.name
        self.model = inner.model
        self.capabilities = inner.capabilities
        self.where = getattr(inner, "where", inner.name)
        self.policy = getattr(inner, "policy", None)

    def complete(self, messages, **kwargs):
        call = Call("complete")
        self.meter.calls.append(call)
        t0 = time.perf_counter()
        try:
            done = self.inner.complete(messages, **kwargs)
        finally:
            call.seconds = time.perf_counter() - t0
        if done.usage is not None:
            call.prompt_tokens = done.usage.prompt_tokens
            call.completion_tokens = done.usage.completion_tokens
        call.finish_reason = done.finish_reason
        return done

    def stream(self, messages, **kwargs) -> Iterator:
        call = Call("stream")
        self.meter.calls.append(call)
        t0 = time.perf_counter()
        try:
            for chunk in self.inner.stream(messages, **kwargs):
                if chunk.text and call.first_text is None:
                    call.first_text = time.perf_counter() - t0
                if chunk.usage is not None:
                    call.prompt_tokens = chunk.usage.prompt_tokens
                    call.completion_tokens = chunk.usage.completion_tokens
                if chunk.finish_reason:
                    call.finish_reason = chunk.finish_reason
                yield chunk
        finally:
            call.seconds = time.perf_counter() - t0
