"""A terminal progress bar for certification runs (stderr; quiet when not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .runner import Progress

LABELS = {"grading": "rule grading", "judging": "LLM judge", "reports": "writing reports"}


class ProgressBar:
    """Call with each :class:`Progress`; redraws at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._phase = ""
        self._start = time.monotonic()

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if p.phase != self._phase:
            if self._phase and self.tty:
                self.stream.write("\n")
            self._phase, self._start = p.phase, now
            if not self.tty and p.phase in ("grading", "judging") and p.total:
                self.stream.write(f"{LABELS[p.phase]}: {p.total} to do\n")
        if p.phase not in LABELS or p.phase == "reports":
            if self.tty and p.phase == "reports":
                self.stream.write("writing reports…")
            self.stream.flush()
            return
        final = p.done >= p.total
        if self.tty and (final or now - self._last >= 0.1):
            self._last = now
            frac = p.done / p.total if p.total else 1.0
            filled = int(frac * self.width)
            rate = p.done / max(now - self._start, 1e-6)
            self.stream.write(
                f"\r{LABELS[p.phase]:<13} [{'#' * filled}"
                f"{'.' * (self.width - filled)}] {p.done}/{p.total} "
                f"{frac:4.0%} {rate:,.0f}/s "
            )
            self.stream.flush()
