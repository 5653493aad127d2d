"""What the time limit on file-supplied regexes costs, and how soon a runaway search stops.

    python bench/bench_saferegex.py

Prints (1) the cost of one search with ``re``, with the ``regex`` engine, and through
``saferegex.SafePattern`` (``regex`` with its timeout), on an ordinary pattern and
sentence; (2) for patterns that backtrack badly, the wall-clock time until the search gives
up (the limit is ``saferegex.MATCH_TIMEOUT``; the engine checks its clock between steps, so
it overshoots). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
import timeit
from pathlib import Path

import regex

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import saferegex  # noqa: E402

SENTENCE = "I am so very sorry about what happened to your parcel."
PATTERN = r"\b(so |very |really )*sorry\b"
RUNAWAY = [(r"\w*a\w*b", "a" * 20_000), (r"(a|a)*$", "a" * 30 + "!"), (r"\w*\w*\w*\d", "a" * 2_000)]


def per_search(stmt: str, env: dict) -> float:
    n = 20_000
    return min(timeit.repeat(stmt, globals=env, number=n, repeat=5)) / n * 1e6


def main() -> None:
    print(
        f"python {platform.python_version()}, regex {regex.__version__}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    env = {
        "r": re.compile(PATTERN, re.I),
        "x": regex.compile(PATTERN, regex.I),
        "s": saferegex.compile(PATTERN),
        "t": SENTENCE,
    }
    for label, stmt in [
        ("re", "r.search(t)"),
        ("regex, no limit", "x.search(t)"),
        ("SafePattern (regex + timeout)", "s.search(t)"),
    ]:
        print(f"one search, {label:32} {per_search(stmt, env):6.2f} µs")
    print(f"time limit per search: {saferegex.MATCH_TIMEOUT} s")
    for pattern, text in RUNAWAY:
        compiled = saferegex.compile(pattern)
        started = time.perf_counter()
        result = compiled.search(text)
        took = time.perf_counter() - started
        print(
            f"runaway {pattern!r:18} on {len(text):6} chars: gave up after {took:.2f} s "
            f"(result {result})"
        )


if __name__ == "__main__":
    main()
