"""What reached the trainee, checked independently of the guards being measured.

The guards (simulator/render/character.py) decide what is shown; the harness must not
grade them with their own rules. These checks are deliberately simple and written apart:
word n-grams, a few English phrases, punctuation. They over-report rather than miss (a
sample of every flag is printed for a person to read), and they say which language they
cover: the phrase checks are English only, the rest work for any language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# English phrases a customer does not say to the company's agent.
ROLE_REVERSAL_EN = [
    r"\bthank(s| you),? (so much )?for your (understanding|patience|cooperation)\b",
    r"\bI(?:'ll| will) (?:confirm|process|credit|refund|add|arrange|issue|escalate|send you|"
    r"look into (?:this|it) for you|make sure (?:that )?you)\b",
    r"\b(?:we|I)(?:'ll| will| can) (?:offer|give) you\b",
    r"\bto your account\b",
    r"\bfor the overdraft fee your bank\b",
]
AGENT_SPEAK_EN = [
    r"\b(?:apologi[sz]e|sorry) for (?:the|any) inconvenience\b",
    r"\bI appreciate your (?:understanding|patience)\b",
    r"\bhow (?:can|may) I (?:help|assist)\b",
    r"\bis there anything else (?:I can|we can)\b",
    r"\bthank(?:s| you) for (?:contacting|calling|reaching out|choosing)\b",
    r"\bwe value you as a customer\b",
    r"\bI understand (?:your|how) (?:frustration|frustrating)\b",
]
SPECIAL_TOKEN = re.compile(
    r"<\|[^|<>\n]{1,40}\|>|</?s>|\[/?INST\]|<(?:start|end)_of_turn>|<\|?im_(?:start|end)\|?>"
    r"|<bos>|<eos>|<pad>|</?agent_message>"
)
PROMPT_MARKERS = [
    "agent_message",
    "only if asked",
    "give it in this reply",
    "already told",
    "state machine",
    "hidden fact",
    "bottom line",
    "reaction:",
    "you are playing",
    "role-play",
]
# A reply that opens with a bracket is a stage direction or an instruction ("[You have a
# conversation with the agent."), not something a customer says.
STAGE_DIRECTION = re.compile(r"^\s*[\[{(<]")
SENTENCE_END = re.compile(r"[.!?…。！？;»\"'”’)\]]\s*$")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def shingles(text: str, n: int) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = set(words(a)), set(words(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def content_words(text: str) -> set[str]:
    """Words that identify a fact: with a digit, or five letters and more."""
    return {w for w in words(text) if any(c.isdigit() for c in w) or len(w) >= 5}


def fact_given(fact: str, reply: str) -> bool:
    """Whether ``reply`` gives ``fact``: a fact with a reference or an amount (a word with a
    digit) is given by one of those ("I don't have the reference number" is not); one
    without, by at least half of its long words."""
    key = content_words(fact)
    if not key:
        return True
    got = set(words(reply))
    digits = {w for w in key if any(c.isdigit() for c in w)}
    if digits:
        return bool(digits & got)
    return len(key & got) * 2 >= len(key)


@dataclass
class TurnAudit:
    """The flags of one shown customer reply."""

    flags: list[str] = field(default_factory=list)
    reveal_planned: bool = False
    reveal_given: bool | None = None


def text_flags(shown: str) -> set[str]:
    """The flags that need only the shown text (the report re-derives these from saved
    results, so an older run is read with the current checks)."""
    text = shown.strip()
    flags = set()
    if SPECIAL_TOKEN.search(text):
        flags.add("special_token")
    if STAGE_DIRECTION.search(text):
        flags.add("prompt_text")
    if text and not SENTENCE_END.search(text):
        flags.add("dangling")
    return flags


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def prompt_shingles(instructions: Iterable[str], exclude: Iterable[str], n: int = 6) -> set:
    """The prompt's own n-word runs (its instruction text), minus those in ``exclude``
    (the persona's case text, which the customer may say)."""
    own: set = set()
    for text in _strings(list(instructions)):
        for part in re.split(r"\$\{?\w+\}?", text):
            own |= shingles(part, n)
    for text in exclude:
        own -= shingles(text, n)
    return own


def audit_turn(
    shown: str,
    *,
    language: str,
    last_agent: str,
    earlier_customer: list[str],
    own_names: list[str],
    prompt_runs: set,
    fact: str | None,
    opening: bool = False,
) -> TurnAudit:
    """Independent flags for one reply the trainee saw."""
    out = TurnAudit()
    text = shown.strip()
    if not text:
        out.flags.append("empty")
    if language == "en":
        if any(re.search(p, text, re.IGNORECASE) for p in ROLE_REVERSAL_EN):
            out.flags.append("role_reversal")
        if any(re.search(p, text, re.IGNORECASE) for p in AGENT_SPEAK_EN):
            out.flags.append("agent_speak")
    for name in own_names:
        # "Thank you, Darren Hollis": the customer addressing themselves by name
        named = re.escape(name)
        if re.search(rf"\b{named}\b[,.!?]", text, re.IGNORECASE) and not re.search(
            rf"\b(?:my name is|I'm|I am|this is|it's|(?:in|under) my name,?)\s+{named}\b",
            text,
            re.IGNORECASE,
        ):
            out.flags.append("self_address")
            break
    echoes = bool(shingles(text, 6) & shingles(last_agent, 6)) or (
        len(words(text)) >= 6 and jaccard(text, last_agent) >= 0.6
    )
    if last_agent and not opening and echoes:
        out.flags.append("echo")
    if any(
        jaccard(text, before) >= 0.8 or (text and text == before.strip())
        for before in earlier_customer
    ):
        out.flags.append("repetition")
    low = text.lower()
    found = text_flags(text)
    if shingles(text, 6) & prompt_runs or any(m in low for m in PROMPT_MARKERS):
        found.add("prompt_text")
    out.flags += [k for k in ("special_token", "prompt_text", "dangling") if k in found]
    if fact:
        out.reveal_planned = True
        out.reveal_given = fact_given(fact, text)
        if not out.reveal_given:
            out.flags.append("reveal_missing")
    return out
