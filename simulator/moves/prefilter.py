"""Skipping patterns that cannot match: a literal prefilter for the rule detector.

The detector searches every pattern (~230) in every sentence, yet most cannot match: a
word they need is absent. From each pattern's parse tree we derive a set of lowercase
literals one of which every match must contain (``\\bI('m| am) (so )?sorry\\b`` needs
"sorry"); each literal is indexed by its rarest trigram. A sentence's trigrams then name
the few patterns worth searching.

The index never changes a result: a pattern is skipped only when none of its required
literals occurs in the sentence, compared the way ``re.IGNORECASE`` compares. Patterns
whose requirement cannot be derived (or is shorter than three characters) are always
searched; those whose requirement is a short literal ("@") are searched when it occurs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

try:  # the parser ``re`` compiles with; private, so any trouble means "no prefilter"
    from re import _constants as _C
    from re import _parser as _P
except ImportError:  # pragma: no cover - other Pythons
    _C = _P = None

_REPEATS = tuple(getattr(_C, n) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if _C is not None and hasattr(_C, n))
# Characters re.IGNORECASE matches to an ASCII letter that str.lower() does not map to it
# (checked over all of Unicode by the tests): dotted/dotless i and the long s.
_CASE_EXTRAS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
MIN_LITERAL = 3


def normalise(text: str) -> str:
    """Text as the index compares it: any literal ``re`` would match case-insensitively in
    ``text`` is a plain substring of the result."""
    return (text if text.isascii() else text.translate(_CASE_EXTRAS)).lower()


def _length_cost(literals: set[str]) -> tuple:
    # Without a corpus: prefer indexable literals, then long ones, then few of them.
    return (min(map(len, literals)) < MIN_LITERAL, -min(map(len, literals)), len(literals))


def _requirement(seq, cost=_length_cost) -> set[str] | None:
    """Literals one of which every match of ``seq`` contains, or None if none can be told.
    Of several requirements, the one of least ``cost`` (most selective) is returned."""
    candidates: list[set[str]] = []
    run = ""
    for op, av in list(seq) + [(None, None)]:
        if op is _C.LITERAL:
            run += chr(av).lower()
            continue
        if run:
            candidates.append({run})
            run = ""
        if op is None:
            break
        inner: list = []
        if op is _C.SUBPATTERN:
            inner = [av[-1]]
        elif op is getattr(_C, "ATOMIC_GROUP", None):
            inner = [av]
        elif op in _REPEATS and av[0] >= 1:
            inner = [av[2]]
        elif op is _C.ASSERT:  # a lookaround's text lies inside the searched sentence too
            inner = [av[1]]
        elif op is _C.BRANCH:
            alternatives = [_requirement(b, cost) for b in av[1]]
            if all(alternatives):
                candidates.append(set().union(*alternatives))
        for sub in inner:
            found = _requirement(sub, cost)
            if found:
                candidates.append(found)
    if not candidates:
        return None
    return min(candidates, key=cost)


def required_literals(pattern: str, flags: int = re.IGNORECASE, cost=_length_cost,
                      min_length: int = MIN_LITERAL) -> frozenset[str] | None:
    """Lowercase literals one of which every match of ``pattern`` must contain; None when
    that cannot be derived, or a literal is shorter than ``min_length`` or not ASCII."""
    if _P is None:
        return None
    try:
        found = _requirement(_P.parse(pattern, flags), cost)
    except Exception:  # noqa: BLE001 - an unparseable pattern is simply not prefiltered
        return None
    if not found or min(map(len, found)) < min_length or not all(s.isascii() for s in found):
        return None
    return frozenset(found)


class PatternIndex:
    """Which of a list of compiled patterns can possibly match a sentence."""

    def __init__(self, patterns: Iterable[re.Pattern[str]], corpus: Iterable[str] = ()):
        freq: Counter[str] = Counter()
        for text in corpus:  # realistic sentences: rare trigrams make selective keys
            low = normalise(text)
            freq.update({low[i:i + 3] for i in range(len(low) - 2)})
        self.always: set[int] = set()
        self.by_trigram: dict[str, set[int]] = {}
        self.short: dict[int, re.Pattern[str]] = {}  # requirements too short to index

        def key(literal: str) -> str:  # its rarest trigram
            return min((literal[i:i + 3] for i in range(len(literal) - 2)),
                       key=lambda t: (freq[t], t))

        def cost(literals: set[str]) -> tuple:  # how often a sentence would need a search
            if min(map(len, literals)) < MIN_LITERAL:
                return (1, 0)
            return (0, sum(freq[key(lit)] for lit in literals) + len(literals))

        for n, pat in enumerate(patterns):
            lits = required_literals(pat.pattern, pat.flags, cost, min_length=1)
            if lits is None:
                self.always.add(n)
                continue
            if min(map(len, lits)) < MIN_LITERAL:  # e.g. an e-mail address needs "@"
                self.short[n] = re.compile("|".join(map(re.escape, sorted(lits))))
                continue
            for lit in lits:
                self.by_trigram.setdefault(key(lit), set()).add(n)
        self.keys = frozenset(self.by_trigram)
        self._sets = {k: frozenset(v) for k, v in self.by_trigram.items()}
        self._always = frozenset(self.always)

    def candidates(self, sentence: str) -> list[int]:
        """Positions (in the list given) of the patterns that may match ``sentence``, in
        order; the others cannot match it (none of their required literals is there)."""
        low = normalise(sentence)
        keys = self.keys.intersection([low[i:i + 3] for i in range(len(low) - 2)])
        found = self._always.union(*map(self._sets.__getitem__, keys),
                                   [n for n, short in self.short.items() if short.search(low)])
        return sorted(found)
