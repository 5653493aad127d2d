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
completeness, and each reason says so. The words it reads by (months, weekdays, 'today',
number words, ordinals, amounts, the stop list, follow-up and 'unresolved' words) are the
session language's, from its pack's ``record.yaml`` (:mod:`.record_words`); a language
written without spaces is compared by pairs of characters. Names, numbers and codes work
in any language.
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
from .record_words import RecordReader, record_reader

LEVELS = {"expectation": 2, "bottom_line": 1, "below": 0}

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# A run of a script written without spaces: compared by pairs of characters.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A reference the customer gives: a code of capitals and digits (BM-7731-0492, CR-558120), or
# a long number; bounded by what is not a Latin letter or digit, so '工单号CR-558120' has one.
_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9_])[A-Z]{1,4}-?\d{3,}(?:[-/][\dA-Z]+)*(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_])\d{6,}(?![A-Za-z0-9_])"
)
_COUNT = re.compile(r"[0-9]{1,3}")


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


def _stems(text: str, read: RecordReader) -> set[str]:
    """Content words, cut to the language's stem length (five letters in English, so
    'charged' meets 'charge' and 'charges'); in a script written without spaces, the
    pairs of characters of its runs (as the in-character checks compare them)."""
    out: set[str] = set()
    if not read.spaced:
        for run in _UNSPACED.findall(text):
            out.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        out -= read.stop_words
        text = _UNSPACED.sub(" ", text)
    cut = read.stem_length
    return out | {
        w[:cut]
        for w in _words(text)
        if len(w) >= 4 and w not in read.stop_words and not w.isdigit()
    }


def _day(digits: str) -> str | None:
    """A day of the month as its number, or None when it is no day (0, 32…)."""
    n = int(re.sub(r"[^0-9]", "", digits)[:3] or 0)
    return str(n) if 1 <= n <= 31 else None


def _dates(text: str, read: RecordReader) -> tuple[set[str], str]:
    """The days of the numeric dates in ``text`` ('01/03', '3月1日'), and the text without
    them and without amounts (money is no time: '£64.50' is not the 64th)."""
    out = set()
    for pattern in read.day_month:
        for m in pattern.finditer(text):
            found = m.groupdict()
            month = found.get("month")
            said = (found.get("day") or "").lower()
            day = read.day_words.get(said) or _day(said)
            if day and (month is None or 1 <= int(month) <= 12):
                out.add(day)
        text = _blank(pattern, text)
    for pattern in read.amounts:
        text = _blank(pattern, text)
    return out, text


def _blank(pattern: saferegex.SafePattern, text: str) -> str:
    """``text`` with each match of ``pattern`` replaced by a space."""
    parts, at = [], 0
    for m in pattern.finditer(text):
        parts += [text[at : m.start()], " "]
        at = m.end()
    return "".join(parts) + text[at:]


def _time_tokens(text: str, read: RecordReader, numbers: bool = False) -> set[str]:
    """The words and numbers in ``text`` that place something in time: ordinals ('the
    4th', '01/03'), days, months, 'today'…; with ``numbers``, counts too ('3 days', 'three
    working days'), as a timescale gives them. The words are the language's (its
    ``record.yaml``)."""
    out, text = _dates(text, read)
    if not read.spaced:
        return out | _unspaced_time_tokens(text.lower(), read, numbers)
    for w in _words(text):
        # ASCII digits only: '¹' or '٣' are digits to str.isdigit but not dates here.
        if read.ordinal.fullmatch(w) or (numbers and _COUNT.fullmatch(w)):
            out.add(str(int(re.sub(r"[^0-9]", "", w))))
        elif numbers and w in read.number_words:
            out.add(read.number_words[w])
        elif w in read.month_of:
            out.add(read.month_of[w])
        elif w in read.day_of:
            out.add(read.day_of[w])
        elif w in read.time_words:
            out.add(w)
    return out


