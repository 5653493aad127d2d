"""Numbers and dates written the way a language writes them (Babel, CLDR data).

For every reader outside the web layer (the scorecard, certificates, reports, the CLI):
"72.5" is "72,5" in Spanish and Russian, and "7 Dec 2026" is "7 dic 2026". An unknown
language falls back to English.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime
from babel.numbers import format_decimal


def locale_for(language: str | None) -> Locale:
    """Babel's locale for a language code (``pt-BR`` too); English when it has none."""
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def number(value: float, language: str | None) -> str:
    """A number with the language's decimal mark, without grouping (a score, ``72,5``)."""
    return format_decimal(value, format="0.###", locale=locale_for(language))


def when(moment: datetime | date | str, language: str | None, length: str = "medium") -> str:
    """A date (or date and time) as ``language`` writes it; an ISO string is parsed first,
    and text that is not a date is returned as it is."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if isinstance(moment, datetime):
        return format_datetime(moment, length, locale=locale_for(language))
    return _babel_date(moment, length, locale=locale_for(language))
