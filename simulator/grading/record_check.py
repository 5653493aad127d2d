"""Grading the complaint record against the case, field by field (DOMAIN §3.10).

Each field of the trainee's :class:`~simulator.complaint_record.ComplaintRecord` is met or
missed, with the reason in a sentence:

- **topic** names the kind of complaint: a word of the case's title or of its type (§2.3);
- **customer** holds the customer's name, and every reference the customer gave in the
  call (an account or booking number that appears in their turns);
- **date** is a date; when the case states one ("the 1st of March", "Tuesday"), the same;
- **details** carries the substance of the case: at least three of its content words;
- **resolution** says what was agreed (the remedy the customer accepted, recognised by the
  persona's own remedy patterns or words), or, when nothing was, that it is unresolved;
- **next_step** says what happens next (the remedy, or a follow-up action);
- **deadline** is a time, the one the trainee gave in the call when they gave one
  (§4.4: the promise the customer will hold them to).

Without the persona (a transcript graded on its own) the record can only be checked for
completeness, and each reason says so. The check is English-centred where it reads words
(the stop list, the date and follow-up words); names, numbers and codes work in any
language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .. import saferegex
from ..complaint_record import RECORD_FIELDS, ComplaintRecord
from ..customer.state import Outcome
from ..moves.detector import default_detector
from ..moves.vocabulary import Move
from ..persona.model import Persona
from ..transcript import Transcript

LABELS = {name: label for name, label, _ in RECORD_FIELDS}
LEVELS = {"expectation": 2, "bottom_line": 1, "below": 0}

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# Words too common to say anything about the case (English: see the module docstring).
_STOP = frozenset(
    """about above after again against also because been before being below between both
    could didn't does doing done down during each every from further have having here
    into itself just more most much must never nobody nothing once only other over same
    should some such than that their them then there these they this those through told
    under until very want wanted wants were what when where which while will with would
    your yours you're i've i'll i'm it's that's don't can't won't still even back
    said says today customer""".split()  # noqa: SIM905
)
_MONTHS = "january february march april may june july august september october november december"
_MONTHS = _MONTHS.split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()  # noqa: SIM905
_RELATIVE = {"today", "tomorrow", "yesterday", "tonight", "week", "weekend", "month", "ago"}
_TIME_WORDS = set(_MONTHS) | set(_DAYS) | _RELATIVE | {"hour", "hours", "day", "days", "weeks"}
_ORDINAL = re.compile(r"^[0-9]{1,2}(?:st|nd|rd|th)$")
# A reference the customer gives: a code of capitals and digits (BM-7731-0492, CR-558120), or
# a long number.
_REFERENCE = re.compile(r"\b[A-Z]{1,4}-?\d{3,}(?:[-/][\dA-Z]+)*\b|\b\d{6,}\b")
_FOLLOW_UP = re.compile(
    r"\b(call|ring|phone|email|e-mail|text|write|send|confirm|check|follow|contact|post|"
    r"collect|refund|replace|repair|credit|pay|arrange|book|visit|escalat)\w*",
    re.IGNORECASE,
)
_UNRESOLVED = re.compile(
    r"\b(not|un|no)\s*-?\s*(resolved|accepted|agreed|settled)|\bunresolved\b|\bescalat\w*|"
    r"\b(left|hung up|declined|refused|rejected|pending|open|ombudsman|supervisor|manager)\b",
    re.IGNORECASE,
)
_TYPE_WORDS = {
    "matter": set(),
    "attitude": {"attitude", "behaviour", "behavior", "staff", "rude", "rudeness", "service"},
    "opinion": {"opinion", "quality", "service", "product", "standard"},
}


@dataclass(frozen=True)
class FieldVerdict:
    """One field of the record: met or missed, and why."""

    field: str
    label: str
    verdict: Literal["met", "missed"]
    reason: str


@dataclass(frozen=True)
class RecordAssessment:
    """The record field by field; ``against_case`` is False when only completeness was
    checked (no persona to check it against)."""

    fields: tuple[FieldVerdict, ...]
    against_case: bool

    @property
    def met(self) -> int:
        return sum(f.verdict == "met" for f in self.fields)

    @property
    def complete(self) -> bool:
        """Every field met."""
        return self.met == len(self.fields)

    def as_dict(self) -> dict:
        """The JSON shape kept in a scorecard's ``record``."""
        return {
            "against_case": self.against_case,
            "met": self.met,
            "of": len(self.fields),
            "fields": [
                {"field": f.field, "label": f.label, "verdict": f.verdict, "reason": f.reason}
                for f in self.fields
            ],
        }


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _stems(text: str) -> set[str]:
    """Content words, cut to five letters so 'charged' meets 'charge' and 'charges'."""
    return {w[:5] for w in _words(text) if len(w) >= 4 and w not in _STOP and not w.isdigit()}


