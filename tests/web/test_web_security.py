"""Hostile users against a running server (``frontline serve`` in a subprocess, driven over
HTTP and with gradio_client): the designer does not follow links out of the personas folder,
certification grades only uploads, logins are throttled, one trainee cannot fetch another's
downloads, and users added while the server runs turn logins on without a restart."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from web_server import ROOT, add_user, patient_persona, start_server
from web_uploads import EXAM

from simulator.web.throttle import ADDRESS_LIMIT, NAME_LIMIT

pytestmark = pytest.mark.slow

USERS = [
    ("ann", "trainee", "ann-password"),
    ("bea", "trainee", "bea-password"),
    ("tom", "trainer", "tom-password"),
    ("eve", "trainee", "eve-password"),
]
GOOD_TURN = "Thank you for telling us. I'm so sorry, that sounds really frustrating."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-security"), USERS)
    yield srv
    srv.stop()


def raw_client(server, name: str) -> Client:
    """A logged-in client that leaves files on the server and returns their URLs."""
    return Client(server.url, auth=(name, server.users[name]), verbose=False, download_files=False)


def login(server, name: str, password: str, language: str | None = None) -> httpx.Response:
    """One attempt at gradio's real login form, as the browser posts it (from a browser
    asking for ``language`` when given)."""
    headers = {"Accept-Language": language} if language else {}
    return httpx.post(
        server.url + "login", data={"username": name, "password": password}, headers=headers
    )


def session_for(server, name: str) -> httpx.Client:
    http = httpx.Client(base_url=server.url)
    assert (
        http.post("login", data={"username": name, "password": server.users[name]}).status_code
        == 200
    )
    return http


# -- defect 5: the designer and links out of the personas folder -------------------------
def test_the_designer_does_not_open_a_link_out_of_the_personas_folder(server, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: the-server-keeps-this\n")
    links = {"passwd.yaml": Path("/etc/passwd"), "zz-outside.yaml": outside}
    for name, target in links.items():
        (server.personas / name).symlink_to(target)
    try:
        tom = raw_client(server, "tom")
        for name in links:
            with pytest.raises(AppError, match="not read: a link that leads outside") as info:
                tom.predict(name, api_name="/designer_open")
            assert "root:" not in str(info.value) and "the-server-keeps" not in str(info.value)
    finally:
        for name in links:
            (server.personas / name).unlink()


# -- defect 6: certification grades only uploaded files ----------------------------------
def call(http: httpx.Client, api_name: str, data: list) -> tuple[str, str]:
    """Call an endpoint over gradio's HTTP API with a body of our own making (gradio_client
    would upload a local file instead of naming a server path); (event, data) of the end."""
    event_id = http.post(f"gradio_api/call/{api_name}", json={"data": data}).json()["event_id"]
    stream = http.get(f"gradio_api/call/{api_name}/{event_id}", timeout=120).text
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.M)
    return events[-1]


def test_certification_grades_no_server_file_but_uploads(server, tmp_path):
    # A file gradio holds in its folder that this request did not upload: a trainee's
    # downloaded transcript (on main, copied into gradio's cache; it passes gradio's check).
    ann = raw_client(server, "ann")
    ann.predict(patient_persona(), "complaint-handling", "exam", False, api_name="/start")
    ann.predict(GOOD_TURN, False, api_name="/send")
    ended = ann.predict(api_name="/end")
    transcript = next(Path(f["path"]) for f in downloads_in(ended) if f["path"].endswith(".json"))
    secret = tmp_path / "server-notes.json"
    secret.write_text(json.dumps({"note": "not for trainers"}))
    tom = session_for(server, "tom")
    for path in (transcript, secret):
        forged = {"path": str(path), "meta": {"_type": "gradio.FileData"}}
        event, data = call(
            tom, "certify_start", [EXAM, "Uploaded transcript files", [forged], "", False]
        )
        assert event == "error", f"{path.name} was read: {data[:300]}"
        assert re.search("only files uploaded with the form can be graded|not uploaded", data)
    runs = raw_client(server, "tom").predict(api_name="/certify_runs")
    assert "uploaded file" not in json.dumps(runs), "nothing was graded or stored"


def downloads_in(result) -> list[dict]:
    """The files (FileData dicts with a server path and a URL) among a call's outputs."""
    files = [o for o in result if isinstance(o, dict) and o.get("url")]
    return files + [
        o["value"]
        for o in result
        if isinstance(o, dict) and isinstance(o.get("value"), dict) and o["value"].get("url")
    ]


