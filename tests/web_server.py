"""Start ``frontline serve`` in a subprocess for the web tests and the load benchmark.

Each server gets its own copies of the personas folder, its own database and (optionally)
its own users file, so tests never touch the checkout's data.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


CHROMIUM = Path(os.environ.get("FRONTLINE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running web UI and the files it uses."""

    url: str
    folder: Path
    process: subprocess.Popen
    log: Path
    users: dict[str, str] = field(default_factory=dict)  # name -> password

    @property
    def personas(self) -> Path:
        return self.folder / "personas"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def add_user(users_file: Path, name: str, role: str, password: str) -> None:
    """Add a user with the real `frontline users add` command."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--file",
            str(users_file),
        ],
        input=password + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )


def start_server(
    folder: Path,
    users: list[tuple[str, str, str]] | None = None,
    timeout: float = 90,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """Serve the app from ``folder`` (created); ``users`` are (name, role, password)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "personas", folder / "personas", dirs_exist_ok=True)
    # The server's own data only; FRONTLINE_RUBRICS passes through (rubrics are read-only).
    mine = ("FRONTLINE_PERSONAS", "FRONTLINE_DATA", "FRONTLINE_DB", "FRONTLINE_USERS")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in mine and not k.startswith("OPENAI_") and not k.startswith("FRONTLINE_LLM")
    }
    env.update(
        FRONTLINE_PERSONAS=str(folder / "personas"),
        FRONTLINE_DATA=str(folder),
        FRONTLINE_DB=str(folder / "sessions.sqlite3"),
        FRONTLINE_USERS=str(folder / "users.yaml"),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    passwords = {}
    for name, role, password in users or []:
        add_user(folder / "users.yaml", name, role, password)
        passwords[name] = password
    port = free_port()
    log = folder / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2):
                return Server(url, folder, process, log, passwords)
        except urllib.error.HTTPError:  # e.g. 401 before login: the server is up
            return Server(url, folder, process, log, passwords)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server did not answer within {timeout}s:\n{log.read_text()}")


CALM_DOWN = "Please calm down."


def patient_persona() -> str:
    """A shipped persona who stays after being told to calm down, so the meter shows it."""
    import pytest

    from simulator.customer.machine import CustomerMachine
    from simulator.persona import PersonaLibrary

    lib = PersonaLibrary(ROOT / "personas")
    for pid in lib.ids():
        machine = CustomerMachine(lib.get(pid))
        if machine.step(machine.start(), CALM_DOWN).state.outcome.value == "ongoing":
            return pid
    pytest.fail("no shipped persona survives a 'calm down'; the web tests need one")


def api_client(server: Server, name: str):
    """A fresh gradio_client logged in as ``name`` (a new client is like a new browser tab)."""
    from gradio_client import Client

    return Client(server.url, auth=(name, server.users[name]), verbose=False)


def off_the_machine(url: str) -> bool:
    """A request a page should never make: anywhere but this server (or inline data)."""
    return not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))


def log_in(page, server: Server, name: str) -> None:
    """Open the app in ``page`` and log ``name`` in on gradio's login form, whatever its
    language (no button text is used); return once the page's banner names them."""
    page.goto(server.url)
    page.fill("input[data-testid=textbox]", name)
    page.fill("input[type=password]", server.users[name])
    page.press("input[type=password]", "Enter")
    page.wait_for_selector(f"#fl-banner [data-user='{name}']")
