"""The LLM customer: a model words the reply; the state machine has already decided it.

The model is told the persona, the case (hidden facts marked "only if asked", and the
one to give now), the expectation and bottom line, the state and the reaction chosen for
this turn. The trainee's words reach it only as wrapped user messages.

Streaming policy (sentence gate)
    The reply is streamed sentence by sentence: each sentence is held back until it is
    complete and has passed the in-character checks (:mod:`.character`), then released
    at once. So the trainee never sees a word that failed a check.

    * A sentence fails before anything was shown: the reply is regenerated, the model
      being told why, up to ``regenerations`` times; then the offline phrase-bank reply
      is used instead. Every such event is logged on the ``frontline.llm`` logger.
    * A sentence fails after earlier ones were shown: those stay (they passed), the rest
      of the reply is dropped and the event is logged. The reply is never replaced.
    * The backend fails before anything was shown: tried again (transient errors, within
      the retry policy); then :class:`~simulator.llm.retry.BackendError` is raised.
    * The backend fails after something was shown: :class:`StreamInterrupted` is raised,
      its ``shown`` being the text the trainee saw. A session does not save a partial
      reply, so the UI can discard it and offer "retry" or "continue offline".

    The cost is latency: the first words appear when the first sentence is complete,
    not at the first token (``bench/bench_llm.py`` measures both).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field

from ..llm.backend import ChatBackend, Usage
from ..llm.prompts import PromptFile, customer_messages
from ..llm.retry import RetryPolicy, stream_until_shown
from .base import Renderer, RenderRequest
from .character import CharacterBreak, CharacterChecker, checker_for
from .offline import OfflineRenderer

log = logging.getLogger("frontline.llm")

# Where a sentence ends while text streams in: as in simulator/textspan.py, end
# punctuation (with closing quotes/brackets) followed by whitespace, or a line break.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+|(?<=[。！？])")


class CharacterBroken(Exception):
    """A sentence failed a check; ``released`` is the text already let through."""

    def __init__(self, brk: CharacterBreak, released: str):
        super().__init__(f"{brk.kind}: {brk.sentence!r}")
        self.brk = brk
        self.released = released


class SentenceGate:
    """Holds streamed text until each sentence has passed ``check``, then releases it."""

    def __init__(self, check: Callable[[str], CharacterBreak | None], labels: list[str],
                 hold_chars: int = 240):
        self.check = check
        self.hold_chars = hold_chars
        self.pending = ""
        self.released = ""
        names = "|".join(re.escape(n) for n in labels if n)
        self._label = re.compile(rf"^\s*(?:\*\*)?(?:customer|{names})(?:\*\*)?\s*:\s*",
                                 re.IGNORECASE) if names else re.compile(r"^\s*customer\s*:\s*",
                                                                         re.IGNORECASE)

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the pieces now safe to show."""
        self.pending += text
        out: list[str] = []
        while (m := _BOUNDARY.search(self.pending)) and m.end() > 0:
            piece, self.pending = self.pending[:m.end()], self.pending[m.end():]
            self._release(piece, out)
        if len(self.pending) > self.hold_chars:
            # A run-on "sentence": check what there is and let it through up to a space.
            cut = self.pending.rfind(" ") + 1 or len(self.pending)
            piece, self.pending = self.pending[:cut], self.pending[cut:]
            self._release(piece, out)
        return out

    def finish(self) -> list[str]:
        """The end of the stream: release the last sentence; an empty reply is a break."""
        out: list[str] = []
        piece, self.pending = self.pending.rstrip(), ""
        self._release(piece, out)
        if not self.released.strip():
            raise CharacterBroken(CharacterBreak("empty", "was empty", ""), self.released)
        return out

    def _release(self, piece: str, out: list[str]) -> None:
        if not self.released:
            piece = self._label.sub("", piece, count=1).lstrip()
        if not piece.strip():
            if self.released and piece:  # whitespace between sentences: nothing to check
                self.released += piece
                out.append(piece)
            return
        brk = self.check(piece.strip())
        if brk is not None:
            raise CharacterBroken(brk, self.released)
        self.released += piece
        out.append(piece)


@dataclass
class RenderReport:
    """What happened while rendering the last reply (for logs, tests and the UI)."""

    attempts: int = 0
    breaks: list[str] = field(default_factory=list)
    truncated: bool = False
    fallback: bool = False
    usage: Usage | None = None


class LLMRenderer:
    """A :class:`~simulator.render.base.Renderer` that asks a chat model for the words."""

    def __init__(self, backend: ChatBackend, *, regenerations: int = 2,
                 fallback: Renderer | None = None, checker: CharacterChecker | None = None,
                 temperature: float | None = None, max_tokens: int | None = None,
                 policy: RetryPolicy | None = None, prompts: PromptFile | None = None,
                 hold_chars: int = 240):
        self.backend = backend
        self.name = f"llm:{backend.name}"
        self.regenerations = regenerations
        self.fallback = fallback or OfflineRenderer()
        self.checker = checker
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.policy = policy or getattr(backend, "policy", None) or RetryPolicy()
        self.prompts = prompts
        self.hold_chars = hold_chars
        self.where = getattr(backend, "where", f"the language model {backend.model!r}")
        self.last_report = RenderReport()

    def render(self, request: RenderRequest) -> Iterator[str]:
        """Stream the customer's reply; see the module docstring for the policy."""
        report = RenderReport()
        self.last_report = report
        checker = self.checker or checker_for(request.persona.language)
        check = checker.bind(request)
        who = request.persona.identity.name
        labels = [who, who.split()[0]]
        reasons: list[str] = []
        for attempt in range(self.regenerations + 1):
            report.attempts += 1
            messages = customer_messages(request, reasons, self.prompts)
            seed = (request.seed * 7919 + len(request.history) * 31 + attempt) % 2**31

            def one_try(messages=messages, seed=seed) -> Iterator[str]:
                gate = SentenceGate(check, labels, self.hold_chars)
                stream = self.backend.stream(messages, temperature=self.temperature,
                                             max_tokens=self.max_tokens, seed=seed)
                with closing(stream):  # stop the HTTP stream when a sentence fails
                    for chunk in stream:
                        if chunk.usage is not None:
                            report.usage = chunk.usage
                        if chunk.text:
                            yield from gate.feed(chunk.text)
                yield from gate.finish()

            try:
                yield from stream_until_shown(one_try, self.policy, self.where)
                return
            except CharacterBroken as exc:
                report.breaks.append(exc.brk.kind)
                if exc.released:
                    report.truncated = True
                    log.warning("customer reply broke character after %d characters were "
                                "shown (%s: %r); the rest is dropped", len(exc.released),
                                exc.brk.kind, exc.brk.sentence)
                    return
                log.warning("customer reply broke character (%s: %r); attempt %d of %d",
                            exc.brk.kind, exc.brk.sentence, attempt + 1,
                            self.regenerations + 1)
                reasons.append(exc.brk.reason)
        report.fallback = True
        log.warning("customer reply broke character %d times (%s); using the offline reply "
                    "instead", report.attempts, ", ".join(report.breaks))
        yield from self.fallback.render(request)
