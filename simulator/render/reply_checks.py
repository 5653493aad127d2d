"""Measures the in-character checks use beyond phrase rules: word overlap with earlier
turns (echo, repetition), the prompt's own wording, and a fact's key values.

Language-neutral: words are ``\\w+`` runs, and text in a script written without spaces
(Chinese, Japanese) is compared by pairs of characters instead, so the same overlaps work
there. The thresholds are the language pack's (``character.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import regex

from ..languages import Splitter

_WORD = regex.compile(r"\w+(?:[.,']\w+)*")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]+")
_PLACEHOLDER = regex.compile(r"\$\{?\w+\}?|\(DOMAIN[^)]*\)")
# A key value: a token with a digit in it (a reference, an amount, a date, an account).
_KEY = regex.compile(r"[\w£$€¥₽-]*\d[\w./,:-]*\w|\d")


def _singular(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def units(text: str, stopwords: frozenset[str] = frozenset()) -> set[str]:
    """The comparable units of ``text``: lower-cased words without stopwords (a plural 's'
    dropped), and pairs of characters of any run in a script written without spaces."""
    low = text.lower().replace("’", "'")
    out: set[str] = set()
    for run in _CJK.findall(low):
        out.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    for w in _WORD.findall(_CJK.sub(" ", low)):
        if w not in stopwords:
            out.add(_singular(w))
    return out


def containment(part: set[str], whole: set[str]) -> float:
    """The share of ``part`` found in ``whole`` (0 for an empty part)."""
    return len(part & whole) / len(part) if part else 0.0


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def sentences_of(texts: Iterable[str], splitter: Splitter) -> list[str]:
    """Every sentence of every text, in order, as the language's splitter cuts them."""
    return [t[a:b] for t in texts for a, b in splitter.sentences(t)]


_TOKEN = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|\w+(?:'\w+)*")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


@lru_cache(maxsize=8)
def prompt_ngrams(templates: tuple[str, ...], n: int) -> frozenset[tuple[str, ...]]:
    """Every run of ``n`` consecutive words of the templates' own wording: what the
    placeholders are filled with (the persona's facts, which the customer may say) and the
    DOMAIN citations are left out, and a run never crosses a placeholder."""
    out: set[tuple[str, ...]] = set()
    for template in templates:
        for part in _PLACEHOLDER.split(template):
            toks = _tokens(part)
            out.update(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return frozenset(out)


def has_prompt_text(sentence: str, ngrams: frozenset[tuple[str, ...]], n: int) -> bool:
    """Whether ``sentence`` contains ``n`` consecutive words of the prompt's wording."""
    toks = _tokens(sentence)
    return any(tuple(toks[i : i + n]) in ngrams for i in range(len(toks) - n + 1))


def _norm(value: str) -> str:
    return regex.sub(r"[^\w]", "", value.lower())


def key_values(fact: str) -> list[str]:
    """The values in a fact that a reply giving it must contain: its tokens with a digit,
    normalised (lower case, letters and digits only: "CR-558120" is "cr558120")."""
    return list(dict.fromkeys(_norm(m.group()) for m in _KEY.finditer(fact)))


def gives_values(reply: str, keys: list[str]) -> bool:
    """Whether ``reply`` carries the fact's key values: every one with three digits or
    more (references, amounts, account numbers), else at least one (a date, a count)."""
    said = _norm(reply)
    long = [k for k in keys if sum(c.isdigit() for c in k) >= 3]
    if long:
        return all(k in said for k in long)
    return any(_digits_in(k, reply) for k in keys)


def _digits_in(key: str, reply: str) -> bool:
    """A short key ("4th", "3") is in the reply as its own number, not inside another."""
    digits = "".join(c for c in key if c.isdigit())
    return regex.search(rf"(?<!\d){digits}(?!\d)", reply) is not None
