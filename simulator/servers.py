"""Which ``frontline serve`` processes are running, and with which users file, so that
``frontline users add`` can say whether a running server will use the user it adds.

Each server leaves a small record beside its users file (``.frontline-serve-<pid>.json``:
its process id, address and users file) and removes it when it stops. A record whose
process is gone (a server killed with ``kill -9``) is ignored and cleared.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = ".frontline-serve-"


@dataclass(frozen=True)
class RunningServer:
    pid: int
    url: str
    users: Path


def _record(users_file: Path, pid: int) -> Path:
    return users_file.parent / f"{PREFIX}{pid}.json"


def announce(users_file: Path, url: str) -> Path:
    """Record this process as a server using ``users_file`` (which may not exist yet)."""
    users_file = users_file.resolve()
    users_file.parent.mkdir(parents=True, exist_ok=True)
    path = _record(users_file, os.getpid())
    path.write_text(
        json.dumps({"pid": os.getpid(), "url": url, "users": str(users_file)}), encoding="utf-8"
    )
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def running_with(users_file: Path) -> list[RunningServer]:
    """The live servers whose users file is ``users_file``."""
    users_file = users_file.resolve()
    found = []
    for path in sorted(users_file.parent.glob(f"{PREFIX}*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            server = RunningServer(int(data["pid"]), str(data["url"]), Path(data["users"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not _alive(server.pid):
            path.unlink(missing_ok=True)
            continue
        if server.users == users_file:
            found.append(server)
    return found
