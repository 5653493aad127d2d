"""Names left over from a rename: phrases that still call the customer something else.

Renaming a persona (``identity.name``) does not touch the lines that name the customer
("It's Bernie Okafor.", "Could I take your order number, Mrs Okafor?", a trigger on
``\\bMrs\\.? Okafor\\b``). Two things help the trainer:

- :func:`stale_name_mentions` (a linter warning, so ``frontline validate`` and the designer
  show it): a name written where a person's name is said — after a title (Mr, Mrs, Ms,
  Dr …) or in a self-introduction ("It's …", "my name is …", "This is …") that shares no
  word with ``identity.name`` ("Bernie Okafor" is fine for Bernadette Okafor). It looks
  only at those places, so a word that merely happens to be capitalised is not taken for
  a name; a nickname alone, outside those forms, is not found.
- :func:`replace_name` (the designer's button after the name field changes): the old
  name, and its first and last words where they differ, replaced by the new one's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import Persona

TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Sir|Madam|Professor|Prof)"
NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)*"
# Between a title and the name: spaces, a dot, or the regex punctuation of a trigger
# pattern such as ``(Dr\.?|Doctor) Mehra``.
AFTER_TITLE = r"[\s.\\?)|]+"
MENTIONS = [
    # "(Dr\.?|Doctor) Mehra": the name is the word after the last title, not "Doctor".
    re.compile(rf"\b{TITLES}{AFTER_TITLE}(?!{TITLES}\b)(?P<name>{NAME_WORD})"),
    re.compile(
        rf"\b(?:[Mm]y name is|[Ii]n my name,?|[Ii]t's|[Ii]t is|[Tt]his is)\s+"
        rf"(?P<name>{NAME_WORD}(?:\s+{NAME_WORD})+)"
    ),
    re.compile(rf"\b[Mm]y name is\s+(?P<name>{NAME_WORD})"),
]
# Who the customer is (the name itself, a background that may name others) is not checked.
SKIPPED = "identity"


def _strings(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, path + (i,))


def name_words(name: str) -> set[str]:
    """The words of a name, titles left out."""
    return {w for w in re.findall(NAME_WORD, name) if not re.fullmatch(TITLES, w)}


def stale_name_mentions(persona: Persona) -> list[tuple[tuple, str]]:
    """(field path, message) for each line naming the customer by another name."""
    own = name_words(persona.identity.name)
    found = []
    data = persona.model_dump(mode="json", exclude_defaults=False)
    for path, text in _strings(data):
        if path[:1] == (SKIPPED,):
            continue
        for pattern in MENTIONS:
            for match in pattern.finditer(text):
                mention = match["name"]
                words = name_words(mention)
                if words and not words & own:  # sharing a word: a nickname, a title
                    found.append(
                        (
                            path,
                            f"names the customer {mention!r}, but identity.name is "
                            f"{persona.identity.name!r}: left over from a rename? "
                            "(the designer can replace the old name)",
                        )
                    )
                    break
            else:
                continue
            break
    return found


def _pairs(old: str, new: str) -> list[tuple[str, str]]:
    """What to replace: the whole name, then its first and last words where they differ."""
    old_w, new_w = re.findall(NAME_WORD, old), re.findall(NAME_WORD, new)
    pairs = [(old.strip(), new.strip())]
    if old_w and new_w:
        pairs += [(old_w[0], new_w[0]), (old_w[-1], new_w[-1])]
    return [(a, b) for a, b in dict(pairs).items() if a and b and a != b]


def replace_name(text: str, old: str, new: str) -> tuple[str, int]:
    """``text`` with the old name (and its first and last words) replaced by the new one's,
    as whole words; and how many were replaced. (``identity.name`` already holds the new
    name when the designer offers this, so it is left as it is.)"""
    pairs = _pairs(old, new)
    if not pairs:
        return text, 0
    table = dict(pairs)
    pattern = re.compile("|".join(rf"\b{re.escape(a)}\b" for a, _ in pairs))
    return pattern.subn(lambda m: table[m.group(0)], text)
