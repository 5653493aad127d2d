"""Unit tests of the web layer's guards: files only from the configured folders, the login
throttle (with an injected clock), private downloads, the file modes of saved personas,
logins turned on when a users file appears, and which servers use a users file. The same
behaviour through a running server is in test_web_security.py."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from conftest import FIXTURE_PERSONA_ID, FIXTURE_PERSONAS

from simulator.confined import confined, is_inside
from simulator.errors import FileProblems, FrontlineError
from simulator.persona.loader import PersonaLibrary
from simulator.servers import announce, running_with
from simulator.sessions import SessionStore
from simulator.users import Role, UserStore
from simulator.web import downloads
from simulator.web.cert_runs import uploaded_files
from simulator.web.context import WebContext
from simulator.web.persona_edit import PERSONA_FILE_MODE, write_persona
from simulator.web.throttle import FIRST_PAUSE, LONGEST_PAUSE, LoginThrottle


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- files only from the configured folders ---------------------------------------------
@pytest.fixture
def personas_with_links(tmp_path) -> Path:
    folder = tmp_path / "personas"
    shutil.copytree(FIXTURE_PERSONAS, folder)
    secret = tmp_path / "secret.yaml"
    secret.write_text(
        (folder / f"{FIXTURE_PERSONA_ID}.yaml").read_text().replace(FIXTURE_PERSONA_ID, "stolen")
    )
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "stolen.yaml").symlink_to(secret)
    (folder / "inside.yaml").symlink_to(folder / f"{FIXTURE_PERSONA_ID}.yaml")
    return folder


def test_links_out_of_a_folder_are_refused_with_a_message(personas_with_links):
    folder = personas_with_links
    assert is_inside(folder / "inside.yaml", folder)
    assert not is_inside(folder / "passwd.yaml", folder)
    assert not is_inside(folder / ".." / "secret.yaml", folder)
    with pytest.raises(FileProblems, match="a link that leads outside the personas folder"):
        confined(folder / "passwd.yaml", folder, "personas folder")
    with pytest.raises(FileProblems, match="a path that leads outside"):
        confined(folder / ".." / "secret.yaml", folder, "personas folder")


def test_the_persona_library_does_not_read_links_out_of_its_folder(personas_with_links):
    lib = PersonaLibrary(personas_with_links)
    assert "stolen" not in lib.ids(), "a persona linked in from outside was loaded"
    refused = {Path(p.file).name: p.message for p in lib.problems}
    assert "not read" in refused["passwd.yaml"] and "not read" in refused["stolen.yaml"]
    assert "root:" not in repr(lib.problems), "the linked file's content leaked"


def test_only_gradio_uploads_are_graded(tmp_path):
    uploads = tmp_path / "gradio"
    (uploads / "abc").mkdir(parents=True)
    mine = uploads / "abc" / "t.json"
    mine.write_text("{}")
    assert uploaded_files([str(mine)], uploads) == [mine]
    elsewhere = tmp_path / "server-secret.json"
    elsewhere.write_text("{}")
    link = uploads / "abc" / "link.json"
    link.symlink_to(elsewhere)
    for bad in (elsewhere, link, uploads / "abc" / ".." / ".." / "server-secret.json"):
        with pytest.raises(FrontlineError, match="only files uploaded with the form"):
            uploaded_files([str(bad)], uploads)


# -- the login throttle ----------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_passwords_for_one_name_pause_its_logins_with_doubling_pauses():
    clock = Clock()
    throttle = LoginThrottle(clock=clock, name_limit=3, address_limit=100)
    for _ in range(2):
        assert throttle.refusal("ann", "10.0.0.1") is None
        throttle.failed("ann", "10.0.0.1")
    throttle.failed("ann", "10.0.0.1")
    refusal = throttle.refusal("ann", "10.0.0.1")
    assert refusal and "Too many failed logins for 'ann'" in refusal
    assert f"{int(FIRST_PAUSE)} seconds" in refusal
    assert throttle.refusal("ann", "10.0.0.9"), "another address does not lift the pause"
    assert throttle.refusal("tom", "10.0.0.1") is None, "other names are not paused"
    clock.now += FIRST_PAUSE
    assert throttle.refusal("ann", "10.0.0.1") is None
    throttle.failed("ann", "10.0.0.1")  # one more failure: the pause doubles
    assert f"{int(2 * FIRST_PAUSE)} seconds" in throttle.refusal("ann", "10.0.0.1")
    for _ in range(30):
        clock.now += LONGEST_PAUSE
        throttle.failed("ann", "10.0.0.1")
    assert "15 minutes" in throttle.refusal("ann", "10.0.0.1"), "the pause has a ceiling"
    clock.now += LONGEST_PAUSE
    throttle.succeeded("ann")
    throttle.failed("ann", "10.0.0.1")
    assert throttle.refusal("ann", "10.0.0.1") is None, "a correct password starts afresh"


def test_many_names_from_one_address_pause_that_address():
    clock = Clock()
    throttle = LoginThrottle(clock=clock, name_limit=100, address_limit=4)
    for n in range(4):
        throttle.failed(f"guess{n}", "10.0.0.7")
    assert "from your address" in throttle.refusal("someone", "10.0.0.7")
    assert throttle.refusal("someone", "10.0.0.8") is None


def test_made_up_names_cannot_grow_the_throttle_without_bound():
    throttle = LoginThrottle(clock=Clock())
    for n in range(30_000):
        throttle.failed(f"name{n}", "10.0.0.1")
    assert len(throttle._records) <= 10_000


# -- downloads and saved personas --------------------------------------------------------
def test_downloads_are_private_and_know_their_owner(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "cache"))
    path = downloads.write_download("ann", "sess/../1", "scorecard.html", "<p>mine</p>")
    assert path.read_text() == "<p>mine</p>"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert path.is_relative_to(downloads.downloads_root() / "ann")
    assert downloads.owner_of(str(path)) == "ann"
    sneaky = str(downloads.downloads_root() / "tom" / ".." / "ann" / "x" / "y.html")
    assert downloads.owner_of(sneaky) == "ann"
    assert downloads.owner_of(str(tmp_path / "cache" / "other.json")) is None
    assert downloads.safe_name("..") == "_" and downloads.safe_name("a/b") == "a_b"


def test_saved_personas_get_the_mode_of_shipped_ones(tmp_path, persona):
    text = (FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml").read_text()
    saved = write_persona(tmp_path, persona, text, {})
    assert mode(saved) == PERSONA_FILE_MODE == 0o644


# -- users added while the server runs ---------------------------------------------------
def test_a_users_file_that_appears_turns_logins_on_and_they_stay_on(tmp_path):
    users = UserStore(tmp_path / "users.yaml")
    ctx = WebContext(
        store=SessionStore(":memory:"), personas_dir=FIXTURE_PERSONAS, users=users, renderer=None
    )
    assert ctx.local_mode
    users.add("ann", Role.TRAINEE, "ann-password")
    assert not ctx.local_mode
    os.unlink(users.path)
    assert not ctx.local_mode, "a server that had logins never silently opens up again"


def test_users_add_knows_which_running_servers_use_the_file(tmp_path):
    users_file = tmp_path / "users.yaml"
    assert running_with(users_file) == []
    record = announce(users_file, "http://127.0.0.1:7860/")
    assert [s.pid for s in running_with(users_file)] == [os.getpid()]
    assert running_with(tmp_path / "other.yaml") == []
    record.write_text(record.read_text().replace(str(os.getpid()), "999999999"))
    assert running_with(users_file) == [] and not record.exists(), "dead servers are cleared"


# -- docs/security.md names only tests that exist ------------------------------------------
def test_every_test_named_in_the_security_page_exists():
    root = Path(__file__).resolve().parent
    page = (root.parent / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", page)
    assert len(named) >= 40, "the page lists the tests that hold each promise"
    # Another branch's tests may be listed before it lands, if the page says so; once the
    # file exists its names are checked like any other.
    pending = {
        f
        for line in re.findall(r"<!-- pending: ([^>]*)-->", page)
        for f in line.split()
        if f.endswith(".py")
    }
    # The page names a test by its file's name; the file lives in the folder mirroring the
    # package it tests (or at the top for cross-cutting ones).
    where = {p.name: p for p in root.rglob("test_*.py")}
    missing = [
        f"{f}::{t}"
        for f, t in named
        if f in where or f not in pending
        if f not in where
        or not re.search(rf"^\s*def {t}\(", where[f].read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", ["Demasiados intentos fallidos para 'ann'", "30 segundos"]),
        ("ru", ["Слишком много неудачных попыток входа для 'ann'", "30 секунд"]),
        ("zh", ["'ann' 登录失败次数过多", "30秒"]),
        ("bg", ["Твърде много неуспешни опити за вход за 'ann'", "30 секунди"]),
        ("pt", ["Tentativas de entrada falhadas demais para 'ann'", "30 segundos"]),
    ],
)
def test_the_throttles_refusal_is_in_the_login_pages_language(language, words):
    """The refusal was English whatever the browser asked for; the address's pause too."""
    throttle = LoginThrottle(clock=Clock(), name_limit=1, address_limit=1)
    throttle.failed("ann", "10.0.0.1")
    refusal = throttle.refusal("ann", "10.0.0.1", language)
    assert all(w in refusal for w in words), refusal
    assert not re.search(r"\b(Too many|Try again|seconds|trainer)\b", refusal)
    by_address = throttle.refusal("bob", "10.0.0.1", language)
    assert by_address != refusal and "'bob'" not in by_address
    assert not re.search(r"\b(Too many|Try again|seconds|address)\b", by_address)
