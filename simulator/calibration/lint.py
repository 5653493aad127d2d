"""The persona linter: things a valid persona file can still get wrong.

The schema catches what is malformed; the linter catches what is legal but will not
behave as the trainer meant: a bottom line no remedy can meet, fields that contradict
each other or DOMAIN, agent phrases in the customer's mouth, and triggers the machine
can never fire as it applies them. Warnings never stop a persona from loading;
``frontline validate`` prints them and the persona designer shows them before saving.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .. import saferegex
from ..customer.machine import CustomerMachine
from ..errors import FileProblems, Problem
from ..languages import pack_file, splitter_for
from ..moves.combine import default_reader
from ..moves.reading import TurnDetector
from ..moves.vocabulary import VIOLATIONS, Move
from ..persona.model import Archetype, BandedPhrases, Persona, Temperament
from ..persona.name_check import stale_name_mentions
from ..persona.regex_samples import samples
from ..yamlfile import Lines, field_path, line_for, load_model, parse_yaml, read_text

# The agent phrases are language data (agent_phrases.yaml in each language pack), and so
# is the rest of what the linter says or reads in a language (the questions and offers it
# tries the triggers in, what marks a reject's lacking part, words for "nothing yet"); the
# linter lives here, above the persona and the customer machine, because it runs the
# machine over the persona's own examples.
AGENT_PHRASES = "agent_phrases.yaml"
# Placeholders in any language ("TODO", "n/a", "???"); a pack adds its words ("none").
PLACEHOLDERS = ("todo", "tbd", "tba", "n/?a", r"\?+", "-+", r"\.+", "x+")
# Moves only an agent makes; a customer line showing one is probably a copy-paste slip.
AGENT_ONLY_MOVES = {Move.OFFER_HELP, Move.EXPLAIN_TRANSFER}
# DOMAIN wording for each archetype and temperament, to spot a `domain` list citing another.
ARCHETYPE_WORDS = {
    Archetype.ORDINARY: ("ordinary",),
    Archetype.MEEK: ("meek",),
    Archetype.AGGRESSIVE: ("aggressive",),
    Archetype.VIP: ("vip",),
    Archetype.CHRONIC: ("chronic", "whiner"),
    Archetype.NEVER_SATISFIED: ("never satisfied", "never_satisfied", "grumbler"),
}
TEMPERAMENT_WORDS = {Temperament.RATIONAL: ("rational",), Temperament.EMOTIONAL: ("emotional",)}
# The words alone, asked and offered, in any language; a pack adds its own frames.
QUESTION_FRAMES = ("{}?",)
OFFER_FRAMES = ("{}",)
# A line shorter than this says nothing (words; characters where words are not spaced).
MIN_WORDS = 3
MIN_CHARACTERS = 4


@dataclass(frozen=True)
class LintWarning(Problem):
    """A warning about one field of one persona file; prints as ``file:line: field: …``."""

    code: str = ""

    def __str__(self) -> str:
        what = f"{self.field}: " if self.field else ""
        return f"{self.where}: warning: {what}{self.message} [{self.code}]"


def _frame(value: str) -> str:
    rest = value.replace("{}", "", 1)
    if "{}" not in value or "{" in rest or "}" in rest:
        raise ValueError(
            f"must hold '{{}}' once, where the words go, and no other braces: {value!r}"
        )
    return value


Frame = Annotated[str, AfterValidator(_frame)]
Pattern = Annotated[str, AfterValidator(saferegex.check)]


class AgentPhrases(BaseModel):
    """The file format of a language pack's ``agent_phrases.yaml``: the persona linter's
    data for the language."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    phrases: list[Pattern] = Field(
        description="Regexes (case-insensitive) for what only an agent says; a customer "
        "line matching one is warned about."
    )
    question_frames: list[Frame] = Field(
        default_factory=list,
        description="How an agent asks about something, '{}' for the words ('Can you tell "
        "me {}?'): a hidden fact's asked_by is tried in them, and warned about when no "
        "such question is read as one.",
    )
    offer_frames: list[Frame] = Field(
        default_factory=list,
        description="How an agent offers something ('We can offer {}.'): a remedy's "
        "trigger is tried in them, and warned about when every such offer reads as a "
        "refusal.",
    )
    reject_negations: list[Pattern] = Field(
        default_factory=list,
        description="Regexes (case-insensitive) for what marks the part a rejected offer "
        "lacks or replaces ('without', 'instead of'): a remedy trigger matching such a "
        "reject is no contradiction.",
    )
    placeholders: list[str] = Field(
        default_factory=list,
        description="Words a trainer writes for a line not written yet ('none', "
        "'nothing'), besides 'TODO', 'TBD', 'n/a', '?' and '-' in any language.",
    )


