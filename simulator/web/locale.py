"""The page's language for a request, and dates and numbers written the way it writes them.

The language is the user's own choice (remembered in the session store) or, until they
choose, the best match of the browser's ``Accept-Language`` among the languages that have
a UI catalogue; English otherwise. Formatting is Babel's (CLDR data), so "7 Dec 2026",
"7 dic 2026", "7 дек. 2026 г." and "2026年12月7日" come from the same call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from ..languages import available_languages, pack_file
from ..languages.catalogue import BASE, UI_FILE

MAX_HEADER = 512  # characters of Accept-Language read; a longer header is cut, not parsed


def ui_languages() -> list[tuple[str, str]]:
    """(name in itself, code) of every language with a UI catalogue, English first."""
    found = [(p.name, p.language) for p in available_languages() if pack_file(p.language, UI_FILE)]
    return sorted(found, key=lambda nc: (nc[1] != BASE, nc[1]))


def from_accept_language(header: str | None, offered: list[str]) -> str | None:
    """The best of ``offered`` for a browser's ``Accept-Language`` header, or None."""
    if not header:
        return None
    wanted = []
    for i, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*":
            wanted.append((-q, i, tag.replace("_", "-")))
    for _, _, tag in sorted(wanted):
        if tag in offered:
            return tag
        if tag.split("-")[0].lower() in offered:
            return tag.split("-")[0].lower()
    return None


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(BASE)


def format_date(moment: datetime | str, language: str) -> str:
    """A date and time as ``language`` writes it (medium length); an ISO string is parsed
    first, and text that is not a date is returned as it is."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    return format_datetime(moment, "medium", locale=_locale(language))


def format_number(value: float, language: str) -> str:
    """A number with the language's decimal and grouping marks (1,234.5 / 1.234,5)."""
    return format_decimal(value, locale=_locale(language))


def format_duration(amount: timedelta, language: str) -> str:
    """A length of time in its largest whole unit as ``language`` writes it, plural forms
    and all ("30 seconds", "30 секунд", "30秒钟")."""
    return format_timedelta(amount, threshold=2, locale=_locale(language))
