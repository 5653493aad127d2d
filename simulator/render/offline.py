"""The offline engine: the customer's words from the persona's phrase banks.

Deterministic for a seed, and varied: a line already said in this session is not said
again while the bank has others, and once all are said, the one said longest ago comes
next (never the same line twice running while the bank has another). Placeholders are
filled from the case, so the customer talks about their own complaint.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections.abc import Iterator

from ..languages import Splitter, splitter_for
from ..persona.model import BandedPhrases, Persona
from ..reactions import Reaction
from .base import RenderRequest, wish_text

HOT = 60


def _rng(*parts: object) -> random.Random:
    # Python's hash() is salted per process; a digest keeps seeds stable across runs.
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def fill_values(request: RenderRequest) -> dict[str, str]:
    """The values placeholders may use, for this turn."""
    p: Persona = request.persona
    case = p.case
    remedies = {r.id: r.description for r in case.remedies}
    hidden = {f.id: f.text for f in case.hidden_facts}
    n_said = sum(1 for t in request.history if t.role == "customer")
    return {
        "name": p.identity.name,
        "company": p.identity.company,
        "title": case.title,
        "fact": case.facts[n_said % len(case.facts)],
        "hidden_fact": hidden.get(request.plan.fact or "", "") or wish_text(request),
        "expectation": case.expectation,
        "bottom_line": case.bottom_line,
        "if_crossed": case.if_crossed,
        # Without a remedy named in the plan, the one on the table (or, failing that, what
        # they hoped for): always in the persona's language, never a word of English.
        "offer": remedies.get(request.plan.offer or request.state.offer or "", case.expectation),
        "rejected": remedies.get(
            request.plan.rejected or (request.state.rejected or [""])[-1],
            case.rejects[0] if case.rejects else case.expectation,
        ),
    }


def bank_for(persona: Persona, reaction: Reaction, anger: float) -> list[str]:
    """The phrase variants for a reaction at this level of anger."""
    entry = persona.phrases[reaction]
    if isinstance(entry, BandedPhrases):
        return entry.hot if anger >= HOT else entry.cool
    return entry


# Marks that open a sentence before its first word ("¿Un reembolso?", "«Ладно»").
_OPENERS = "¿¡«\"'“‘„(["


def fill(template: str, values: dict[str, str], language: str = "en") -> str:
    """Fill a phrase's placeholders; a value that starts a sentence gets a capital letter,
    so "{offer} — fine." reads "The refund — fine." whatever case the persona file used.
    Where sentences start is the language's splitter's say: not after an abbreviation
    ("25 лв. {offer}"), a title, a stop inside "etc.," nor a pause ("So… {offer}")."""
    splitter = splitter_for(language)
    out: list[str] = []
    for literal, name, spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        value = format(values[name], spec or "")
        so_far = "".join(out)
        if value and _starts_sentence(so_far, value, splitter):
            value = value[0].upper() + value[1:]
        out.append(value)
    return "".join(out)


def _starts_sentence(so_far: str, value: str, splitter: Splitter) -> bool:
    """Whether ``value``, put after ``so_far``, is the first word of a sentence."""
    head = so_far.rstrip().rstrip(_OPENERS).rstrip()
    if not head:
        return True
    if head.endswith(("…", "...")):
        return False  # a pause, not an end: "So… a refund"
    text, at = so_far + value, len(so_far)
    return any(
        s <= at and not text[s:at].strip().strip(_OPENERS) for s, _ in splitter.sentences(text)
    )


def _said_before(template: str, said: str) -> bool:
    """Whether this phrase's own wording, with any values, was already said in the session.

    A phrase that is nothing but a placeholder ("{hidden_fact}") has no wording of its own,
    so it never counts as said: giving just the fact is always natural."""
    parts = list(string.Formatter().parse(template))
    if not any(literal.strip() for literal, _, _, _ in parts):
        return False
    pattern = "".join(
        re.escape(literal) + (".+?" if name is not None else "") for literal, name, _, _ in parts
    )
    return re.search(pattern, said, re.S) is not None


def _said_longest_ago(options: list[str], turns: list[str]) -> list[str]:
    """Every line of the bank has been said: the ones last said longest ago, so the
    customer never says the same line twice running while the bank has another ("Is there
    anything that can be done?" two turns in a row, however short, sounds like a machine)."""

    def last(o: str) -> tuple[int, int]:
        # A whole reply said again is the glaring repeat; a line inside a longer reply less so.
        whole = max((i for i, t in enumerate(turns) if o == t), default=-1)
        return whole, max((i for i, t in enumerate(turns) if o in t), default=-1)

    oldest = min(map(last, options))
    return [o for o in options if last(o) == oldest]


class OfflineRenderer:
    """Renders replies from phrase banks; needs no network and no model."""

    name = "offline"

    def reply(self, request: RenderRequest) -> str:
        """The whole reply as one string."""
        values = fill_values(request)
        turns = [t.text for t in request.history if t.role == "customer"]
        said = " ".join(turns)
        turn = len(request.history)
        parts = []
        reactions = [request.plan.reaction] + [
            r for r in request.plan.extras if r is not request.plan.reaction
        ]
        for reaction in reactions:
            templates = bank_for(request.persona, reaction, request.state.anger)
            options = [fill(line, values, request.persona.language) for line in templates]
            # Prefer a line whose own wording has not been heard yet ("Oh, yes. {fact}" twice
            # sounds like a machine), then any line not said verbatim, then anything.
            unheard = [
                o
                for t, o in zip(templates, options, strict=True)
                if not _said_before(t, said) and o not in said and o not in parts
            ]
            fresh = (
                unheard
                or [o for o in options if o not in said and o not in parts]
                or _said_longest_ago([o for o in options if o not in parts] or options, turns)
            )
            rng = _rng(request.persona.id, request.seed, turn, reaction.value)
            parts.append(rng.choice(fresh))
        if (
            request.plan.reaction is not Reaction.ANSWER_QUESTION
            and Reaction.ANSWER_QUESTION in request.plan.extras
        ):
            # The answer to the question reads better first: "It was the 3rd. But..."
            parts.insert(0, parts.pop())
        # Sentences follow each other with a space, except in a language written without
        # spaces (Chinese: "…背面了。不好意思…"), as its pack's manifest says.
        joint = " " if splitter_for(request.persona.language).spaces_between_words else ""
        return joint.join(parts)

    def render(self, request: RenderRequest) -> Iterator[str]:
        """Yield the reply word by word, so interfaces can stream it like an LLM's."""
        text = self.reply(request)
        words = text.split(" ")
        for i, word in enumerate(words):
            yield word if i == len(words) - 1 else word + " "
