"""Running llama.cpp's server for a measurement: on 127.0.0.1, a free port, waited for,
and always stopped (the context manager kills it and its process group on the way out,
whatever happened inside)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class ServerError(Exception):
    """The server did not come up; the message has the end of its log."""


@dataclass(frozen=True)
class Running:
    base_url: str  # http://127.0.0.1:PORT/v1
    root: str  # http://127.0.0.1:PORT
    pid: int
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def metrics(root: str) -> dict[str, float]:
    """The server's Prometheus counters (``--metrics``), e.g.
    ``llamacpp:tokens_predicted_total``."""
    status, text = _get(root + "/metrics")
    out: dict[str, float] = {}
    if status != 200:
        return out
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[name] = float(value)
    return out


def props(root: str) -> dict:
    status, text = _get(root + "/props")
    with contextlib.suppress(ValueError):
        return json.loads(text) if status == 200 else {}
    return {}


@contextlib.contextmanager
def llama_server(
    binary: Path,
    model: Path,
    log: Path,
    *,
    ctx_size: int = 8192,
    threads: int | None = None,
    startup_timeout: float = 180.0,
) -> Iterator[Running]:
    """Start ``binary`` serving ``model`` on 127.0.0.1; yield once /health says ok; stop it."""
    port = free_port()
    cmd = [
        str(binary),
        "-m",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(ctx_size),
        "--parallel",
        "1",
        "--threads",
        str(threads or os.cpu_count() or 2),
        "--metrics",
        "--no-webui",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("w")
    proc = subprocess.Popen(
        ["nice", "-n", "10", *cmd], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise ServerError(f"llama-server exited ({proc.returncode}):\n{_tail(log)}")
            if _get(root + "/health")[0] == 200:
                break
            if time.monotonic() > deadline:
                raise ServerError(
                    f"llama-server not healthy after {startup_timeout}s:\n{_tail(log)}"
                )
            time.sleep(0.5)
        yield Running(root + "/v1", root, proc.pid, log)
    finally:
        _stop(proc)
        out.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
