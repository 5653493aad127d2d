"""The users file: who may log into the web UI, with which role, and a salted password hash.

A YAML file (``FRONTLINE_USERS``, default ``data/users.yaml``)::

    schema_version: 1
    users:
      - name: alice
        role: trainee
        password: scrypt$16384$8$1$<salt, base64>$<hash, base64>

Passwords are hashed with ``hashlib.scrypt`` from the standard library (memory-hard, no extra
dependency). Without a users file the web UI runs in local single-user mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import config
from .errors import FileProblems, FrontlineError, NotFound
from .yamlfile import dump_yaml, load_model

USERS_SCHEMA_VERSION = 1

# scrypt cost: ~16 MiB and tens of milliseconds per check; paid once per login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
MIN_PASSWORD = 8

UserName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$",
        description="Login name: lower-case letters, digits, . _ -",
    ),
]


class Role(StrEnum):
    """What a user may do: trainees practise; trainers also design personas; admins both."""

    TRAINEE = "trainee"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def can_design(self) -> bool:
        """Whether the persona designer (trainer pages) is open to this role."""
        return self in (Role.TRAINER, Role.ADMIN)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: UserName
    role: Role
    password: str = Field(
        pattern=r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$",
        description="scrypt$N$r$p$salt$hash, as written by `frontline users "
        "add`; never a plain password.",
    )


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = Field(description="Version of this file format.")
    users: list[User] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> UsersFile:
        names = [u.name for u in self.users]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate user name: {', '.join(dup)}")
        return self


def users_path() -> Path:
    """Where the users file is (``FRONTLINE_USERS``, default ``data/users.yaml``)."""
    value = os.environ.get("FRONTLINE_USERS")
    return Path(value).expanduser() if value else config.data_dir() / "users.yaml"


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash in the ``scrypt$N$r$p$salt$hash`` form stored in the file."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash; malformed hashes never match."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        n_, r_, p_ = int(n), int(r), int(p)
        if not (2 <= n_ <= 2**20 and 1 <= r_ <= 32 and 1 <= p_ <= 16):
            return False  # refuse costs that could be used to exhaust memory
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=n_,
            r=r_,
            p=p_,
            maxmem=256 * n_ * r_ + 2**20,
            dklen=len(expected) or 64,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class UserStore:
    """The users file, re-read when it changes on disk (so `users add` needs no restart)."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}

    def exists(self) -> bool:
        return self.path.is_file()

    def _load(self) -> dict[str, User]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._users = None, {}
            return self._users
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            data = load_model(UsersFile, self.path)
            self._users = {u.name: u for u in data.users}
            self._stamp = stamp
        return self._users

    def users(self) -> list[User]:
        """Every user, by name."""
        return [u for _, u in sorted(self._load().items())]

    def get(self, name: str) -> User:
        try:
            return self._load()[name]
        except KeyError:
            raise NotFound(f"no user {name!r} in {self.path}") from None

    def role_of(self, name: str) -> Role | None:
        """The user's role, or None when there is no such user."""
        user = self._load().get(name)
        return user.role if user else None

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password matches; None otherwise (also for unknown names)."""
        try:
            user = self._load().get(name)
        except FileProblems:
            return None
        if user is None:
            # Spend the same time as a real check so timing does not reveal which names exist.
            verify_password(password, _DUMMY_HASH)
            return None
        return user if verify_password(password, user.password) else None

    def add(self, name: str, role: Role, password: str, *, replace: bool = False) -> User:
        """Add (or, with ``replace``, update) a user and write the file atomically."""
        if len(password) < MIN_PASSWORD:
            raise FrontlineError(f"password too short: at least {MIN_PASSWORD} characters")
        users = dict(self._load())
        if name in users and not replace:
            raise FrontlineError(
                f"user {name!r} already exists in {self.path} "
                "(use --replace to change their role or password)"
            )
        try:
            user = User(name=name, role=role, password=hash_password(password))
        except ValidationError as exc:
            raise FrontlineError(
                f"invalid user name {name!r}: use lower-case letters, digits, "
                f". _ - (up to 40): {exc.errors()[0]['msg']}"
            ) from None
        users[name] = user
        self._write(UsersFile(schema_version=1, users=sorted(users.values(), key=lambda u: u.name)))
        return user

    def _write(self, data: UsersFile) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "# Frontline users: manage with `frontline users add NAME --role ROLE`.\n"
            + dump_yaml(data.model_dump(mode="json"))
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-", suffix=".yaml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # hashes are not secrets, but there is no reason to share them
        os.replace(tmp, self.path)
        self._stamp = None


_DUMMY_HASH = hash_password("not a real password", n=SCRYPT_N)
