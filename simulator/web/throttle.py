"""Login throttling: after a few wrong passwords for one user name, or many from one client
address, further attempts are refused for a while, the pause doubling with each new failure.

Counted per name (guessing one person's password) and per address (trying many names from
one machine; a higher limit, as a class may share one address). While a pause lasts,
attempts are refused without checking the password, so they neither count nor cost a
scrypt hash; a correct password afterwards clears the name's count. The clock is injected
so tests need no waiting.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from ..languages.catalogue import BASE, Texts
from .locale import format_duration

NAME_LIMIT = 5  # failures for one name before the first pause
ADDRESS_LIMIT = 20  # failures from one client address before the first pause
FIRST_PAUSE = 30.0  # seconds; doubles with each failure after the limit
LONGEST_PAUSE = 15 * 60.0
FORGET_AFTER = 60 * 60.0  # a record with no failure for this long is dropped
MAX_RECORDS = 10_000  # names an attacker makes up cannot grow memory without bound


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0  # refused before this time


@dataclass
class LoginThrottle:
    """Failure counts per user name and per client address; thread-safe."""

    clock: Callable[[], float] = time.monotonic
    name_limit: int = NAME_LIMIT
    address_limit: int = ADDRESS_LIMIT
    _records: OrderedDict[tuple[str, str], _Record] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refusal(self, name: str, address: str, language: str = BASE) -> str | None:
        """Why an attempt for ``name`` from ``address`` is refused now, in ``language`` (the
        login page's: the browser's); None if it may go on."""
        now = self.clock()
        with self._lock:
            for key, message in (
                (("name", name), "login.too_many_name"),
                (("address", address), "login.too_many_address"),
            ):
                record = self._records.get(key)
                if record is not None and now < record.until:
                    wait = int(record.until - now + 0.999)
                    t = Texts(language)
                    return t(message, name=repr(name), wait=_duration(wait, t.language))
        return None

    def failed(self, name: str, address: str) -> None:
        """Count a wrong password; start or lengthen the pause once past the limit."""
        now = self.clock()
        with self._lock:
            for key, limit in (
                (("name", name), self.name_limit),
                (("address", address), self.address_limit),
            ):
                record = self._record(key, now)
                record.failures += 1
                record.last = now
                over = record.failures - limit
                if over >= 0:
                    record.until = now + min(FIRST_PAUSE * 2 ** min(over, 20), LONGEST_PAUSE)

    def succeeded(self, name: str) -> None:
        """A correct password: the name starts afresh (the address keeps its count)."""
        with self._lock:
            self._records.pop(("name", name), None)

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.get(key)
        if record is None or now - record.last > FORGET_AFTER and now >= record.until:
            record = _Record()
        self._records[key] = record
        self._records.move_to_end(key)
        while len(self._records) > MAX_RECORDS:
            self._records.popitem(last=False)
        return record


def _duration(seconds: int, language: str) -> str:
    """'30 seconds', '2 minutes' as ``language`` writes them (Babel: plural forms and all,
    "30 секунд", "2 分钟"); under 90 seconds in seconds, else in whole minutes rounded up."""
    minutes = timedelta(minutes=(seconds + 59) // 60)
    return format_duration(timedelta(seconds=seconds) if seconds < 90 else minutes, language)
