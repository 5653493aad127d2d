"""Making the rule detector's searches cheap without changing a result.

**Skipping patterns that cannot match.** The detector has ~340 patterns and vetoes, yet
in a given sentence most cannot match: a word they need is absent. From each pattern's
parse tree we derive *requirements*, sets of lowercase literals one of which every match
must contain (``\\bI('m| am) (so )?sorry\\b`` needs "sorry"; the ``ask`` pattern needs a
question word *and* a "?"). Each literal is indexed by a token: its rarest trigram, or
itself when shorter than three characters. A pattern is named for a sentence only when
every one of its (up to three most selective) requirements has a token in it.

The index never changes a result: a pattern is skipped only when one of its requirements
has no literal in the sentence, compared the way ``re.IGNORECASE`` compares (see
:func:`normalise`). Patterns whose requirements cannot be derived are always searched.

**Searching lowercased text.** :func:`lowered` rewrites an ``re.IGNORECASE`` pattern into
a case-sensitive twin that finds the same matches at the same offsets in the normalised
(lowercased) text, which ``re`` scans about a third faster.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import reduce
from operator import or_

try:  # the parser ``re`` compiles with; private, so any trouble means "no prefilter"
    from re import _compiler
    from re import _constants as _C
    from re import _parser as _P
except ImportError:  # pragma: no cover - other Pythons
    _C = _P = _compiler = None

_REPEATS = tuple(
    getattr(_C, n)
    for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if _C is not None and hasattr(_C, n)
)
# Characters re.IGNORECASE matches to an ASCII letter that str.lower() does not map to it
# (checked over all of Unicode by the tests): dotted/dotless i and the long s.
_CASE_EXTRAS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
MIN_LITERAL = 3


def normalise(text: str) -> str:
    """``text`` lowercased, one character for one (offsets stay valid), so that any literal
    ``re`` would match case-insensitively in ``text`` is a plain substring of the result and
    every changed character is one ``re.IGNORECASE`` holds equal to its replacement
    (tests/moves/test_move_prefilter.py checks both over all of Unicode)."""
    return (text if text.isascii() else text.translate(_CASE_EXTRAS)).lower()


def _length_cost(literals: set[str]) -> tuple:
    # Without a corpus: prefer indexable literals, then long ones, then few of them.
    return (min(map(len, literals)) < MIN_LITERAL, -min(map(len, literals)), len(literals))


def _requirements(seq, cost=_length_cost) -> list[set[str]]:
    """Every literal set found to be required by ``seq``: each match of ``seq`` contains one
    literal of each set. (A branch contributes the union of its alternatives' best sets.)"""
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
            candidates += _requirements(sub, cost)
    return candidates


def _requirement(seq, cost=_length_cost) -> set[str] | None:
    """Literals one of which every match of ``seq`` contains, or None if none can be told.
    Of several requirements, the one of least ``cost`` (most selective) is returned."""
    candidates = _requirements(seq, cost)
    return min(candidates, key=cost) if candidates else None


def required_literals(
    pattern: str, flags: int = re.IGNORECASE, cost=_length_cost, min_length: int = MIN_LITERAL
) -> frozenset[str] | None:
    """Lowercase literals one of which every match of ``pattern`` must contain; None when
    that cannot be derived, or a literal is shorter than ``min_length`` or not ASCII."""
    found = _best(required_literal_sets(pattern, flags, cost), cost)
    if not found or min(map(len, found)) < min_length:
        return None
    return found


def required_literal_sets(
    pattern: str, flags: int = re.IGNORECASE, cost=_length_cost
) -> list[frozenset[str]]:
    """Every set of ASCII lowercase literals of which each match of ``pattern`` contains
    one (so all of them must be present); empty when none can be derived."""
    if _P is None:
        return []
    try:
        found = _requirements(_P.parse(pattern, flags), cost)
    except Exception:  # noqa: BLE001 - an unparseable pattern is simply not prefiltered
        return []
    out: list[frozenset[str]] = []
    for lits in found:
        if lits and all(s.isascii() for s in lits) and frozenset(lits) not in out:
            out.append(frozenset(lits))
    return out


def _best(sets: list[frozenset[str]], cost) -> frozenset[str] | None:
    return min(sets, key=cost) if sets else None


class _NotLowerable(Exception):
    pass


def _lower_code(c: int) -> int:
    ch = chr(c)
    if ch.isascii():
        return ord(ch.lower())
    if ch.lower() == ch == ch.upper():  # caseless ("£", "—"): re.I matches only itself
        return c
    raise _NotLowerable


def _lower_tree(seq) -> None:
    """Rewrite a parsed pattern in place so that, matched case-sensitively against
    normalised text, it matches exactly where the original matches case-insensitively."""
    data = []
    for op, av in seq.data:
        if op in (_C.LITERAL, _C.NOT_LITERAL):
            av = _lower_code(av)
        elif op is _C.IN:
            items = []
            for iop, iav in av:
                if iop is _C.LITERAL:
                    items.append((iop, _lower_code(iav)))
                elif iop is _C.RANGE:
                    lo, hi = iav
                    if hi >= 128:
                        raise _NotLowerable
                    items += [
                        (_C.LITERAL, c) for c in sorted({_lower_code(c) for c in range(lo, hi + 1)})
                    ]
                elif iop in (_C.NEGATE, _C.CATEGORY):
                    items.append((iop, iav))
                else:
                    raise _NotLowerable
            av = items
        elif op is _C.BRANCH:
            for branch in av[1]:
                _lower_tree(branch)
        elif op is _C.SUBPATTERN:
            if (av[1] | av[2]) & re.IGNORECASE:  # a scoped (?-i:…) needs the original case
                raise _NotLowerable
            _lower_tree(av[-1])
        elif op in _REPEATS:
            _lower_tree(av[2])
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            _lower_tree(av[1])
        elif op is getattr(_C, "ATOMIC_GROUP", None):
            _lower_tree(av)
        elif op not in (_C.AT, _C.ANY, _C.CATEGORY):
            raise _NotLowerable  # back-references and the like: keep the original
        data.append((op, av))
    seq.data = data


def lowered(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive twin of an ``re.IGNORECASE`` pattern, for text passed through
    :func:`normalise`: it matches the normalised text at exactly the offsets where
    ``pattern`` matches the original (normalising keeps every offset), and is cheaper,
    since ``re`` then compares characters without folding them. None when that cannot be
    guaranteed (a non-ASCII letter, a scoped case flag, a back-reference), or for a
    pattern without IGNORECASE."""
    if (
        _P is None
        or pattern.flags & ~(re.IGNORECASE | re.UNICODE)
        or not pattern.flags & re.IGNORECASE
    ):
        return None
    try:
        tree = _P.parse(pattern.pattern, 0)
        if tree.state.flags & ~re.UNICODE:  # inline global flags such as (?i) or (?x)
            return None
        _lower_tree(tree)
        return _compiler.compile(tree, 0)
    except Exception:  # noqa: BLE001 - anything odd: the original pattern is used
        return None


MAX_REQUIREMENTS = 3  # per pattern: the most selective ones; more rarely pay for the lookups


class PatternIndex:
    """Which of a list of compiled patterns can possibly match a sentence.

    Each pattern keeps up to MAX_REQUIREMENTS of its requirements ("one of 'what', 'when',
    …" and "a '?'"), and is named only when every one is met. A requirement is met when,
    for one of its literals, the literal's *token* is in the sentence: its rarest trigram,
    or for a literal shorter than three characters the literal itself. (A token present
    does not prove the literal is, so the test is one-sided, as a prefilter must be.)
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]], corpus: Iterable[str] = ()):
        lows = [normalise(text) for text in corpus]
        freq: Counter[str] = Counter()
        for low in lows:  # realistic sentences: rare tokens make selective requirements
            freq.update({low[i : i + 3] for i in range(len(low) - 2)})

        def token(literal: str) -> str:  # its rarest trigram, or a short literal itself
            if len(literal) < MIN_LITERAL:
                return literal
            return min(
                (literal[i : i + 3] for i in range(len(literal) - 2)), key=lambda t: (freq[t], t)
            )

        def share(tok: str) -> int:  # corpus texts holding the token
            if tok not in freq:
                freq[tok] = sum(tok in low for low in lows)  # a short literal: count it
            return freq[tok]

        def cost(literals: set[str]) -> tuple:  # how often a sentence would meet it
            if not lows and min(map(len, literals)) < MIN_LITERAL:
                return (1, 0)  # without a corpus, a short literal is assumed common
            return (0, sum(share(token(lit)) for lit in literals) + len(literals))

        self.always: set[int] = set()
        # Bit n of level L of a token's mask: the token meets pattern n's L-th requirement.
        # Masks are Python ints, so a sentence's requirements met are one OR away.
        by_token: dict[str, int] = {}
        self.needs: list[set[int]] = [set() for _ in range(MAX_REQUIREMENTS)]
        patterns = list(patterns)
        self.width = width = len(patterns)
        for n, pat in enumerate(patterns):
            sets = sorted(required_literal_sets(pat.pattern, pat.flags, cost), key=cost)
            # Beyond the best, keep only requirements a good share of sentences fail and
            # that are cheap to test: each short literal costs a substring test per sentence.
            chosen = sets[:1] + [
                x
                for x in sets[1:]
                if lows
                and cost(x)[1] < len(lows) / 2
                and (len(x) == 1 or min(map(len, x)) >= MIN_LITERAL)
            ]
            if not chosen:
                self.always.add(n)
            for level, lits in enumerate(chosen[:MAX_REQUIREMENTS]):
                self.needs[level].add(n)
                for lit in lits:
                    tok = token(lit)
                    by_token[tok] = by_token.get(tok, 0) | 1 << (level * width + n)
        self.by_token = by_token
        self.keys = frozenset(t for t in by_token if len(t) >= MIN_LITERAL)
        self.short = tuple(sorted(t for t in by_token if len(t) < MIN_LITERAL))
        self._always = sum(1 << n for n in self.always)
        self._all = (1 << width) - 1
        self._needs = [sum(1 << n for n in needs) for needs in self.needs[1:]]

    def candidates(self, sentence: str) -> list[int]:
        """Positions (in the list given) of the patterns that may match ``sentence``, in
        order; the others cannot match it (a literal they require is not there)."""
        low = normalise(sentence)  # cheap when it already is: ASCII lowercase
        present = self.keys.intersection([low[i : i + 3] for i in range(len(low) - 2)])
        token = self.by_token.__getitem__
        met = reduce(or_, map(token, present), 0)
        met = reduce(or_, map(token, filter(low.__contains__, self.short)), met)
        width, every = self.width, self._all
        found = (met & every) | self._always
        for level, needs in enumerate(self._needs, 1):
            found &= ~(needs & ~(met >> (level * width)))
        out = []
        while found:
            bit = found & -found
            out.append(bit.bit_length() - 1)
            found ^= bit
        return out
