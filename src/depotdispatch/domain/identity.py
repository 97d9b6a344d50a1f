"""Who acts: a principal (user by session or token, or the local admin on the CLI) and what it may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeGuard, get_args

from depotdispatch.domain.errors import DomainError, InvalidInput

Role = Literal["viewer", "dispatcher", "admin"]
Via = Literal["session", "token", "cli"]
ROLES: tuple[str, ...] = get_args(Role)
RANK = {"viewer": 0, "dispatcher": 1, "admin": 2}
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps a megabyte "password" from costing CPU


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    depots: frozenset[str] | None  # None: every depot (admins always)
    via: Via
    token_label: str | None = None

    @property
    def actor(self) -> str:
        """The string stored on events: who did it, and through what."""
        if self.via == "cli":
            return f"cli:{self.name}"
        if self.via == "token":
            return f"{self.name} (token {self.token_label})"
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, depot_id: str) -> bool:
        return self.depots is None or depot_id in self.depots

    def can_dispatch(self, depot_id: str) -> bool:
        return RANK[self.role] >= RANK["dispatcher"] and self.can_see(depot_id)

    def has_role(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: Role
    depots: frozenset[str] | None
    disabled_at: datetime | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def principal(self, via: Via, token_label: str | None = None) -> Principal:
        return Principal(self.name, self.role, None if self.role == "admin" else self.depots, via, token_label)


@dataclass(frozen=True)
class ApiToken:
    token_id: int
    user_name: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class WebSession:
    session_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed per account and per address within the window, and a session's life."""

    per_account: int = 5
    per_address: int = 20
    window_s: int = 15 * 60
    session_s: int = 12 * 3600


class SignInRefused(DomainError):
    """Wrong name or password, or too many failures (then `retry_after` says when to try again)."""

    slug = "sign-in-refused"
    title = "Sign-in refused"

    def __init__(self, detail: str, retry_after: datetime | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class NotAuthenticated(DomainError):
    slug = "not-authenticated"
    title = "Sign in first"


class NotAllowed(DomainError):
    slug = "not-allowed"
    title = "Not allowed"


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise InvalidInput(f"user name {name[:70]!r}: use 1 to 64 of a-z, 0-9 and . _ - @")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password is too long: use at most {MAX_PASSWORD} characters")
    return password


def _is_role(role: str) -> TypeGuard[Role]:
    return role in ROLES


def as_role(role: str) -> Role:
    if not _is_role(role):
        raise InvalidInput(f"role {role[:40]!r}: use one of {', '.join(ROLES)}")
    return role


def check_role(role: str, depots: frozenset[str] | None) -> Role:
    role = as_role(role)
    if role == "admin" and depots:
        raise InvalidInput("an admin has every depot: leave out --depot")
    if role == "dispatcher" and not depots:
        raise InvalidInput("a dispatcher works for named depots: give at least one --depot")
    return role
