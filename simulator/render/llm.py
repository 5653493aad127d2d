"""The LLM customer: a model words the reply; the state machine has already decided it.

The model is told the persona, the case (hidden facts marked "only if asked", and the
one to give now), the expectation and bottom line, the state and the reaction chosen for
this turn. The trainee's words reach it only as wrapped user messages.

Streaming policy (early release)
    Text is released as soon as no in-character check (:mod:`.character`) could still
    fail on it (:class:`~.release.EarlyGate`): the phrase rules are matched partially, so
    only a tail that could still grow into a forbidden phrase is held back ("I" might
    become "I'm satisfied"), and a sentence is held from a distinctive word of a hidden
    fact the trainee has not asked about until the sentence ends and has been checked.
    Every sentence is still checked whole when it ends. So the trainee never sees a word
    that failed a check; what they may see is the harmless start of a sentence that then
    fails (``release="sentence"`` holds whole sentences instead, at the cost of latency).

    * A check fails before anything was shown: the reply is regenerated, the model
      being told why, up to ``regenerations`` times; then the offline phrase-bank reply
      is used instead. Every such event is logged on the ``frontline.llm`` logger.
    * A check fails after some text was shown: that text stays (it passed), the rest of
      the reply is dropped and the event is logged. A stream whose text reached the
      trainee is never tried again.
    * The backend fails before anything was shown: tried again (transient errors, within
      the retry policy); then :class:`~simulator.llm.retry.BackendError` is raised.
    * The backend fails after something was shown: :class:`StreamInterrupted` is raised,
      its ``shown`` being the text the trainee saw. A session does not save a partial
      reply, so the UI can discard it and offer "retry" or "continue offline".

    ``bench/bench_llm.py`` measures the delay from the model's first token to the
    trainee's first words under both policies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Literal

from ..languages import splitter_for
from ..llm.backend import ChatBackend, Usage
from ..llm.retry import RetryPolicy, stream_until_shown
from .base import Renderer, RenderRequest
from .character import CharacterChecker, checker_for
from .offline import OfflineRenderer
from .prompts import CustomerPrompts, customer_messages
from .release import CharacterBroken, EarlyGate, SentenceGate

__all__ = ["CharacterBroken", "EarlyGate", "LLMRenderer", "RenderReport", "SentenceGate"]

log = logging.getLogger("frontline.llm")


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

    def __init__(
        self,
        backend: ChatBackend,
        *,
        regenerations: int = 2,
        fallback: Renderer | None = None,
        checker: CharacterChecker | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        policy: RetryPolicy | None = None,
        prompts: CustomerPrompts | None = None,
        hold_chars: int = 240,
        release: Literal["early", "sentence"] = "early",
    ):
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
        if release not in ("early", "sentence"):
            raise ValueError(f"release must be 'early' or 'sentence', not {release!r}")
        self.gate = EarlyGate if release == "early" else SentenceGate
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
        splitter = splitter_for(request.persona.language)
        reasons: list[str] = []
        for attempt in range(self.regenerations + 1):
            report.attempts += 1
            messages = customer_messages(request, reasons, self.prompts)
            seed = (request.seed * 7919 + len(request.history) * 31 + attempt) % 2**31

            def one_try(messages=messages, seed=seed) -> Iterator[str]:
                gate = self.gate(check, labels, self.hold_chars, splitter)
                stream = self.backend.stream(
                    messages, temperature=self.temperature, max_tokens=self.max_tokens, seed=seed
                )
                try:
                    with closing(stream):  # stop the HTTP stream when a check fails
                        for chunk in stream:
                            if chunk.usage is not None:
                                report.usage = chunk.usage
                            if chunk.text:
                                yield from gate.feed(chunk.text)
                    yield from gate.finish()
                except CharacterBroken as exc:
                    yield from exc.unsent  # passed in the same piece as the failure
                    raise

            try:
                yield from stream_until_shown(one_try, self.policy, self.where)
                return
            except CharacterBroken as exc:
                report.breaks.append(exc.brk.kind)
                if exc.released:
                    report.truncated = True
                    log.warning(
                        "customer reply broke character after %d characters were "
                        "shown (%s: %r); the rest is dropped",
                        len(exc.released),
                        exc.brk.kind,
                        exc.brk.sentence,
                    )
                    return
                log.warning(
                    "customer reply broke character (%s: %r); attempt %d of %d",
                    exc.brk.kind,
                    exc.brk.sentence,
                    attempt + 1,
                    self.regenerations + 1,
                )
                reasons.append(exc.brk.reason)
        report.fallback = True
        log.warning(
            "customer reply broke character %d times (%s); using the offline reply instead",
            report.attempts,
            ", ".join(report.breaks),
        )
        yield from self.fallback.render(request)
