"""Move detection by a model, for paraphrases and languages the patterns do not cover.

:class:`LLMDetector` asks the model which good moves an agent turn makes, each with the
exact words that show it; a move whose words are not in the turn is dropped. Violations
are never taken from the model. :class:`CombinedDetector` is what the customer machine
and the grader use when ``detect_moves`` is on: the rule detector's findings stand as
they are (it alone decides violations), and the model may only *add* good moves, never
in a sentence where the rules found a violation.

Detection is optional: when the model fails or answers nonsense, the turn simply gets
the rule detector's moves, and a warning is logged on ``frontline.llm``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict

from pydantic import BaseModel, ConfigDict, ValidationError

from ..languages import Splitter, splitter_for
from ..llm.backend import ChatBackend
from ..llm.retry import BackendError
from .detector import Detection, RuleDetector
from .llm_prompts import DetectorPrompts, detector_messages
from .vocabulary import GOOD_MOVES, VIOLATIONS, Move

log = logging.getLogger("frontline.llm")

GOOD = sorted(m.value for m in GOOD_MOVES)
MOVES_SCHEMA = {
    "title": "agent_moves",
    "type": "object",
    "properties": {
        "moves": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "move": {"type": "string", "enum": GOOD},
                    "quote": {"type": "string"},
                },
                "required": ["move", "quote"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["moves"],
    "additionalProperties": False,
}


class _Found(BaseModel):
    model_config = ConfigDict(extra="ignore")
    move: str
    quote: str


class _Moves(BaseModel):
    model_config = ConfigDict(extra="ignore")
    moves: list[_Found]


def _extract(text: str) -> object:
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object")
    return json.loads(body[start : end + 1])


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``, allowing only whitespace to differ."""
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


class LLMDetector:
    """Finds good moves with a chat model; implements the Detector protocol."""

    def __init__(
        self,
        backend: ChatBackend,
        *,
        prompts: DetectorPrompts | None = None,
        cache_size: int = 256,
        splitter: Splitter | None = None,
    ):
        self.backend = backend
        # The quote around a found move is its sentence, as the turn's language splits it.
        self.splitter = splitter or splitter_for("en")
        self.prompts = prompts
        self._cache: OrderedDict[str, list[Detection]] = OrderedDict()
        self._cache_size = cache_size

    def detect(self, text: str) -> list[Detection]:
        """Good moves in ``text`` with verified spans; [] when the model cannot help."""
        if text in self._cache:
            self._cache.move_to_end(text)
            return list(self._cache[text])
        found = self._ask(text)
        if found is not None:
            self._cache[text] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return list(found or [])

    def _ask(self, text: str) -> list[Detection] | None:
        schema = MOVES_SCHEMA if self.backend.capabilities.structured_output != "none" else None
        try:
            done = self.backend.complete(
                detector_messages(text, self.prompts),
                temperature=0.0,
                seed=0,
                json_schema=schema,
                max_tokens=512,
            )
        except BackendError as exc:
            log.warning("move detection by the model failed; using the rules only: %s", exc)
            return None
        try:
            answer = _Moves.model_validate(_extract(done.text))
        except (ValueError, ValidationError, RecursionError) as exc:
            log.warning(
                "move detection: unusable answer from the model (%s)", str(exc).splitlines()[0]
            )
            return []
        sentences = self.splitter.sentences(text)
        out: list[Detection] = []
        for item in answer.moves:
            try:
                move = Move(item.move)
            except ValueError:
                continue
            if move in VIOLATIONS:
                continue  # the rule detector alone decides violations
            span = locate(item.quote, text)
            if span is None:
                log.info(
                    "move detection: %s quote %r is not in the turn; dropped",
                    move.value,
                    item.quote,
                )
                continue
            s, e = next(((a, b) for a, b in sentences if a <= span[0] < b), span)
            if any(d.move is move and d.quote_start == s for d in out):
                continue
            out.append(
                Detection(
                    move, span[0], span[1], text[span[0] : span[1]], text[s:e], s, source="llm"
                )
            )
        out.sort(key=lambda d: (d.start, d.move))
        return out


class CombinedDetector:
    """Rule detections as they are, plus good moves the model found that the rules missed."""

    def __init__(self, rules: RuleDetector, llm: LLMDetector):
        self.rules = rules
        self.llm = llm
        self.patterns = rules.patterns
        self.splitter = rules.splitter

    def is_negated(self, sentence: str) -> bool:
        return self.rules.is_negated(sentence)

    def detect(self, text: str) -> list[Detection]:
        found = self.rules.detect(text)
        have = {(d.move, d.quote_start) for d in found}
        spoiled = {d.quote_start for d in found if d.move in VIOLATIONS}
        for d in self.llm.detect(text):
            if (
                d.move in GOOD_MOVES
                and d.quote_start not in spoiled
                and (d.move, d.quote_start) not in have
            ):
                found.append(d)
                have.add((d.move, d.quote_start))
        found.sort(key=lambda d: (d.start, d.move))
        return found
