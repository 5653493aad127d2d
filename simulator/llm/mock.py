"""A scripted backend in the package, shared by tests and offline demos.

Like inspect's ``mockllm`` or llm's ``MockModel``: it answers from a script instead of a
model. Each entry is a string, a callable ``(messages) -> str`` or an exception to raise;
entries are used in order, then ``default`` answers. Every request is recorded in
``calls`` so tests can check exactly what a component asked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .backend import Chunk, Completion, Message, Usage
from .config import Capabilities

Script = str | Callable[[list[Message]], str] | BaseException


@dataclass
class MockCall:
    messages: list[Message]
    kind: str  # "complete" or "stream"
    options: dict[str, Any] = field(default_factory=dict)


class MockBackend:
    """A :class:`~simulator.llm.backend.ChatBackend` that follows a script."""

    def __init__(
        self,
        *script: Script,
        default: Script = "...",
        model: str = "mock",
        capabilities: Capabilities | None = None,
    ):
        self.queue: deque[Script] = deque(script)
        self.default = default
        self.model = model
        self.name = f"mock:{model}"
        self.capabilities = capabilities or Capabilities(
            structured_output="json_schema", structured_output_enforced=True, seed=True
        )
        self.calls: list[MockCall] = []

    def script(self, *entries: Script) -> None:
        """Queue more answers."""
        self.queue.extend(entries)

    def _answer(self, messages: list[Message]) -> str:
        entry = self.queue.popleft() if self.queue else self.default
        if isinstance(entry, BaseException):
            raise entry
        return entry(messages) if callable(entry) else entry

    def complete(self, messages: list[Message], **options: Any) -> Completion:
        self.calls.append(MockCall(list(messages), "complete", options))
        text = self._answer(messages)
        return Completion(
            text=text,
            model=options.get("model") or self.model,
            finish_reason="stop",
            usage=Usage(sum(len(m["content"].split()) for m in messages), len(text.split())),
        )

    def stream(self, messages: list[Message], **options: Any) -> Iterator[Chunk]:
        self.calls.append(MockCall(list(messages), "stream", options))
        text = self._answer(messages)
        words = text.split(" ")
        for i, word in enumerate(words):
            yield Chunk(text=word if i == len(words) - 1 else word + " ")
        yield Chunk(finish_reason="stop")
