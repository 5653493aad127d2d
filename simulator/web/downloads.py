"""Files the web UI hands out (scorecards, transcripts, persona drafts, certification
reports), kept per user and served only to that user.

Gradio serves a returned file from its cache folder (``GRADIO_TEMP_DIR``, by default
``<temp>/gradio``) at ``/gradio_api/file=<path>`` to anyone logged in who has the URL; a
file already in that folder is served where it is, not copied. So each download is written
straight into ``<cache>/frontline-downloads/<owner>/<key>/<name>``: folders 0700, files
0600, and :func:`owner_of` tells the server's gate (``gate.py``) whose a requested file is,
so another user asking for it is refused.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from gradio.utils import get_upload_folder

FOLDER = "frontline-downloads"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_name(name: str) -> str:
    """A name usable as one path part: other characters become ``_``; never ``.``/``..``."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".")
    return cleaned or "_"


def downloads_root() -> Path:
    """Where every user's downloads live (inside gradio's cache, so it serves them in place)."""
    return Path(os.path.realpath(get_upload_folder())) / FOLDER


def _private_folder(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_download(owner: str, key: str, name: str, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) as ``owner``'s download ``name``, 0600, atomically;
    ``key`` groups a session's or a run's files, so a rewrite replaces them instead of
    piling up copies."""
    root = downloads_root()
    _private_folder(root)
    folder = root / safe_name(owner) / safe_name(key)
    _private_folder(folder.parent)
    _private_folder(folder)
    target = folder / safe_name(name)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-")  # mkstemp: mode 0600
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, target)
    return target


def owner_of(path: str) -> str | None:
    """The user a requested file belongs to, if it is one of the downloads; else None."""
    real = Path(os.path.realpath(os.path.abspath(path)))
    try:
        parts = real.relative_to(downloads_root()).parts
    except ValueError:
        return None
    return parts[0] if parts else ""
