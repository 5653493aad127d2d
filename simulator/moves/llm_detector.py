"""Move detection by a model, for paraphrases and languages the patterns do not cover.

:class:`LLMDetector` asks the model which moves an agent turn makes, good moves and
violations, each with the exact words that show it. Code checks every quote (:func:`quote_problem`):
it must be in the turn, and be a whole clause or at least three whole words (in a script
written without spaces, at least three characters), so "I" or "sorry" alone proves
nothing. When ``detect_moves`` is on, the wiring adds it to the default reader
(:class:`~.combine.CombinedReader`): the rules' and the encoder's findings stand; the model
adds good moves they missed (never in a sentence where a violation was found), and
violations they missed only when its quote is a whole clause (a violation changes a score
and the customer's mood, so it needs the whole evidence, not three words of it).

Detection is optional: when the model fails or answers nonsense, the turn simply gets
the rule detector's moves, and a warning is logged on ``frontline.llm``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict

from pydantic import BaseModel, ConfigDict, ValidationError

from ..languages import Splitter, splitter_for
from ..llm.backend import ChatBackend
from ..llm.retry import BackendError
from .detector import Detection
from .llm_prompts import DetectorPrompts, detector_messages
from .vocabulary import GOOD_MOVES, VIOLATIONS, Move

log = logging.getLogger("frontline.llm")

ASKED = sorted(m.value for m in GOOD_MOVES | VIOLATIONS)
# Scripts written without spaces between words: a quote is counted in characters there.
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_EDGE = " \t\n.,;:!?\"'()[]«»“”‘’。，；：！？、（）"
MIN_WORDS = 3
MIN_CHARS = 3
MOVES_SCHEMA = {
    "title": "agent_moves",
    "type": "object",
    "properties": {
        "moves": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "move": {"type": "string", "enum": ASKED},
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


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _EDGE:
        a += 1
    while b > a and text[b - 1] in _EDGE:
        b -= 1
    return a, b


def is_whole_clause(
    text: str, span: tuple[int, int], sentence: tuple[int, int], splitter: Splitter
) -> bool:
    """Whether ``span`` is, but for punctuation and spaces at its edges, one clause of the
    sentence (or the whole sentence), as the language's splitter cuts it."""
    a, b = _trim(text, *span)
    pieces = [sentence, *splitter.clauses(text, *sentence)]
    return any(_trim(text, s, e) == (a, b) for s, e in pieces)


def quote_problem(
    text: str, span: tuple[int, int], sentence: tuple[int, int], splitter: Splitter
) -> str | None:
    """Why the quote at ``span`` of ``text`` is too thin to show a move, or None: it must
    be a whole clause, or start and end on word boundaries with at least three words (in
    a script without spaces, at least three of its characters)."""
    if is_whole_clause(text, span, sentence, splitter):
        return None
    a, b = _trim(text, *span)
    quote = text[a:b]
    if _NO_SPACES.search(quote):
        count = len(_NO_SPACES.findall(quote)) + len(
            re.findall(r"[^\W\d_]+", _NO_SPACES.sub(" ", quote))
        )
        return None if count >= MIN_CHARS else f"{quote!r} is under {MIN_CHARS} characters"
    if (a > 0 and text[a - 1].isalnum()) or (b < len(text) and text[b].isalnum()):
        return f"{quote!r} cuts a word"
    if len(re.findall(r"\w+(?:['’-]\w+)*", quote)) < MIN_WORDS:
        return f"{quote!r} is under {MIN_WORDS} words and not a whole clause"
    return None


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
        language: str | None = None,
    ):
        self.backend = backend
        # The wording of the question is the language pack's (``prompts`` overrides it);
        # one detector serves one language, so its cache is that language's.
        self.language = language
        # The quote around a found move is its sentence, as the turn's language splits it.
        self.splitter = splitter or splitter_for("en")
        self.prompts = prompts
        self._cache: OrderedDict[str, list[Detection]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # one detector serves every session of the web app

    def detect(self, text: str) -> list[Detection]:
        """Good moves in ``text`` with verified spans; [] when the model cannot help."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return list(self._cache[text])
        found = self._ask(text)
        if found is not None:
            with self._lock:
                self._cache[text] = found
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return list(found or [])

    def _ask(self, text: str) -> list[Detection] | None:
        schema = MOVES_SCHEMA if self.backend.capabilities.structured_output != "none" else None
        try:
            done = self.backend.complete(
                detector_messages(text, self.prompts, self.language),
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
            span = locate(item.quote, text)
            if span is None:
                log.info(
                    "move detection: %s quote %r is not in the turn; dropped",
                    move.value,
                    item.quote,
                )
                continue
            s, e = next(((a, b) for a, b in sentences if a <= span[0] < b), span)
            if (why := quote_problem(text, span, (s, e), self.splitter)) is not None:
                log.info("move detection: %s dropped: %s", move.value, why)
                continue
            if any(d.move is move and d.quote_start == s for d in out):
                continue
            out.append(
                Detection(
                    move, span[0], span[1], text[span[0] : span[1]], text[s:e], s, source="llm"
                )
            )
        out.sort(key=lambda d: (d.start, d.move))
        return out
