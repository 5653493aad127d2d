"""The small interface every model backend offers: complete a chat, or stream one.

Frontline's renderer, move detector and judge only ever see :class:`ChatBackend`, so the
real OpenAI-compatible backend and the scripted :class:`~simulator.llm.mock.MockBackend`
are interchangeable. Messages are plain ``{"role": ..., "content": ...}`` dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Capabilities

Message = dict[str, str]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    """A whole answer. ``reasoning`` is the model's hidden reasoning, never shown."""

    text: str
    model: str
    finish_reason: str | None = None
    usage: Usage | None = None
    reasoning: str = ""


@dataclass(frozen=True)
class Chunk:
    """One piece of a streamed answer; only ``text`` may be shown to the trainee."""

    text: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


class ChatBackend(Protocol):
    """A chat model. Both calls raise :class:`~simulator.llm.retry.BackendError` on failure."""

    name: str  # e.g. "ollama:llama3.1:8b", recorded in transcripts
    model: str
    capabilities: Capabilities

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
        """Answer in one piece. With ``json_schema``, ask for JSON (how depends on the
        capabilities); the caller still validates what comes back."""
        ...

    def stream(
        self,
        messages: list[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Iterator[Chunk]:
        """Answer piece by piece; the last chunks carry the finish reason and usage."""
        ...


class ThinkStripper:
    """Removes ``<think>…</think>`` blocks from streamed text, across chunk boundaries.

    Reasoning models served without a reasoning parser put their thoughts in the content;
    the trainee must never see them.
    """

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self._pending = ""
        self._inside = False
        self.reasoning = ""

    def feed(self, text: str) -> str:
        """Return the part of ``text`` that is safe to show now."""
        self._pending += text
        out = ""
        while self._pending:
            tag = self.CLOSE if self._inside else self.OPEN
            i = self._pending.find(tag)
            if i >= 0:
                before, self._pending = self._pending[:i], self._pending[i + len(tag) :]
                if self._inside:
                    self.reasoning += before
                else:
                    out += before
                self._inside = not self._inside
                continue
            # Keep back a tail that could be the start of a tag split across chunks.
            keep = _partial_tag(self._pending, tag)
            body = self._pending[: len(self._pending) - keep]
            self._pending = self._pending[len(body) :]
            if self._inside:
                self.reasoning += body
            else:
                out += body
            break
        return out

    def flush(self) -> str:
        """The rest, at the end of the stream (an unclosed block stays hidden)."""
        rest, self._pending = self._pending, ""
        if self._inside:
            self.reasoning += rest
            return ""
        return rest


def _partial_tag(text: str, tag: str) -> int:
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


def strip_think(text: str) -> tuple[str, str]:
    """(visible text, reasoning) of a whole answer."""
    s = ThinkStripper()
    visible = s.feed(text) + s.flush()
    return visible, s.reasoning