def _time_tokens(text: str, numbers: bool = False) -> set[str]:
    """The words and numbers in ``text`` that place something in time: ordinals ('the
    4th', '01/03'), days, months, 'today'…; with ``numbers``, counts too ('3 days', 'three
    working days'), as a timescale gives them. 'May' is left out: as a word it is far more
    often the verb."""
    out = {
        str(int(d)) for d, m in _DAY_MONTH.findall(text) if 1 <= int(d) <= 31 and 1 <= int(m) <= 12
    }
    for w in _words(_AMOUNT.sub(" ", _DAY_MONTH.sub(" ", text))):
        # ASCII digits only: '¹' or '٣' are digits to str.isdigit but not dates here.
        if _ORDINAL.match(w) or (numbers and _COUNT.fullmatch(w)):
            out.add(str(int(re.sub(r"[^0-9]", "", w))))
        elif numbers and w in _NUMBER_WORDS:
            out.add(_NUMBER_WORDS[w])
        elif w[:3] in _MONTH_OF and w != "may" and (w == w[:3] or w == _MONTH_OF[w[:3]]):
            out.add(_MONTH_OF[w[:3]])
        elif w in _TIME_WORDS:
            out.add(w)
    return out


_COUNTS = "zero one two three four five six seven eight nine ten eleven twelve"
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(_COUNTS.split())}
_DAY_MONTH = re.compile(r"(?<![0-9£$€.,])([0-9]{1,2})/([0-9]{1,2})(?![0-9])")
_COUNT = re.compile(r"[0-9]{1,3}")
# Money is no time: '£64.50' must not read as the 64th or a count of 50.
_AMOUNT = re.compile(r"[£$€]\s?\d[\d,.]*|\d+[.,]\d+")
_MONTH_OF = {m[:3]: m for m in _MONTHS}
_SPECIFIC = set(_MONTHS) | set(_DAYS) | {"today", "tomorrow", "yesterday", "tonight"}


def _specific(tokens: set[str]) -> set[str]:
    """Time tokens that pin a moment (numbers, days, months), not 'days' or 'week'."""
    return {t for t in tokens if t.isdigit() or t in _SPECIFIC}


def _matches(patterns: list[str], text: str) -> bool:
    return any(saferegex.compile(p).search(text) for p in patterns)


def _customer_text(transcript: Transcript) -> str:
    return "\n".join(t.text for t in transcript.turns if t.role == "customer")


def _agent_text(transcript: Transcript) -> str:
    return "\n".join(t.text for t in transcript.turns if t.role == "agent")


def agreed_remedy(persona: Persona, transcript: Transcript):
    """The remedy the customer took: the best acceptable one the agent offered (as the
    customer machine keeps the best offer on the table), or None."""
    agent = _agent_text(transcript)
    offered = [
        r for r in persona.case.remedies if r.level != "below" and _matches(r.triggers, agent)
    ]
    return max(offered, key=lambda r: LEVELS[r.level]) if offered else None


def _met(name: str, reason: str) -> FieldVerdict:
    return FieldVerdict(name, LABELS[name], "met", reason)


def _missed(name: str, reason: str) -> FieldVerdict:
    return FieldVerdict(name, LABELS[name], "missed", reason)


def _completeness(record: ComplaintRecord) -> RecordAssessment:
    out = []
    for name, _label, what in RECORD_FIELDS:
        if getattr(record, name):
            out.append(
                _met(
                    name,
                    "filled in (not checked against the case: its persona is not available here)",
                )
            )
        else:
            out.append(_missed(name, f"left empty; write {what}"))
    return RecordAssessment(tuple(out), against_case=False)


