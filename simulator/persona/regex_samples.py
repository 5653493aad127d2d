"""Example strings a regular expression matches, so the linter can test where it fires.

A persona's trigger is only useful if some agent sentence can make it fire *as the
machine applies it* (in a non-negated sentence, inside a question, ...). Writing out a
few strings the regex matches and running them through those same checks finds triggers
that can never fire, without a trainer having to think of a test sentence.
"""

from __future__ import annotations

import re
from itertools import product

import regex

from .. import saferegex

try:  # Python 3.11+: the parser moved and the old module warns when imported.
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_SAMPLES = 24
_CATEGORY_CHAR = {
    C.CATEGORY_DIGIT: "1",
    C.CATEGORY_NOT_DIGIT: "a",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: "a",
    C.CATEGORY_WORD: "a",
    C.CATEGORY_NOT_WORD: " ",
}
_FALLBACK_CHARS = "a e1 .?"
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)}
_ATOMIC = getattr(C, "ATOMIC_GROUP", None)


def _class_char(items) -> str | None:
    negate = any(op is C.NEGATE for op, _ in items)
    members: list[str] = []
    for op, av in items:
        if op is C.LITERAL:
            members.append(chr(av))
        elif op is C.RANGE:
            members.append(chr(av[0]))
        elif op is C.CATEGORY:
            members.append(_CATEGORY_CHAR.get(av, "a"))
    if not negate:
        return members[0] if members else None
    return next((c for c in _FALLBACK_CHARS + "bxz" if c not in members), None)


def _alternatives(parsed, groups: dict[int, str]) -> list[str]:
    """A few strings the parsed sequence matches (anchors and look-arounds are ignored)."""
    options: list[list[str]] = []
    for op, av in parsed:
        if op is C.LITERAL:
            options.append([chr(av)])
        elif op is C.NOT_LITERAL:
            options.append(["a" if av != ord("a") else "b"])
        elif op is C.ANY:
            options.append([" ", "a"])  # a space lets \b on either side hold
        elif op is C.IN:
            char = _class_char(av)
            options.append([char] if char is not None else [])
        elif op is C.BRANCH:
            options.append([s for branch in av[1] for s in _alternatives(branch, groups)])
        elif op is C.SUBPATTERN:
            group, body = av[0], av[-1]
            subs = _alternatives(body, groups)
            if group and subs:
                groups[group] = subs[0]
            options.append(subs)
        elif op in _REPEATS:
            low, high, body = av
            subs = _alternatives(body, groups)
            counts = sorted({max(low, 1) if high else 0, low})
            options.append([s * n for n in counts for s in subs[:4]] or ([""] if low == 0 else []))
        elif op is C.GROUPREF:
            options.append([groups.get(av, "")])
        elif _ATOMIC is not None and op is _ATOMIC:
            options.append(_alternatives(av, groups))
        else:  # AT (anchors), ASSERT, ASSERT_NOT, GROUPREF_EXISTS: contribute no text
            options.append([""])
        if any(not o for o in options):
            return []
    return ["".join(parts) for parts in _combinations(options)]


def _combinations(options: list[list[str]]) -> list[tuple[str, ...]]:
    """All combinations when few; otherwise a diagonal through them, so every choice of
    every position is tried at least once instead of only varying the last one."""
    total = 1
    for o in options:
        total *= len(o)
    if total <= MAX_SAMPLES:
        return list(product(*options))
    width = max(len(o) for o in options)
    return [tuple(o[k % len(o)] for o in options) for k in range(min(width, MAX_SAMPLES))]


def samples(pattern: str) -> list[str]:
    """Up to :data:`MAX_SAMPLES` strings that ``pattern`` (case-insensitive) really matches."""
    try:
        compiled = saferegex.compile(pattern)  # the pattern is a trainer's: time-limited
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, regex.error, RecursionError, OverflowError):
        return []
    found: list[str] = []
    for text in _alternatives(parsed, {}):
        # Words on either side let \b and anchors-in-the-middle settle as they would in a turn.
        for candidate in (text, text.strip(), f"{text} ", f" {text}"):
            if compiled.search(candidate) and candidate not in found:
                found.append(candidate)
                break
    return found
