"""Where Frontline finds its files. Every folder can be moved with an environment variable.

Files are only ever read from these configured folders: a persona or rubric is looked up
by its id among the files found there, never by a path a user typed into the web UI.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The checkout Frontline runs from (the folder holding ``personas/``), else the cwd."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "personas").is_dir():
        return candidate
    return Path.cwd()


def _from_env(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else default


def _folder(env: str, default: str) -> Path:
    return _from_env(env, project_root() / default)


def personas_dir() -> Path:
    """Folder of persona YAML files (``FRONTLINE_PERSONAS``)."""
    return _folder("FRONTLINE_PERSONAS", "personas")


def rubrics_dir() -> Path:
    """Folder of rubric YAML files (``FRONTLINE_RUBRICS``)."""
    return _folder("FRONTLINE_RUBRICS", "rubrics")


def exams_dir() -> Path:
    """Folder of exam files (``FRONTLINE_EXAMS``, default ``<rubrics>/exams``)."""
    return _from_env("FRONTLINE_EXAMS", rubrics_dir() / "exams")


def data_dir() -> Path:
    """Folder for the session database and run outputs (``FRONTLINE_DATA``)."""
    return _folder("FRONTLINE_DATA", "data")


def database_path() -> Path:
    """The SQLite session store (``FRONTLINE_DB``, default ``data/frontline.sqlite3``)."""
    return _from_env("FRONTLINE_DB", data_dir() / "frontline.sqlite3")
