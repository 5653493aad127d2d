"""Why the mood moved, in the reader's language.

The machine records each reason in the wording of the effects tables (``effects.yaml``,
``follow_up.yaml``): a session's trajectory says the same in every language, so records,
calibration and replays compare like with like, and sessions stored before this existed
read as they did. A person reads the reasons in their own language: each reason of the
tables has a key in the language packs' ``ui.yaml``, ``reason.`` and its place in its table
(``reason.moves.calm_down``, ``reason.temperament.emotional.trust_until_heard``,
``reason.follow_up.late``), written natively there like any other string of the UI.

A recorded reason is a base reason with qualifiers in brackets, added by the machine:
"Apologised (an attitude complaint: …) (not yet heard, so it earns little trust)". Each
part is worded on its own and joined by the language's ``reason.qualified`` pattern (Chinese
brackets are full-width). A persona trigger's reason is the persona's own text, already in
the session's language (its overlay), so it is kept; so is any reason no table knows (a
trainer's own table wording with no key yet), rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from ..languages.catalogue import BASE, Texts, messages
from .effects import load_effects
from .follow_up import load_follow_up

PREFIX = "reason."
# The machine's own words, beside the tables' (machine.py).
MACHINE = {
    "Another turn gone": "turn_gone",
    "persona trigger": "persona_trigger",
    "shared trigger": "shared_trigger",
}


def _walk(data: object, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(reason text, its dotted place) of every ``reason`` inside plain table data."""
    if isinstance(data, dict):
        if isinstance(data.get("reason"), str):
            yield data["reason"], ".".join(path)
        for key, value in data.items():
            yield from _walk(value, (*path, str(key)))


@lru_cache(maxsize=1)
def reason_keys() -> dict[str, str]:
    """Each reason the tables and the machine can record, to its catalogue key."""
    found = dict(_walk(load_follow_up().model_dump(mode="json")["outcomes"], ("follow_up",)))
    found |= dict(_walk(load_effects().model_dump(mode="json"), ()))
    found |= MACHINE
    return {text: PREFIX + place for text, place in found.items()}


def _part(text: str, t: Texts) -> str:
    key = reason_keys().get(text)
    # English is the tables' own wording (a tuned table shows its new words at once); the
    # English catalogue's reason.* entries are the translators' reference for them.
    if key is None or key not in messages(BASE) or t.language == BASE:
        return text
    return t(key)


def reason_in(reason: str, t: Texts) -> str:
    """One recorded reason in ``t``'s language: its qualifiers peeled off the end while the
    tables know them, the base worded, then each qualifier put back in that language."""
    known, qualifiers = reason_keys(), []
    base = reason
    while base.endswith(")") and (cut := base.rfind(" (")) > 0 and base[cut + 2 : -1] in known:
        qualifiers.insert(0, base[cut + 2 : -1])
        base = base[:cut]
    words = _part(base, t)
    for qualifier in qualifiers:
        words = t("reason.qualified", reason=words, why=_part(qualifier, t))
    return words


def reasons_in(reasons: Iterable[str], t: Texts) -> list[str]:
    """Several recorded reasons in ``t``'s language, in order."""
    return [reason_in(r, t) for r in reasons]
