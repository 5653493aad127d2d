"""The users file: hashing, loading with precise errors, the `frontline users` command."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.errors import FileProblems, FrontlineError
from simulator.users import Role, UserStore, hash_password, users_path, verify_password

FAST = {"n": 2**4}  # a cheap scrypt cost keeps hashing tests quick; the format is the same


def test_hash_round_trip_and_salting():
    a, b = hash_password("correct horse", **FAST), hash_password("correct horse", **FAST)
    assert a != b, "each hash has its own salt"
    assert verify_password("correct horse", a) and verify_password("correct horse", b)
    assert not verify_password("correct horsE", a)
    assert "correct" not in a


def test_default_cost_is_scrypt_16384():
    stored = hash_password("some password")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("some password", stored)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_malformed_hashes_never_match_nor_raise(stored):
    assert verify_password("pw", stored) is False


@pytest.mark.parametrize(
    "stored",
    [
        "scrypt$1048577$8$1$AAAA$AAAA",  # cost above the cap: refused, not computed
        "bcrypt$16$8$1$AAAA$AAAA",
        "scrypt$16$8$1$!!!!$AAAA",
    ],
)
def test_hostile_hashes_are_refused(stored):
    assert verify_password("pw", stored) is False


def test_add_authenticate_and_roles(tmp_path):
    store = UserStore(tmp_path / "users.yaml")
    assert not store.exists() and store.users() == []
    store.add("alice", Role.TRAINEE, "alice-password")
    store.add("tom", Role.TRAINER, "tom-password")
    assert [u.name for u in store.users()] == ["alice", "tom"]
    assert store.authenticate("alice", "alice-password").role is Role.TRAINEE
    assert store.authenticate("alice", "tom-password") is None
    assert store.authenticate("nobody", "alice-password") is None
    assert store.role_of("tom") is Role.TRAINER and store.role_of("nobody") is None
    assert Role.TRAINER.can_design and Role.ADMIN.can_design and not Role.TRAINEE.can_design
    text = (tmp_path / "users.yaml").read_text()
    assert "alice-password" not in text and "schema_version: 1" in text


def test_add_refuses_duplicates_short_passwords_and_bad_names(tmp_path):
    store = UserStore(tmp_path / "users.yaml")
    store.add("alice", Role.TRAINEE, "alice-password")
    with pytest.raises(FrontlineError, match="already exists"):
        store.add("alice", Role.ADMIN, "other-password")
    store.add("alice", Role.ADMIN, "other-password", replace=True)
    assert store.authenticate("alice", "other-password").role is Role.ADMIN
    with pytest.raises(FrontlineError, match="too short"):
        store.add("bob", Role.TRAINEE, "short")
    with pytest.raises(FrontlineError, match="invalid user name"):
        store.add("Bob Smith", Role.TRAINEE, "long enough")


def test_store_sees_changes_made_by_another_process(tmp_path):
    path = tmp_path / "users.yaml"
    server_view = UserStore(path)
    assert server_view.role_of("alice") is None
    UserStore(path).add("alice", Role.TRAINEE, "alice-password")
    assert server_view.role_of("alice") is Role.TRAINEE


def test_bad_file_names_line_and_field(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text(
        "schema_version: 1\nusers:\n  - name: alice\n    role: boss\n"
        f"    password: {hash_password('x', **FAST)}\n"
    )
    with pytest.raises(FileProblems) as info:
        UserStore(path).users()
    problem = info.value.problems[0]
    assert problem.line == 4 and problem.field == "users[0].role"
    # A broken file never lets anyone in, and never raises from the login check.
    assert UserStore(path).authenticate("alice", "x") is None


def test_plain_password_in_file_is_rejected(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text("schema_version: 1\nusers:\n  - {name: a, role: admin, password: hunter2}\n")
    with pytest.raises(FileProblems) as info:
        UserStore(path).users()
    assert info.value.problems[0].field == "users[0].password"


def test_users_path_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_USERS", str(tmp_path / "u.yaml"))
    assert users_path() == tmp_path / "u.yaml"


def test_cli_add_and_list(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.yaml"
    monkeypatch.setattr(sys, "stdin", io.StringIO("trainer-pass\n"))
    assert (
        main(["users", "add", "tom", "--role", "trainer", "--password-stdin", "--file", str(path)])
        == 0
    )
    monkeypatch.setenv("FRONTLINE_USERS", str(path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("trainee-pass\n"))
    assert main(["users", "add", "ann", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["ann\ttrainee", "tom\ttrainer"]
    assert UserStore(path).authenticate("tom", "trainer-pass") is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO("whatever-pass\n"))
    assert main(["users", "add", "tom", "--password-stdin"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_cli_list_without_file_says_local_mode(tmp_path, capsys):
    assert main(["users", "list", "--file", str(tmp_path / "none.yaml")]) == 0
    assert "local single-user mode" in capsys.readouterr().out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_users_file_text_gives_users_or_a_clear_problem(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.yaml"
        path.write_text(text, encoding="utf-8")
        store = UserStore(path)
        try:
            users = store.users()
        except FileProblems as exc:
            assert exc.problems and all(p.file == str(path) for p in exc.problems)
        else:
            assert all(u.role in Role for u in users)
        assert store.authenticate("alice", "whatever-password") is None
