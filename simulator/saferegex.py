"""Regular expressions that files supply, checked before use and run with a time limit.

Persona triggers, move patterns, injection phrases and character rules are written by
people, so one careless pattern such as ``(a+)+$`` must not tie up a worker on a
28-character reply. Two layers keep every such regex bounded:

1. :func:`problem` refuses, with a reason, the shapes that make a backtracking engine
   take exponential or high polynomial time: a repeated group that itself repeats with
   nothing to separate the repetitions (``(a+)+``, ``(\\w+\\s?)*``), repeated alternatives
   that can match the same text in more than one way (``(a|ab)*``), two unbounded repeats
   in a row over the same characters (``\\w*\\w*``), back-references, and over-long patterns.
   ``frontline validate`` and the persona designer report it at the field's line.
2. :func:`compile` runs the pattern on the ``regex`` engine with :data:`MATCH_TIMEOUT` per
   search, so a pattern that slips past the check still stops: a timeout counts as "no
   match" and is logged, never a hang.

The shapes are judged on the parse tree of the standard library's ``re`` (also used by the
move prefilter); a pattern must also compile with ``regex``, which runs it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import regex

try:  # private, as in simulator/moves/prefilter.py; Python 3.11+ ships them
    from re import _constants as _C
    from re import _parser as _P
except ImportError:  # pragma: no cover - other Pythons
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _P  # type: ignore[no-redef]

log = logging.getLogger("frontline.saferegex")

# Seconds one search may take. The regex engine checks its clock between steps, so a
# runaway search ends within a few times this (bench/bench_saferegex.py measures it).
MATCH_TIMEOUT = 0.05
# The longest shipped pattern is about 1,000 characters.
MAX_PATTERN_CHARS = 2_000

_REPEATS = tuple(
    getattr(_C, n) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_C, n)
)
_UNBOUNDED = _C.MAXREPEAT
_ZERO_WIDTH = (_C.AT, _C.ASSERT, _C.ASSERT_NOT)
_BACKREFS = tuple(
    getattr(_C, n)
    for n in (
        "GROUPREF",
        "GROUPREF_EXISTS",
        "GROUPREF_IGNORE",
        "GROUPREF_LOC_IGNORE",
        "GROUPREF_UNI_IGNORE",
    )
    if hasattr(_C, n)
)
# Characters that stand for "any text" when two sets of characters are compared: ASCII,
# Latin-1, typographic punctuation, and letters of the product's other languages.
_ALPHABET = frozenset(map(chr, range(0x250))) | frozenset(
    "\u2018\u2019\u201c\u201d\u2026\u2013\u2014\u00a0\u3002\uff01\uff1f\u4e2d\u6587"
    "\u0430\u044f\u0416\u0436\u03b1\u0391\u0131\u0130\u017f\u212a"
)
_CATEGORY_RES = {
    _C.CATEGORY_DIGIT: r"\d",
    _C.CATEGORY_NOT_DIGIT: r"\D",
    _C.CATEGORY_SPACE: r"\s",
    _C.CATEGORY_NOT_SPACE: r"\S",
    _C.CATEGORY_WORD: r"\w",
    _C.CATEGORY_NOT_WORD: r"\W",
}
_CATEGORIES = {
    cat: frozenset(c for c in _ALPHABET if re.fullmatch(rx, c)) for cat, rx in _CATEGORY_RES.items()
}
_MAX_WORDS = 256  # a repeated group's finite language is enumerated up to this many strings


class UnsafePattern(ValueError):
    """A pattern that a file supplies and that this module refuses; the message says why."""


def problem(pattern: str, flags: int = re.IGNORECASE) -> str | None:
    """Why ``pattern`` may not be used (one sentence), or None when it may."""
    if not isinstance(pattern, str):
        return "a regular expression must be text"
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regular expression is {len(pattern)} characters; the limit is {MAX_PATTERN_CHARS}"
    try:
        tree = _P.parse(pattern, flags)
        regex.compile(pattern, flags)
    except (re.error, regex.error, OverflowError, ValueError) as exc:
        return f"invalid regular expression: {exc}"
    except RecursionError:
        return "invalid regular expression: nested too deeply"
    try:
        return _Shape(bool(tree.state.flags & re.IGNORECASE)).check(tree)
    except RecursionError:
        return "regular expression is nested too deeply"


def check(pattern: str, flags: int = re.IGNORECASE) -> str:
    """``pattern`` itself when it may be used, else :class:`UnsafePattern` (a ValueError, so
    a pydantic validator reports it at the field's line)."""
    why = problem(pattern, flags)
    if why is not None:
        raise UnsafePattern(why)
    return pattern


@dataclass(frozen=True)
class _Shape:
    """The structural rules of :func:`problem`, over ``re``'s parse tree."""

    ignore_case: bool

    def check(self, seq) -> str | None:
        items = list(seq)
        for n, (op, av) in enumerate(items):
            if op in _BACKREFS:
                return (
                    "back-references such as \\1 can take exponential time; "
                    "write the words out instead"
                )
            if op in _REPEATS:
                why = self._repeat(av) or self.check(av[2])
            elif op is _C.SUBPATTERN:
                why = self.check(av[-1])
            elif op is _C.BRANCH:
                why = next((w for b in av[1] if (w := self.check(b))), None)
            elif op in (_C.ASSERT, _C.ASSERT_NOT):
                why = self.check(av[1])
            elif op is getattr(_C, "ATOMIC_GROUP", None):
                why = self.check(av)
            else:
                why = None
            if why is None and n + 1 < len(items):
                why = self._adjacent(items[n], items[n + 1])
            if why:
                return why
        return None

    def _repeat(self, av) -> str | None:
        low, high, body = av
        if high <= 1:
            return None
        variable = list(self._variable_repeats(body))
        if variable:
            if self._chain(body):
                return None
            inner = frozenset().union(*(self.chars(r[2]) for r in variable))
            if not any(
                self.min_width([item]) >= 1 and not (self.chars([item]) & inner)
                for item in self._top(body)
            ):
                return (
                    "nested repeat: a repeated group repeats inside with nothing that "
                    "separates one repetition from the next, as in (a+)+; this can take "
                    "exponential time (put a fixed word or character between them)"
                )
            return None
        if self._same_alternatives(body):
            return (
                "repeated alternatives can match the same text in more than one "
                "way, as in (a|a)*; this can take exponential time"
            )
        words = self.words(body)
        if words is not None:
            if not _uniquely_decodable(words):
                return (
                    "repeated alternatives can match the same text in more than one "
                    "way, as in (a|aa)*; this can take exponential time"
                )
            return None
        branches = [b for op, b in self._top(body) if op is _C.BRANCH]
        for _, alternatives in branches:
            firsts = [self.first(b) for b in alternatives]
            for i, a in enumerate(firsts):
                if any(a & b for b in firsts[i + 1 :]):
                    return (
                        "repeated alternatives can begin with the same character, as in "
                        "(\\w|\\d)+; this can take exponential time"
                    )
        return None

    def _adjacent(self, a, b) -> str | None:
        """Two repeats in a row over shared characters, one unbounded (``\\w*\\w+``)."""
        if a[0] in _REPEATS and b[0] in _REPEATS:
            (lo1, hi1, body1), (lo2, hi2, body2) = a[1], b[1]
            variable = lo1 != hi1 and lo2 != hi2 and _UNBOUNDED in (hi1, hi2)
            if (
                variable
                and self._single(body1)
                and self._single(body2)
                and self.chars(body1) & self.chars(body2)
            ):
                return (
                    "two repeats in a row can match the same characters, as in \\w*\\w*; "
                    "this can take polynomial time (merge them into one)"
                )
        return None

    def _chain(self, body) -> bool:
        """Whether ``body`` is a run of character classes, each repeated at least once, in
        which neighbours (and the last and the first) share no character, as ``\\w+\\s+``:
        each repetition then splits the text in one way only."""
        items = self._top(body)
        if not items or not all(
            self.min_width([i]) >= 1
            and (self._single([i]) or (i[0] in _REPEATS and self._single(i[1][2])))
            for i in items
        ):
            return False
        sets = [self.chars([i]) for i in items]
        pairs = zip(sets, sets[1:] + sets[:1], strict=True)
        return len(sets) > 1 and all(not (a & b) for a, b in pairs)

    def _same_alternatives(self, seq) -> bool:
        """Whether a choice inside ``seq`` offers two alternatives that can match the same
        text (``a|a``, or ``yes|ye(s)?``), as far as their texts can be listed."""
        for op, av in seq:
            if op is _C.BRANCH:
                listed = [self.words(b) for b in av[1]]
                seen: set[str] = set()
                for words in listed:
                    if words is None:
                        continue
                    if words & seen:
                        return True
                    seen |= words
                if any(self._same_alternatives(b) for b in av[1]):
                    return True
            elif (op in _REPEATS or op is _C.SUBPATTERN) and self._same_alternatives(
                av[2] if op in _REPEATS else av[-1]
            ):
                return True
        return False

    @staticmethod
    def _single(seq) -> bool:
        """Whether ``seq`` is one character class (``\\w``, ``[a-z]``, ``.``, a literal)."""
        items = list(seq)
        return len(items) == 1 and items[0][0] in (
            _C.LITERAL,
            _C.NOT_LITERAL,
            _C.ANY,
            _C.CATEGORY,
            _C.IN,
        )

    def _top(self, seq):
        """The items of ``seq``, looking through plain groups that wrap all of it."""
        items = list(seq)
        while len(items) == 1 and items[0][0] is _C.SUBPATTERN:
            items = list(items[0][1][-1])
        return items

    def _variable_repeats(self, seq):
        for op, av in seq:
            if op in _REPEATS:
                if av[0] != av[1]:
                    yield av
                yield from self._variable_repeats(av[2])
            elif op is _C.SUBPATTERN:
                yield from self._variable_repeats(av[-1])
            elif op is _C.BRANCH:
                for b in av[1]:
                    yield from self._variable_repeats(b)
            elif op is getattr(_C, "ATOMIC_GROUP", None):
                yield from self._variable_repeats(av)

    def min_width(self, seq) -> int:
        """The fewest characters ``seq`` can match (lookarounds and anchors match none)."""
        total = 0
        for op, av in seq:
            if op in _REPEATS:
                total += av[0] * self.min_width(av[2])
            elif op is _C.SUBPATTERN:
                total += self.min_width(av[-1])
            elif op is _C.BRANCH:
                total += min(self.min_width(b) for b in av[1])
            elif op is getattr(_C, "ATOMIC_GROUP", None):
                total += self.min_width(av)
            elif op not in _ZERO_WIDTH:
                total += 1
        return total

    def _cased(self, chars: frozenset[str]) -> frozenset[str]:
        if not self.ignore_case:
            return chars
        return chars | {c.lower() for c in chars} | {c.upper()[:1] for c in chars}

    def _item_chars(self, op, av) -> frozenset[str]:
        if op is _C.LITERAL:
            return self._cased(frozenset(chr(av)))
        if op is _C.NOT_LITERAL:
            return _ALPHABET - self._cased(frozenset(chr(av)))
        if op is _C.ANY:
            return _ALPHABET
        if op is _C.CATEGORY:
            return _CATEGORIES.get(av, _ALPHABET)
        if op is _C.IN:
            found: set[str] = set()
            negate = False
            for iop, iav in av:
                if iop is _C.NEGATE:
                    negate = True
                elif iop is _C.LITERAL:
                    found.add(chr(iav))
                elif iop is _C.RANGE:
                    found.update(c for c in _ALPHABET if iav[0] <= ord(c) <= iav[1])
                elif iop is _C.CATEGORY:
                    found.update(_CATEGORIES.get(iav, _ALPHABET))
                else:
                    found.update(_ALPHABET)
            chars = self._cased(frozenset(found))
            return _ALPHABET - chars if negate else chars
        return frozenset()

    def chars(self, seq) -> frozenset[str]:
        """Every character (of a sample alphabet) that ``seq`` can consume."""
        out: frozenset[str] = frozenset()
        for op, av in seq:
            if op in _REPEATS:
                out |= self.chars(av[2])
            elif op is _C.SUBPATTERN:
                out |= self.chars(av[-1])
            elif op is _C.BRANCH:
                for b in av[1]:
                    out |= self.chars(b)
            elif op is getattr(_C, "ATOMIC_GROUP", None):
                out |= self.chars(av)
            elif op not in _ZERO_WIDTH:
                out |= self._item_chars(op, av)
        return out

    def first(self, seq) -> frozenset[str]:
        """Characters that can begin a match of ``seq``."""
        out: frozenset[str] = frozenset()
        for op, av in seq:
            if op in _ZERO_WIDTH:
                continue
            if op in _REPEATS:
                out |= self.first(av[2])
            elif op is _C.SUBPATTERN:
                out |= self.first(av[-1])
            elif op is _C.BRANCH:
                for b in av[1]:
                    out |= self.first(b)
            elif op is getattr(_C, "ATOMIC_GROUP", None):
                out |= self.first(av)
            else:
                out |= self._item_chars(op, av)
            if self.min_width([(op, av)]) >= 1:
                break
        return out

    def words(self, seq) -> set[str] | None:
        """The finite set of strings ``seq`` matches (lowercased when case is ignored), or
        None when it contains a character class or anchor, or is too large to list."""
        out = {""}
        for op, av in seq:
            if op is _C.LITERAL:
                part = {chr(av).lower() if self.ignore_case else chr(av)}
            elif op is _C.SUBPATTERN:
                part = self.words(av[-1])
            elif op is _C.BRANCH:
                part = set()
                for b in av[1]:
                    w = self.words(b)
                    if w is None:
                        return None
                    part |= w
            elif op in _REPEATS and av[1] <= 3:
                inner = self.words(av[2])
                if inner is None:
                    return None
                part, power = set(), {""}
                for k in range(av[1] + 1):
                    if k >= av[0]:
                        part |= power
                    power = {a + b for a in power for b in inner}
                    if len(power) > _MAX_WORDS:
                        return None
            else:
                return None
            if part is None:
                return None
            out = {a + b for a in out for b in part}
            if len(out) > _MAX_WORDS:
                return None
        return out


def _uniquely_decodable(words: set[str]) -> bool:
    """Whether every concatenation of ``words`` splits into them in only one way
    (the Sardinas-Patterson test)."""
    if "" in words:
        return False

    def quotient(a: set[str], b: set[str]) -> set[str]:  # {y : x + y in b, x in a}
        return {w[len(x) :] for x in a for w in b if w.startswith(x)}

    dangling = {w[len(x) :] for x in words for w in words if x != w and w.startswith(x)}
    seen: set[frozenset[str]] = set()
    while dangling:
        if "" in dangling or dangling & words:
            return False
        key = frozenset(dangling)
        if key in seen:
            return True
        seen.add(key)
        dangling = quotient(dangling, words) | quotient(words, dangling)
    return True


class SafePattern:
    """A compiled file-supplied pattern whose searches stop after :data:`MATCH_TIMEOUT`.

    Offers the parts of ``re.Pattern`` the product uses (``pattern``, ``flags``,
    ``search``, ``match``, ``fullmatch``, ``finditer``, and the ``regex`` engine's
    ``partial`` matching); a search that runs out of time returns None.
    """

    __slots__ = ("_compiled", "pattern", "flags")

    def __init__(self, pattern: str, flags: int = re.IGNORECASE):
        self.pattern = pattern
        self.flags = flags
        self._compiled = regex.compile(pattern, flags)

    def _timed_out(self, text: str) -> None:
        log.warning(
            "regular expression %r hit its time limit (%.2f s) on a text of %d "
            "characters; counted as no match",
            self.pattern[:80],
            MATCH_TIMEOUT,
            len(text),
        )

    def search(self, text: str, pos: int = 0, endpos: int | None = None, *, partial: bool = False):
        """Like ``re.Pattern.search``; None also when the time limit is reached."""
        try:  # by keyword: the fifth positional argument is ``partial``, not the limit
            return self._compiled.search(text, pos, endpos, partial=partial, timeout=MATCH_TIMEOUT)
        except TimeoutError:
            self._timed_out(text)
            return None

    def match(self, text: str, pos: int = 0, endpos: int | None = None, *, partial: bool = False):
        """Like ``re.Pattern.match``; None also when the time limit is reached."""
        try:
            return self._compiled.match(text, pos, endpos, partial=partial, timeout=MATCH_TIMEOUT)
        except TimeoutError:
            self._timed_out(text)
            return None

    def fullmatch(
        self, text: str, pos: int = 0, endpos: int | None = None, *, partial: bool = False
    ):
        """Like ``re.Pattern.fullmatch``; None also when the time limit is reached."""
        try:
            return self._compiled.fullmatch(
                text, pos, endpos, partial=partial, timeout=MATCH_TIMEOUT
            )
        except TimeoutError:
            self._timed_out(text)
            return None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None):
        """Like ``re.Pattern.finditer``; the time limit covers the whole scan, which ends
        early (keeping the matches found so far) when it is reached."""
        found = self._compiled.finditer(text, pos, endpos, timeout=MATCH_TIMEOUT)
        try:
            yield from found
        except TimeoutError:
            self._timed_out(text)

    def __repr__(self) -> str:
        return f"SafePattern({self.pattern!r})"


def compile(pattern: str, flags: int = re.IGNORECASE) -> SafePattern:  # noqa: A001
    """Compile a file-supplied pattern to run with a time limit (see :class:`SafePattern`).
    Validation (:func:`check`) has normally refused unsafe shapes already."""
    return SafePattern(pattern, flags)