def _unspaced_time_tokens(text: str, read: RecordReader, numbers: bool) -> set[str]:
    """As :func:`_time_tokens`, for a language written without spaces: its ordinals by
    search ('1号'), its words wherever they occur ('明天', '星期三')."""
    out = {d for m in read.ordinal.finditer(text) if (d := _day(m.group(0)))}
    if numbers:
        out |= {str(int(n)) for n in re.findall(r"(?<![0-9])[0-9]{1,3}(?![0-9])", text)}
        out |= {n for w, n in read.number_words.items() if w in text}
    out |= {shown for w, shown in read.month_of.items() if w in text}
    out |= {shown for w, shown in read.day_of.items() if w in text}
    return out | {w for w in read.time_words if w in text}


def _specific(tokens: set[str], read: RecordReader) -> set[str]:
    """Time tokens that pin a moment (numbers, days, months), not 'days' or 'week'."""
    return {t for t in tokens if t.isdigit() or t in read.specific}


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
    # The record is written in the session's language, whatever language the verdicts are in.
    read = record_reader(transcript.language or persona.language)
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
        out.append(check(say, read, text, persona, case_text, said, promised, remedy, resolved))
    return RecordAssessment(tuple(out), against_case=True)


def _topic(say, read, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    case = persona.case
    kind_words = read.type_words.get(case.type.value, frozenset())
    keys = _stems(case.title, read) | {s for w in kind_words for s in _stems(w, read)}
    shared = _stems(text, read) & keys
    if shared:
        kind = say.t(f"complaint_type.{case.type.value}")
        return say.met("topic", "record.check_topic_met", kind=kind, title=case.title)
    return say.missed("topic", "record.check_topic_missed", title=case.title)


def _customer(
    say, read, text, persona, case_text, said, promised, remedy, resolved
) -> FieldVerdict:
    name = persona.identity.name
    if not _names(name, text, read):
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


def _names(name: str, text: str, read: RecordReader) -> bool:
    """Whether ``text`` names the customer: a word of their name of three letters or more;
    in a language written without spaces, the whole name anywhere ('客户王建军')."""
    if not read.spaced:
        return "".join(name.split()).lower() in text.lower()
    low = set(_words(text))
    return any(n in low for n in _words(name) if len(n) >= 3)


def _date(say, read, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    mine = _time_tokens(text, read)
    case_dates = _specific(_time_tokens(" ".join(persona.case.facts), read), read)
    if not mine:
        return say.missed("date", "record.check_date_none")
    if case_dates and not (_specific(mine, read) & case_dates):
        return say.missed("date", "record.check_date_wrong", dates=say.listed(sorted(case_dates)))
    return say.met("date", "record.check_date_met")


def _details(say, read, text, persona, case_text, said, promised, remedy, resolved) -> FieldVerdict:
    shared = _stems(text, read) & _stems(case_text, read)
    if len(shared) >= 3:
        return say.met("details", "record.check_details_met")
    return say.missed("details", "record.check_details_missed")


def _resolution(
    say, read, text, persona, case_text, said, promised, remedy, resolved
) -> FieldVerdict:
    if not resolved:
        if any(p.search(text) for p in read.unresolved):
            return say.met("resolution", "record.check_unresolved_met")
        return say.missed("resolution", "record.check_unresolved_missed")
    if remedy is None:
        return say.met("resolution", "record.check_agreement")
    if (
        _matches(remedy.triggers, text)
        or len(_stems(text, read) & _stems(remedy.description, read)) >= 2
    ):
        return say.met("resolution", "record.check_resolution_met", remedy=remedy.description)
    return say.missed("resolution", "record.check_resolution_missed", remedy=remedy.description)


def _next_step(
    say, read, text, persona, case_text, said, promised, remedy, resolved
) -> FieldVerdict:
    if len(_words(text)) < 2 and (read.spaced or len(_stems(text, read)) < 2):
        return say.missed("next_step", "record.check_next_step_short")
    if remedy is not None and not (
        any(p.search(text) for p in read.follow_up)
        or _stems(text, read) & _stems(remedy.description, read)
    ):
        return say.missed("next_step", "record.check_next_step_missed", remedy=remedy.description)
    return say.met("next_step", "record.check_next_step_met")


def _deadline(
    say, read, text, persona, case_text, said, promised, remedy, resolved
) -> FieldVerdict:
    mine = _time_tokens(text, read, numbers=True)
    if not mine:
        return say.missed("deadline", "record.check_deadline_none")
    promised = _specific(_time_tokens(promised, read, numbers=True), read)
    if promised and not (_specific(mine, read) & promised):
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
