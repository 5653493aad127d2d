"""``frontline users``: manage the web UI's users file (names, roles, password hashes)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..errors import FrontlineError
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
    user = store.add(args.name, Role(args.role), _read_password(args), replace=args.replace)
    print(f"{'updated' if args.replace else 'added'} {user.name} ({user.role.value}) "
          f"in {store.path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    if not store.exists():
        print(f"no users file at {store.path}: the web UI runs in local single-user mode")
        return 0
    for user in store.users():
        print(f"{user.name}\t{user.role.value}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="manage web UI users and roles",
                                   description=__doc__)
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user (prompts for the password)")
    add.add_argument("name", help="login name: lower-case letters, digits, . _ -")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.TRAINEE.value)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.add_argument("--replace", action="store_true",
                     help="update an existing user's role and password")
    add.add_argument("--file", help=FILE_HELP)
    add.set_defaults(func=cmd_add)
    lst = sub.add_parser("list", help="list users and their roles")
    lst.add_argument("--file", help=FILE_HELP)
    lst.set_defaults(func=cmd_list)
