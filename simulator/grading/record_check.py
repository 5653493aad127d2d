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
from ..complaint_record import RECORD_FIELDS, ComplaintRecord, field_hint, field_label
from ..customer.state import Outcome
from ..languages.catalogue import Texts
from ..moves.detector import default_detector
from ..moves.vocabulary import Move
from ..persona.model import Persona
from ..transcript import Transcript

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


class _Say:
    """A field's verdicts worded in the reader's language: its label and each reason from
    the catalogue (``record.field_*``, ``record.check_*``)."""

    def __init__(self, t: Texts):
        self.t = t

    def met(self, field: str, key: str, **values: object) -> FieldVerdict:
        return FieldVerdict(field, field_label(field, self.t), "met", self.t(key, **values))

    def missed(self, field: str, key: str, **values: object) -> FieldVerdict:
        return FieldVerdict(field, field_label(field, self.t), "missed", self.t(key, **values))

    def empty(self, field: str) -> FieldVerdict:
        return self.missed(field, "record.check_empty", what=field_hint(field, self.t))

    def listed(self, items: list[str]) -> str:
        return self.t("record.list_joint").join(items)


def _completeness(record: ComplaintRecord, say: _Say) -> RecordAssessment:
    out = []
    for name, _label, _what in RECORD_FIELDS:
        if getattr(record, name):
            out.append(say.met(name, "record.check_filled"))
        else:
            out.append(say.empty(name))
    return RecordAssessment(tuple(out), against_case=False)


def assess_record(
    record: ComplaintRecord,
    persona: Persona | None,
    transcript: Transcript,
    t: Texts | None = None,
) -> RecordAssessment:
    """Grade ``record`` field by field against ``persona``'s case and what was said in
    ``transcript``; completeness only when ``persona`` is None. Labels and reasons are in
    ``t``'s language, by default the conversation's."""
    language = transcript.language or (persona.language if persona else None) or "en"
    say = _Say(t or Texts(language))
    if persona is None:
        return _completeness(record, say)
    case = persona.case
    case_text = " ".join([*case.facts, *(f.text for f in case.hidden_facts)])
    said = _customer_text(transcript)
    promised = _promises(transcript, persona.language)
    resolved = transcript.outcome is Outcome.RESOLVED
    remedy = agreed_remedy(persona, transcript) if resolved else None
    out = []
    for name, _, _what in RECORD_FIELDS:
        text = getattr(record, name)
        if not text:
            out.append(say.empty(name))
            continue
        check = _FIELD_CHECKS[name]
        out.append(check(say, text, persona, case_text, said, promised, remedy, resolved))
    return RecordAssessment(tuple(out), against_case=True)


def _topic(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    case = persona.case
    keys = _stems(case.title) | {w[:5] for w in _TYPE_WORDS[case.type.value]}
    shared = _stems(text) & keys
    if shared:
        kind = say.t(f"complaint_type.{case.type.value}")
        return say.met("topic", "record.check_topic_met", kind=kind, title=case.title)
    return say.missed("topic", "record.check_topic_missed", title=case.title)


def _customer(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    name = persona.identity.name
    names = [n for n in _words(name) if len(n) >= 3]
    low = set(_words(text))
    if not any(n in low for n in names):
        return say.missed("customer", "record.check_customer_no_name", name=name)
    given = sorted({m.group(0) for m in _REFERENCE.finditer(said)})
    lacking = [g for g in given if g.lower() not in text.lower()]
    if lacking:
        return say.missed(
            "customer", "record.check_customer_no_reference", references=say.listed(lacking)
        )
    if given:
        return say.met(
            "customer",
            "record.check_customer_met_references",
            name=name,
            references=say.listed(given),
        )
    return say.met("customer", "record.check_customer_met", name=name)


def _date(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    mine = _time_tokens(text)
    case_dates = _specific(_time_tokens(" ".join(persona.case.facts)))
    if not mine:
        return say.missed("date", "record.check_date_none")
    if case_dates and not (_specific(mine) & case_dates):
        return say.missed("date", "record.check_date_wrong", dates=say.listed(sorted(case_dates)))
    return say.met("date", "record.check_date_met")


def _details(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    shared = _stems(text) & _stems(case_text)
    if len(shared) >= 3:
        return say.met("details", "record.check_details_met")
    return say.missed("details", "record.check_details_missed")


def _resolution(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    if not resolved:
        if _UNRESOLVED.search(text):
            return say.met("resolution", "record.check_unresolved_met")
        return say.missed("resolution", "record.check_unresolved_missed")
    if remedy is None:
        return say.met("resolution", "record.check_agreement")
    if _matches(remedy.triggers, text) or len(_stems(text) & _stems(remedy.description)) >= 2:
        return say.met("resolution", "record.check_resolution_met", remedy=remedy.description)
    return say.missed("resolution", "record.check_resolution_missed", remedy=remedy.description)


def _next_step(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    if len(_words(text)) < 2:
        return say.missed("next_step", "record.check_next_step_short")
    if remedy is not None and not (
        _FOLLOW_UP.search(text) or _stems(text) & _stems(remedy.description)
    ):
        return say.missed("next_step", "record.check_next_step_missed", remedy=remedy.description)
    return say.met("next_step", "record.check_next_step_met")


def _deadline(say, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    mine = _time_tokens(text, numbers=True)
    if not mine:
        return say.missed("deadline", "record.check_deadline_none")
    promised = _specific(_time_tokens(promised, numbers=True))
    if promised and not (_specific(mine) & promised):
        return say.missed(
            "deadline", "record.check_deadline_wrong", promised=say.listed(sorted(promised))
        )
    key = "record.check_deadline_promised" if promised else "record.check_deadline_met"
    return say.met("deadline", key)


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
