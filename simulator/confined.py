"""Files read only from the configured folders: a name in a folder is followed to the file it
really is (symbolic links and ``..`` resolved), and refused when that leaves the folder.

A link in the personas folder to ``/etc/passwd`` would otherwise be read, parsed and shown
(the designer displays a file's text, and a parse error quotes its lines).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import FileProblems, Problem


def is_inside(path: Path | str, folder: Path | str) -> bool:
    """Whether ``path``, with every link followed, is ``folder`` or lies in it."""
    real = os.path.realpath(path)
    root = os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def confined(path: Path, folder: Path, what: str = "folder") -> Path:
    """``path`` if it stays in ``folder``; else :class:`FileProblems` naming the file, and
    saying it is not read (a link out of the folder, or a path that climbs out of it)."""
    if is_inside(path, folder):
        return path
    how = "a link that leads" if os.path.islink(path) else "a path that leads"
    raise FileProblems([Problem(str(path), f"not read: {how} outside the {what} {folder}")])
