"""What every request of the web app shares: the session store, folders, users and renderer.

One :class:`WebContext` is made per app. It holds no per-user state: the store is the
shared truth, and what a browser tab is doing lives in that tab's ``gr.State``.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import FrontlineError
from ..moves.detector import Detector
from ..persona.loader import PersonaLibrary
from ..render.base import Renderer
from ..render.offline import OfflineRenderer
from ..sessions import SessionStore
from ..users import UserStore, users_path


def default_renderer(offline: bool = False) -> Renderer:
    """The configured renderer (an LLM if FRONTLINE_LLM_* says so); else the phrase banks."""
    if offline:
        return OfflineRenderer()
    from ..wiring import renderer_from_config

    return renderer_from_config()


@dataclass
class WebContext:
    """Shared, thread-safe services of one running app."""

    store: SessionStore
    personas_dir: Path
    users: UserStore | None
    renderer: Renderer
    offline: bool = False
    _library: PersonaLibrary | None = field(default=None, repr=False)
    _detectors: dict[str, Detector] = field(default_factory=dict, repr=False)
    _library_stamp: tuple | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _logins_on: bool = field(default=False, repr=False)

    @classmethod
    def from_environment(
        cls, users_file: Path | None = None, db: Path | None = None, offline: bool = False
    ) -> WebContext:
        """Folders and files from the FRONTLINE_* environment variables (see config). The
        users file is watched even when it does not exist yet (see :attr:`local_mode`)."""
        return cls(
            store=SessionStore(db or config.database_path()),
            personas_dir=config.personas_dir(),
            users=UserStore(users_file or users_path()),
            renderer=default_renderer(offline),
            offline=offline,
        )

    def detector(self, language: str) -> Detector | None:
        """The configured move detector for ``language`` (the rules, plus the model when
        ``detect_moves`` is on), built once and shared; None offline (the rules)."""
        if self.offline:
            return None
        from ..wiring import detector_from_config

        with self._lock:
            if language not in self._detectors:
                self._detectors[language] = detector_from_config(language)
            return self._detectors[language]

    @property
    def local_mode(self) -> bool:
        """No users file: one local user who may do everything.

        Asked on every request: a users file that appears while the server runs (``frontline
        users add``) turns logins on at once. Once on they stay on until a restart, even if
        the file goes away: a server that has had logins never silently opens up again.
        """
        if self.users is None:
            return True
        if not self._logins_on and self.users.exists():
            self._logins_on = True
        return not self._logins_on

    def warm_up(self) -> None:
        """Load the move patterns and effects now, so the first trainee does not wait."""
        from ..customer.machine import CustomerMachine

        lib = self.library()
        for language in sorted({lib.get(i).language for i in lib.ids()}):
            persona = next(lib.get(i) for i in lib.ids() if lib.get(i).language == language)
            try:
                machine = CustomerMachine(persona)
                machine.step(machine.start(), "Hello, thank you for getting in touch.")
            except FrontlineError as exc:
                # Only a head start; the same problem is shown to whoever starts a session.
                print(f"frontline: warning: could not prepare {persona.id}: {exc}", file=sys.stderr)

    def library(self) -> PersonaLibrary:
        """The persona folder, re-read when a file in it changes (designer saves, uploads)."""
        stamp = tuple(
            sorted(
                (p.name, p.stat().st_mtime_ns, p.stat().st_size)
                for p in self.personas_dir.glob("*.yaml")
            )
        )
        with self._lock:
            if self._library is None or stamp != self._library_stamp:
                self._library = PersonaLibrary(self.personas_dir)
                self._library_stamp = stamp
            return self._library
