"""``frontline users``: manage the web UI's users file (names, roles, password hashes)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..errors import FrontlineError
from ..servers import running_with
from ..users import Role, UserStore, users_path

FILE_HELP = "users file (default: $FRONTLINE_USERS, else data/users.yaml)"


def _store(args: argparse.Namespace) -> UserStore:
    return UserStore(Path(args.file) if args.file else users_path())


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        # One line; the trailing newline is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise FrontlineError("no terminal to prompt for a password: use --password-stdin")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Repeat it: ") != first:
        raise FrontlineError("the passwords differ; nothing was changed")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    store = _store(args)
    first = not store.exists()
    user = store.add(args.name, Role(args.role), _read_password(args), replace=args.replace)
    print(
        f"{'updated' if args.replace else 'added'} {user.name} ({user.role.value}) in {store.path}"
    )
    _say_which_servers_use(store.path, first)
    return 0


def _say_which_servers_use(path: Path, first: bool) -> None:
    """Tell whether a running `frontline serve` will use this users file (it re-reads it on
    every request, so no restart is needed)."""
    servers = running_with(path)
    if not servers:
        print("no running `frontline serve` uses this file; a server started with it will")
        return
    where = ", ".join(f"{s.url} (pid {s.pid})" for s in servers)
    if first:
        print(
            f"the running server {where} now asks for a login: it was in local "
            "single-user mode and switched to this users file without a restart"
        )
    else:
        print(f"the running server {where} uses this change from the next login")


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    if not store.exists():
        print(f"no users file at {store.path}: the web UI runs in local single-user mode")
        return 0
    for user in store.users():
        print(f"{user.name}\t{user.role.value}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users", help="manage web UI users and roles", description=__doc__
    )
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user (prompts for the password)")
    add.add_argument("name", help="login name: lower-case letters, digits, . _ -")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.TRAINEE.value)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    add.add_argument(
        "--replace", action="store_true", help="update an existing user's role and password"
    )
    add.add_argument("--file", help=FILE_HELP)
    add.set_defaults(func=cmd_add)
    lst = sub.add_parser("list", help="list users and their roles")
    lst.add_argument("--file", help=FILE_HELP)
    lst.set_defaults(func=cmd_list)
