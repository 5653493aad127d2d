"""Fixtures shared by the test files. Keep this small: put a fixture here only when more
than one test file needs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulator.persona.loader import load_persona
from simulator.persona.model import Persona
from simulator.sessions import SessionStore

ROOT = Path(__file__).resolve().parent.parent
# One embeddings store for the whole run, shared by the CLI subprocesses (they inherit the
# environment): each distinct sentence is embedded once per run, as on a trainer's machine,
# and the tests never write into the checkout's data folder.
os.environ.setdefault(
    "FRONTLINE_EMBEDDINGS",
    str(Path(tempfile.gettempdir()) / f"frontline-test-embeddings-{os.getpid()}.sqlite3"),
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_PERSONAS = FIXTURES / "personas"
FIXTURE_PERSONA_ID = "fixture-rational-refund"


@pytest.fixture
def persona() -> Persona:
    """A small, complete persona (tests/fixtures/personas)."""
    return load_persona(FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    """An empty session store in a temporary file."""
    with SessionStore(tmp_path / "sessions.sqlite3") as s:
        yield s


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for running ``frontline`` in a subprocess against test folders."""
    # Offline whatever the developer has configured: no FRONTLINE_LLM_* reaches the tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTLINE_LLM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["FRONTLINE_PERSONAS"] = str(FIXTURE_PERSONAS)
    env["FRONTLINE_DATA"] = str(tmp_path / "data")
    env["FRONTLINE_DB"] = str(tmp_path / "frontline.sqlite3")
    env.update(extra)
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``frontline ARGS`` as a subprocess: ``cli("validate", stdin="...", env={...})``."""

    def run(
        *args: str,
        stdin: str = "",
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "simulator", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=cli_env(tmp_path, **(env or {})),
            timeout=120,
        )

    return run


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for the browser tests (one per test module)."""
    from web_server import ARTIFACTS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is needed for the browser tests but {CHROMIUM} does not exist: "
            "install it with `apt-get install -y chromium` (or set FRONTLINE_CHROMIUM "
            "to its path)."
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-gpu",
            ],
        )
        yield chromium
        chromium.close()