# -- defect 8: downloads belong to their owner -------------------------------------------
def test_one_trainee_cannot_fetch_another_trainees_downloads(server):
    ann = raw_client(server, "ann")
    ann.predict(patient_persona(), "complaint-handling", "training", True, api_name="/start")
    ann.predict(GOOD_TURN, True, api_name="/send")
    files = downloads_in(ann.predict(api_name="/end"))
    assert len(files) == 2, files
    for f in files:
        path = Path(f["path"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is world-readable"
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    mine, theirs = session_for(server, "ann"), session_for(server, "bea")
    for f in files:
        assert mine.get(f["url"]).status_code == 200, "the owner gets the file"
        stolen = theirs.get(f["url"])
        assert stolen.status_code == 404 and GOOD_TURN not in stolen.text
        # Nor by another spelling of the same path.
        other = f["url"].replace("/frontline-downloads/ann/", "/frontline-downloads/bea/../ann/")
        assert theirs.get(other).status_code in (403, 404)
        assert httpx.get(f["url"]).status_code in (401, 403, 404), "nor without a login"


# -- defect 7: login throttling ------------------------------------------------------------
def test_the_login_page_note_is_written_in_every_language(server):
    """What the login page shows under its form (gradio reads it from the refused config):
    one line per language, each marked with its lang, the throttle's numbers filled in."""
    refused = httpx.get(server.url + "config")
    note = refused.json()["detail"]["auth_message"]
    assert f"After {NAME_LIMIT} wrong passwords" in note
    assert '<span lang="zh">' in note and "请使用培训师给您的用户名和密码登录" in note
    assert '<span lang="ru">' in note and f"После {NAME_LIMIT} неверных паролей" in note
    assert note.count("<span lang=") == 6, note


def test_wrong_passwords_pause_logins_for_that_name(server):
    for _ in range(NAME_LIMIT):
        refused = login(server, "eve", "not-her-password")
        assert refused.status_code == 400, "gradio's own refusal while under the limit"
    paused = login(server, "eve", "not-her-password")
    assert paused.status_code == 429
    assert "Too many failed logins for 'eve'" in paused.json()["detail"]
    assert "Try again in 30 seconds" in paused.json()["detail"]
    # The login page is in the browser's language, and so is the refusal.
    russian = login(server, "eve", "not-her-password", "ru-RU,ru;q=0.9,en;q=0.5").json()
    assert russian["detail"].startswith("Слишком много неудачных попыток входа для 'eve'")
    assert "секунд" in russian["detail"], russian
    chinese = login(server, "eve", "not-her-password", "zh-CN").json()["detail"]
    assert "登录失败次数过多" in chinese and "秒" in chinese, chinese
    # Even the right password waits (a guess cannot be confirmed during the pause) ...
    assert login(server, "eve", server.users["eve"]).status_code == 429
    # ... gradio_client gets no session, and other names are not affected.
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises a plain ValueError)
        Client(server.url, auth=("eve", server.users["eve"]), verbose=False)
    assert login(server, "ann", server.users["ann"]).status_code == 200


def test_many_names_from_one_address_pause_that_address(server):
    """Runs last in this file: it pauses logins from 127.0.0.1 for every later test."""
    failures = 0
    for n in range(ADDRESS_LIMIT + 5):
        response = login(server, f"guess{n}", "wrong-password")
        if response.status_code == 429:
            break
        assert response.status_code == 400
        failures += 1
    assert response.status_code == 429, "no pause after many wrong passwords"
    assert "from your address" in response.json()["detail"]
    assert failures <= ADDRESS_LIMIT


# -- defect 11: users added while the server runs ------------------------------------------
def test_users_added_while_the_server_runs_turn_logins_on_at_once(tmp_path):
    srv = start_server(tmp_path / "srv")  # no users file: local single-user mode
    try:
        assert httpx.get(srv.url + "config").status_code == 200, "local mode: no login"
        added = subprocess.run(
            [
                sys.executable,
                "-m",
                "simulator",
                "users",
                "add",
                "ann",
                "--role",
                "trainee",
                "--password-stdin",
                "--file",
                str(srv.folder / "users.yaml"),
            ],
            input="ann-password\n",
            text=True,
            capture_output=True,
            cwd=ROOT,
            check=True,
        )
        assert re.search(
            rf"the running server {re.escape(srv.url)} \(pid \d+\) now asks for "
            "a login",
            added.stdout,
        ), added.stdout
        assert httpx.get(srv.url + "config").status_code == 401, "still open after users add"
        with pytest.raises(Exception):  # noqa: B017 (no login, no app)
            Client(srv.url, verbose=False).predict(api_name="/designer_check")
        srv.users["ann"] = "ann-password"
        ann = Client(srv.url, auth=("ann", "ann-password"), verbose=False)
        with pytest.raises(AppError, match="for trainers"):
            ann.predict("id: x", api_name="/designer_check")
        add_user(srv.folder / "users.yaml", "tom", "trainer", "tom-password")
        tom = Client(srv.url, auth=("tom", "tom-password"), verbose=False)
        assert tom.predict("id: x", api_name="/designer_check"), "a later user logs in too"
    finally:
        srv.stop()