def assess_record(
    record: ComplaintRecord, persona: Persona | None, transcript: Transcript
) -> RecordAssessment:
    """Grade ``record`` field by field against ``persona``'s case and what was said in
    ``transcript``; completeness only when ``persona`` is None."""
    if persona is None:
        return _completeness(record)
    case = persona.case
    case_text = " ".join([*case.facts, *(f.text for f in case.hidden_facts)])
    said = _customer_text(transcript)
    promised = _promises(transcript, persona.language)
    resolved = transcript.outcome is Outcome.RESOLVED
    remedy = agreed_remedy(persona, transcript) if resolved else None
    out = []
    for name, _, what in RECORD_FIELDS:
        text = getattr(record, name)
        if not text:
            out.append(_missed(name, f"left empty; write {what}"))
            continue
        check = _FIELD_CHECKS[name]
        out.append(check(text, persona, case_text, said, promised, remedy, resolved))
    return RecordAssessment(tuple(out), against_case=True)


def _topic(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    case = persona.case
    keys = _stems(case.title) | {w[:5] for w in _TYPE_WORDS[case.type.value]}
    shared = _stems(text) & keys
    if shared:
        return _met("topic", f"names the kind of complaint ({case.type.value}: {case.title})")
    return _missed("topic", f"does not name the kind of complaint; this one is about: {case.title}")


def _customer(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    names = [n for n in _words(persona.identity.name) if len(n) >= 3]
    low = set(_words(text))
    if not any(n in low for n in names):
        return _missed("customer", f"lacks the customer's name ({persona.identity.name})")
    given = sorted({m.group(0) for m in _REFERENCE.finditer(said)})
    lacking = [g for g in given if g.lower() not in text.lower()]
    if lacking:
        return _missed(
            "customer",
            f"has the name but not the reference the customer gave: {', '.join(lacking)}",
        )
    extra = f" and {', '.join(given)}" if given else ""
    return _met("customer", f"identifies the customer: {persona.identity.name}{extra}")


def _date(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    mine = _time_tokens(text)
    case_dates = _specific(_time_tokens(" ".join(persona.case.facts)))
    if not mine:
        return _missed("date", "holds no date or time; say when it happened")
    if case_dates and not (_specific(mine) & case_dates):
        return _missed(
            "date",
            "is not the date of the case; the customer said it happened on or around: "
            + ", ".join(sorted(case_dates)),
        )
    return _met("date", "places the complaint in time")


def _details(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    shared = _stems(text) & _stems(case_text)
    if len(shared) >= 3:
        return _met("details", "carries the substance of the customer's account")
    return _missed(
        "details",
        "says too little of what the customer told you; write what happened, with the "
        "figures and facts they gave",
    )


def _resolution(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    if not resolved:
        if _UNRESOLVED.search(text):
            return _met("resolution", "records that the complaint was not resolved in the call")
        return _missed(
            "resolution",
            "the customer accepted nothing in the call; record that it is unresolved and why",
        )
    if remedy is None:
        return _met("resolution", "records the agreement")
    if _matches(remedy.triggers, text) or len(_stems(text) & _stems(remedy.description)) >= 2:
        return _met("resolution", f"records what was agreed: {remedy.description}")
    return _missed("resolution", f"does not say what was agreed: {remedy.description}")


def _next_step(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    if len(_words(text)) < 2:
        return _missed("next_step", "too short to act on; say what happens next and who does it")
    if remedy is not None and not (
        _FOLLOW_UP.search(text) or _stems(text) & _stems(remedy.description)
    ):
        return _missed(
            "next_step", f"does not say what is done next to deliver: {remedy.description}"
        )
    return _met("next_step", "says what happens next")


def _deadline(text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    mine = _time_tokens(text, numbers=True)
    if not mine:
        return _missed("deadline", "holds no time; give the date or timescale of the next step")
    promised = _specific(_time_tokens(promised, numbers=True))
    if promised and not (_specific(mine) & promised):
        return _missed(
            "deadline",
            "is not the time you gave the customer ("
            + ", ".join(sorted(promised))
            + "): the record must hold the promise they will hold you to",
        )
    return _met(
        "deadline", "gives the time the customer was promised" if promised else "gives a time"
    )


def _promises(transcript: Transcript, language: str) -> str:
    """The words of the agent's turns read as a timescale: what the customer was told."""
    detector = None
    quotes = []
    for turn in transcript.turns:
        if turn.role != "agent":
            continue
        if turn.reading is not None and turn.reading.fits(turn.text):
            found = turn.reading.moves
        else:
            detector = detector or default_detector(language)
            found = detector.detect(turn.text)
        quotes += [d.quote for d in found if d.move is Move.TIMESCALE]
    return " ".join(quotes)


_FIELD_CHECKS = {
    "topic": _topic,
    "customer": _customer,
    "date": _date,
    "details": _details,
    "resolution": _resolution,
    "next_step": _next_step,
    "deadline": _deadline,
}
