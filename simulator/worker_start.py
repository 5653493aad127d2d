"""How Frontline starts worker processes (calibration, certification): never by forking.

A forked child inherits the parent's memory but only the forking thread. The bundled encoder's
engine runs OpenMP threads: once it has read a turn in the parent, a forked child that reads
one waits forever for threads it does not have. A web server's other threads may hold locks
the same way. Workers therefore start as fresh interpreters ("spawn"): they import Frontline
anew, read the environment as it is now, and load their own encoder when they need one.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext


def worker_context() -> BaseContext:
    """The start method for every process pool of Frontline (see the module docstring)."""
    return multiprocessing.get_context("spawn")
