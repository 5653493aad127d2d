"""The LLM customer: a model words the reply; the state machine has already decided it.

The model is told the persona, the case (hidden facts marked "only if asked", and the
one to give now), the expectation and bottom line, the state and the reaction chosen for
this turn. The trainee's words reach it only as wrapped user messages.

Streaming policy (sentences held until judged)
    Each sentence is shown once it is complete and has passed every in-character check
    (:mod:`.character`; :class:`~.release.SentenceGate`): echo, repetition and prompt text
    can only be judged on a whole sentence. A reply that must give a fact, or that so far
    only goes along with the agent under a reaction that pushes back, is held until the
    whole-reply checks (:meth:`~.character.TurnCheck.reply`) can no longer fail.
    ``release="early"`` (:class:`~.release.EarlyGate`) shows text as soon as no phrase
    rule could still match it; a sentence failing after its start was shown is then
    finished from the phrase bank, so no fragment is left dangling.

    * A check fails before anything was shown: the reply is regenerated, the model
      being told why, up to ``regenerations`` times; then the offline phrase-bank reply
      is used instead. Every such event is logged on the ``frontline.llm`` logger.
    * A check fails after some text was shown: that text stays (it passed), the rest of
      the reply is dropped (a shown fragment is finished from the phrase bank) and the
      event is logged. A stream whose text reached the trainee is never tried again.
    * The model stops at its token limit mid-sentence: the fragment is dropped (a reply
      that is only a fragment is regenerated).
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
from ..transcript import GuardRecord
from .base import Renderer, RenderRequest
from .character import CharacterChecker, checker_for
from .offline import OfflineRenderer
from .prompts import CustomerPrompts, customer_messages, customer_prompts, instruction_texts
from .release import SENTENCE_ENDED, CharacterBroken, EarlyGate, SentenceGate

__all__ = ["CharacterBroken", "EarlyGate", "LLMRenderer", "RenderReport", "SentenceGate"]

log = logging.getLogger("frontline.llm")


@dataclass
class RenderReport:
    """What happened while rendering the last reply (for logs, tests, the UI and the
    guard record saved with the turn: :meth:`guard`)."""

    attempts: int = 0
    breaks: list[str] = field(default_factory=list)
    truncated: bool = False
    fallback: bool = False
    usage: Usage | None = None
    checks: list[str] = field(default_factory=list)
    completed_from_bank: bool = False

    @property
    def shown(self) -> Literal["llm", "regenerated", "bank"]:
        """Whose words the trainee saw: the model's first draft, a regenerated draft, or
        the phrase bank's (every draft failed)."""
        if self.fallback:
            return "bank"
        return "regenerated" if self.attempts > 1 else "llm"

    def guard(self) -> GuardRecord:
        """The record of this reply's checks, saved with the customer's turn."""
        return GuardRecord(
            checks=list(self.checks),
            failed=list(self.breaks),
            shown=self.shown,
            attempts=self.attempts,
            truncated=self.truncated,
            completed_from_bank=self.completed_from_bank,
        )


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
        release: Literal["early", "sentence"] = "sentence",
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
        """Stream the customer's reply; see the module docstring for the policy. When it
        is done, ``request.guard`` records the checks (and ``last_report`` has them)."""
        report = RenderReport()
        self.last_report = report
        try:
            yield from self._render(request, report)
        finally:
            request.guard = report.guard()

    def _render(self, request: RenderRequest, report: RenderReport) -> Iterator[str]:
        checker = self.checker or checker_for(request.persona.language)
        prompts = self.prompts or customer_prompts(request.persona.language)
        check = checker.bind(request, instruction_texts(prompts))
        report.checks = list(check.checks)
        who = request.persona.identity.name
        labels = [who, who.split()[0]]
        splitter = splitter_for(request.persona.language)
        reasons: list[str] = []
        for attempt in range(self.regenerations + 1):
            report.attempts += 1
            messages = customer_messages(request, reasons, prompts)
            seed = (request.seed * 7919 + len(request.history) * 31 + attempt) % 2**31

            def one_try(messages=messages, seed=seed) -> Iterator[str]:
                gate = self.gate(check, labels, self.hold_chars, splitter)
                stream = self.backend.stream(
                    messages, temperature=self.temperature, max_tokens=self.max_tokens, seed=seed
                )
                # Text a whole-reply check could still fail on is held (a reply that must
                # give a fact, or that so far only goes along with the agent).
                held: list[str] = []
                holding = check.needs_whole("")
                cut = False

                def passed(pieces: list[str]) -> list[str]:
                    nonlocal holding
                    if not holding:
                        return pieces
                    held.extend(pieces)
                    if check.needs_whole("".join(held)):
                        return []
                    holding = False
                    out, held[:] = list(held), []
                    return out

                try:
                    with closing(stream):  # stop the HTTP stream when a check fails
                        for chunk in stream:
                            if chunk.usage is not None:
                                report.usage = chunk.usage
                            cut = cut or chunk.finish_reason == "length"
                            if chunk.text:
                                yield from passed(gate.feed(chunk.text))
                    pieces = gate.finish(cut)
                    if holding:
                        whole = "".join(held + pieces)
                        if (brk := check.reply(whole)) is not None:
                            raise CharacterBroken(brk, "")
                        pieces = held + pieces
                    yield from pieces
                except CharacterBroken as exc:
                    if holding:
                        passed_whole = held + exc.unsent
                        if not passed_whole or check.needs_whole("".join(passed_whole)):
                            exc.released, exc.unsent = "", []  # nothing of it was shown
                            raise
                        # Held only while a whole-reply check could still fail on it (it
                        # might have been an earlier reply again): shown as if never held.
                        exc.unsent = passed_whole
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
                    if not SENTENCE_ENDED.search(exc.released.rstrip()):
                        # A fragment was shown ("I did ask "): finish it from the bank.
                        report.completed_from_bank = True
                        yield (
                            checker.rules.break_off.lstrip()
                            if exc.released.endswith(" ")
                            else checker.rules.break_off
                        )
                        yield from self.fallback.render(request)
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