@dataclass(frozen=True)
class LintLanguage:
    """The linter's data for one language, from every pack's ``agent_phrases.yaml``."""

    phrases: tuple[re.Pattern[str], ...] = ()
    question_frames: tuple[str, ...] = QUESTION_FRAMES
    offer_frames: tuple[str, ...] = OFFER_FRAMES
    reject_negations: tuple[re.Pattern[str], ...] = ()
    placeholder: re.Pattern[str] = re.compile(rf"^\W*({'|'.join(PLACEHOLDERS)})\W*$", re.I)


def agent_phrases(language: str) -> list[re.Pattern[str]]:
    """What only an agent says in ``language`` (every pack's file of it; none: nothing)."""
    return list(lint_language(language).phrases)


def lint_language(language: str) -> LintLanguage:
    """The linter's data for ``language``: the shipped pack's file and trainers' merged."""
    return _lint_language(tuple(pack_file(language, AGENT_PHRASES)))


def load_agent_phrases(path: Path) -> AgentPhrases:
    """Load and validate one ``agent_phrases.yaml`` (FileProblems name file:line: field)."""
    return load_model(AgentPhrases, path)


@lru_cache(maxsize=16)
def _lint_language(paths: tuple[Path, ...]) -> LintLanguage:
    files = [load_agent_phrases(p) for p in paths]

    def every(field: str) -> list[str]:
        return list(dict.fromkeys(v for f in files for v in getattr(f, field)))

    # Compiled with the time limit: a trainer's pack may supply them.
    words = [re.escape(w) for w in every("placeholders")]
    return LintLanguage(
        phrases=tuple(saferegex.compile(p) for p in every("phrases")),
        question_frames=(*QUESTION_FRAMES, *every("question_frames")),
        offer_frames=(*OFFER_FRAMES, *every("offer_frames")),
        reject_negations=tuple(saferegex.compile(p) for p in every("reject_negations")),
        placeholder=re.compile(rf"^\W*({'|'.join([*PLACEHOLDERS, *words])})\W*$", re.I),
    )


class _Linter:
    def __init__(self, persona: Persona, name: str, lines: Lines, detector: TurnDetector):
        self.p = persona
        self.name = name
        self.lines = lines
        self.detector = detector
        self.machine = CustomerMachine(persona, detector)
        self.language = lint_language(persona.language)
        self.spaced = splitter_for(persona.language).spaces_between_words
        self.found: list[LintWarning] = []

    def warn(self, code: str, path: tuple[Any, ...], message: str) -> None:
        self.found.append(
            LintWarning(self.name, message, line_for(path, self.lines), field_path(path), code)
        )

    def _too_short(self, text: str) -> bool:
        """Too short to say what the customer will accept or do: under three words, or
        four characters in a language written without spaces (Chinese)."""
        if self.spaced:
            return len(text.split()) < MIN_WORDS
        return len(re.findall(r"\w", text)) < MIN_CHARACTERS

    # -- the bottom line (DOMAIN §2.5) ------------------------------------------------
    def bottom_line(self) -> None:
        case = self.p.case
        for key in ("bottom_line", "if_crossed", "expectation"):
            text = getattr(case, key)
            if self.language.placeholder.match(text) or self._too_short(text):
                self.warn(
                    "missing-bottom-line" if key == "bottom_line" else "vague-line",
                    ("case", key),
                    f"{text!r} does not say what the customer will "
                    "accept or do (DOMAIN §2.5: prepared before the call)",
                )
        if case.bottom_line.strip().lower() == case.expectation.strip().lower():
            self.warn(
                "no-room",
                ("case", "bottom_line"),
                "the bottom line is the "
                "expectation: there is no room between them to negotiate (DOMAIN §2.5)",
            )
        # Only an offer within the company's rules counts (DOMAIN §3.9): a give-away the
        # customer would take is no remedy a trained agent may make.
        acceptable = [
            (i, r) for i, r in enumerate(case.remedies) if r.level != "below" and not r.beyond_rules
        ]
        # The never satisfied want what is impossible (DOMAIN §2.4): for them no remedy at
        # the bottom line is the design, not a slip.
        if not acceptable and self.p.archetype is not Archetype.NEVER_SATISFIED:
            self.warn(
                "bottom-line-unmet",
                ("case", "remedies"),
                "every remedy is 'below' the bottom line: no offer can ever be accepted",
            )
        heard = []
        for i, r in enumerate(case.remedies):
            reading = self.machine.read(r.example)
            offers = [o.id for o in reading.recognitions.remedies]
            if r.id in offers:
                heard.append(r)
            else:
                why = (
                    "reads as a refusal"
                    if any(
                        self.detector.is_negated(r.example[s:e])
                        for s, e in self.detector.splitter.sentences(r.example)
                    )
                    else "matches none of its triggers"
                )
                self.warn(
                    "remedy-unrecognised",
                    ("case", "remedies", i, "example"),
                    f"the example offer {why}, so the customer would not hear '{r.id}' offered",
                )
            for j, reject in enumerate(case.rejects):
                # "a new appointment without the part confirmed" names what is missing;
                # a trigger matching the part it lacks is no contradiction.
                if any(n.search(reject) for n in self.language.reject_negations):
                    continue
                if any(re.search(t, reject, re.I) for t in r.triggers) and r.level != "below":
                    self.warn(
                        "contradiction",
                        ("case", "rejects", j),
                        f"the customer rejects "
                        f"{reject!r} outright, yet remedy '{r.id}' ({r.level}) "
                        "matches it",
                    )
        if acceptable and not any(r.level != "below" and not r.beyond_rules for r in heard):
            self.warn(
                "bottom-line-unmet",
                ("case", "remedies"),
                "no acceptable remedy's "
                "example is recognised as an offer: the bottom line can never be met",
            )

    # -- fields that contradict each other or DOMAIN ----------------------------------
    def contradictions(self) -> None:
        p, t = self.p, self.p.thresholds
        if p.start.anger >= t.escalate_at:
            self.warn(
                "contradiction",
                ("start", "anger"),
                f"starting anger {p.start.anger:g} "
                f"is already at escalate_at {t.escalate_at:g}: the customer escalates "
                "after the first turn whatever is said",
            )
        if t.accept_anger >= t.escalate_at:
            self.warn(
                "contradiction",
                ("thresholds", "accept_anger"),
                "accept_anger is not below escalate_at, so it never limits acceptance",
            )
        if p.start.patience <= 2 * t.patience_drain:
            self.warn(
                "contradiction",
                ("start", "patience"),
                f"patience {p.start.patience:g} "
                f"lasts at most two turns at {t.patience_drain:g} a turn: too short to "
                "hear the facts and offer a remedy",
            )
        if p.archetype is Archetype.MEEK and t.exit == "escalate":
            self.warn(
                "contradiction",
                ("thresholds", "exit"),
                "a meek customer leaves "
                "quietly rather than escalate (DOMAIN §2.4); set exit: leave",
            )
        for move, factor in p.sensitivity.items():
            if move in VIOLATIONS and factor == 0:
                self.warn(
                    "contradiction",
                    ("sensitivity", move.value),
                    f"'{move.value}' is ignored, but DOMAIN §4 says every customer reacts to it",
                )
        cited = " ".join(p.domain).lower()
        for kind, words, own in (
            (Archetype, ARCHETYPE_WORDS, p.archetype),
            (Temperament, TEMPERAMENT_WORDS, p.temperament),
        ):
            for other, spelled in words.items():
                if (
                    other is not own
                    and any(re.search(rf"\b{re.escape(w)}\b", cited) for w in spelled)
                    and not any(w in cited for w in words[own])
                ):
                    self.warn(
                        "contradiction",
                        ("domain",),
                        f"cites {kind.__name__.lower()} "
                        f"'{other.value}' but the persona is '{own.value}'",
                    )

    # -- the customer's words ----------------------------------------------------------
    def phrases(self) -> None:
        values = {
            "name": self.p.identity.name,
            "company": self.p.identity.company,
            "title": self.p.case.title,
            "fact": self.p.case.facts[0],
            "hidden_fact": "",
            "expectation": self.p.case.expectation,
            "bottom_line": self.p.case.bottom_line,
            "if_crossed": self.p.case.if_crossed,
            # In the persona's own words, as the phrase-bank renderer fills them.
            "offer": self.p.case.expectation,
            "rejected": (self.p.case.rejects or [self.p.case.expectation])[0],
        }
        phrases = self.language.phrases
        for reaction, entry in self.p.phrases.items():
            banks = (
                [((reaction.value, band), getattr(entry, band)) for band in ("hot", "cool")]
                if isinstance(entry, BandedPhrases)
                else [((reaction.value,), entry)]
            )
            for path, lines in banks:
                for i, line in enumerate(lines):
                    text = line.format(**values)
                    hit = next((m.group(0) for pat in phrases if (m := pat.search(text))), None)
                    if hit is None:
                        # The rules alone: the encoder learnt from agent turns only, and on a
                        # customer's line ("I want your supervisor.") it guesses agent moves.
                        rules = getattr(self.detector, "rules", self.detector)
                        hit = next(
                            (d.text for d in rules.detect(text) if d.move in AGENT_ONLY_MOVES),
                            None,
                        )
                    if hit:
                        self.warn(
                            "agent-phrase",
                            ("phrases", *path, i),
                            f"{hit!r} is what an agent says, not a complaining customer",
                        )

    # -- triggers the machine can never fire --------------------------------------------
    def _check_fires(
        self,
        pattern: str,
        frames: tuple[str, ...],
        ok: Callable[[re.Pattern[str], str], bool],
        path: tuple[Any, ...],
        why_not: str,
    ) -> None:
        """Warn unless some text matching ``pattern``, set in one of ``frames``, passes ``ok``
        (given the compiled pattern and that text); ``why_not`` explains such a miss."""
        compiled = saferegex.compile(pattern)
        found = samples(pattern)
        if not found:
            self.warn("trigger-never-fires", path, "no text can match this pattern")
        elif not any(ok(compiled, frame.format(s)) for s in found for frame in frames):
            self.warn("trigger-never-fires", path, why_not)

    def _offered(self, compiled: re.Pattern[str], sentence: str) -> bool:
        return any(
            compiled.search(sentence[s:e]) and not self.detector.is_negated(sentence[s:e])
            for s, e in self.detector.splitter.sentences(sentence)
        )

    def _asked(self, compiled: re.Pattern[str], question: str) -> bool:
        return any(
            d.move is Move.ASK and compiled.search(d.quote) for d in self.detector.detect(question)
        )

    def triggers(self) -> None:
        for i, trig in enumerate(self.p.triggers):
            if re.search(trig.pattern, "", re.I):
                self.warn(
                    "trigger-always-fires",
                    ("triggers", i, "pattern"),
                    "matches an empty turn, so it fires on every agent turn",
                )
            elif not samples(trig.pattern):
                self.warn(
                    "trigger-never-fires",
                    ("triggers", i, "pattern"),
                    "no text can match this pattern",
                )
        for i, r in enumerate(self.p.case.remedies):
            for j, pat in enumerate(r.triggers):
                self._check_fires(
                    pat,
                    self.language.offer_frames,
                    self._offered,
                    ("case", "remedies", i, "triggers", j),
                    "every sentence it matches reads as a refusal (a negation), "
                    "so the offer is never registered",
                )
        for i, fact in enumerate(self.p.case.hidden_facts):
            for j, pat in enumerate(fact.asked_by):
                self._check_fires(
                    pat,
                    self.language.question_frames,
                    self._asked,
                    ("case", "hidden_facts", i, "asked_by", j),
                    "no question containing it was recognised as a question, "
                    "so it may never uncover this fact",
                )


def lint_persona(
    persona: Persona,
    path: Path | str | None = None,
    text: str | None = None,
    detector: TurnDetector | None = None,
) -> list[LintWarning]:
    """Warnings about ``persona``, naming file, line and field where the file is known.

    ``path`` or ``text`` (the YAML as written, e.g. in the web editor) give line numbers;
    without either, warnings name only the field.
    """
    name = str(path) if path is not None else "<persona>"
    lines: Lines = {}
    try:
        if text is None and path is not None:
            text = read_text(Path(path))
        if text is not None:
            _, lines = parse_yaml(text, name)
    except FileProblems:
        lines = {}
    linter = _Linter(persona, name, lines, detector or default_reader(persona.language))
    linter.bottom_line()
    linter.contradictions()
    linter.phrases()
    linter.triggers()
    for field, message in stale_name_mentions(persona):
        linter.warn("stale-name", field, message)
    return linter.found
