"""Identity: users, API tokens, web sessions and sign-in. The only writer of those rows.

Passwords are kept as argon2 hashes, tokens and session ids as SHA-256 (they are long random
strings, so a fast hash is enough); neither a password, a hash nor a token ever leaves this module
except the token, once, when it is issued.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.domain.identity import (
    MAX_PASSWORD,
    ApiToken,
    Principal,
    SignInLimits,
    SignInRefused,
    User,
    WebSession,
    check_name,
    check_password,
    check_role,
)
from depotdispatch.services.unit_of_work import UnitOfWork

TOKEN_PREFIX = "ddt_"
# argon2's profiles by name; the strong one is the default. CHEAPEST exists for test runs only (a hash
# made with it is cheap to crack); a strong server re-hashes such a password at its next sign-in.
ARGON2_PROFILES = {"RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY, "CHEAPEST": profiles.CHEAPEST}
_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
DEFAULT_LIMITS = SignInLimits()
_TOUCH = timedelta(minutes=1)  # write a token's last use at most this often


def use_argon2_profile(name: str) -> None:
    """Hash new passwords with argon2's profile `name` in this process (the setting `argon2_profile`)."""
    global _hasher
    if name not in ARGON2_PROFILES:
        raise InvalidInput(f"unknown argon2 profile {name[:64]!r}; use one of {', '.join(ARGON2_PROFILES)}")
    wanted = PasswordHasher.from_parameters(ARGON2_PROFILES[name])
    if (wanted.time_cost, wanted.memory_cost, wanted.parallelism) != (
            _hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        _hasher = wanted
        _dummy_hash.cache_clear()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so both cases take the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _verify(stored: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _require_user(uow: UnitOfWork, name: str) -> User:
    user = uow.identity.user(name.strip().lower())
    if user is None:
        raise NotFound(f"no user {name[:64]!r}; add one with `depotdispatch user add`")
    return user


def _stored(uow: UnitOfWork, user_id: int) -> User:
    """The user just written in this unit of work, read back as stored."""
    user = uow.identity.user_by_id(user_id)
    if user is None:
        raise RuntimeError(f"user {user_id} was written but cannot be read back")
    return user


# users ---------------------------------------------------------------------------------------------

def add_user(uow: UnitOfWork, name: str, role: str, depots: list[str] | None, password: str,
             now: datetime) -> User:
    name = check_name(name)
    wanted = frozenset(d.strip() for d in depots or () if d.strip()) or None
    checked = check_role(role, wanted)
    check_password(password)
    with uow:
        if uow.identity.user(name) is not None:
            raise Conflict(f"user {name!r} already exists; change the password with `user passwd`")
        for d in sorted(wanted or ()):
            if uow.depots.get(d) is None:
                raise NotFound(f"no depot {d!r}; add it first with `depotdispatch depot add`")
        user_id = uow.identity.add_user(name, checked, wanted, _hasher.hash(password), now)
        uow.commit()
        return _stored(uow, user_id)


def set_password(uow: UnitOfWork, name: str, password: str, now: datetime) -> None:
    """A new password signs the user out everywhere."""
    check_password(password)
    with uow:
        user = _require_user(uow, name)
        uow.identity.set_password(user.user_id, _hasher.hash(password), now)
        uow.identity.end_sessions_of(user.user_id)
        uow.commit()


def disable_user(uow: UnitOfWork, name: str, now: datetime) -> User:
    """A disabled user can neither sign in nor use a token; their sessions end at once."""
    with uow:
        user = _require_user(uow, name)
        if user.disabled_at is None:
            uow.identity.disable(user.user_id, now)
            uow.identity.end_sessions_of(user.user_id)
            uow.commit()
        return _stored(uow, user.user_id)


def list_users(uow: UnitOfWork) -> list[User]:
    with uow:
        return uow.identity.users()


# tokens --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once: only its hash is stored
    token_id: int
    label: str
    user: User


def issue_token(uow: UnitOfWork, name: str, now: datetime, *, label: str | None = None,
                expires_at: datetime | None = None) -> IssuedToken:
    if label is not None and not 1 <= len(label.strip()) <= 24:  # the actor "name (token label)" fits 100
        raise InvalidInput("a token label has 1 to 24 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        user = _require_user(uow, name)
        if not user.active:
            raise Conflict(f"user {user.name!r} is disabled")
        label = label.strip() if label else f"{user.name}-{secrets.token_hex(3)}"
        if uow.identity.label_taken(user.user_id, label):
            raise Conflict(f"{user.name!r} already has a token {label!r}; revoke it first or pick another --label")
        token_id = uow.identity.add_token(user.user_id, label, _sha(token), now, expires_at)
        uow.commit()
    return IssuedToken(token, token_id, label, user)


def revoke_tokens(uow: UnitOfWork, name: str, now: datetime, *, label: str | None = None) -> int:
    """Revoke the user's tokens (or the one with `label`); refused from the next request on."""
    with uow:
        user = _require_user(uow, name)
        n = uow.identity.revoke_tokens(user.user_id, now, label)
        if label is not None and n == 0:
            raise NotFound(f"{user.name!r} has no live token {label!r}")
        uow.commit()
        return n


def list_tokens(uow: UnitOfWork, name: str | None = None) -> list[ApiToken]:
    with uow:
        return uow.identity.tokens(None if name is None else _require_user(uow, name).user_id)


def principal_for_token(uow: UnitOfWork, token: str, now: datetime, *,
                        writer: Callable[[], UnitOfWork] | None = None) -> Principal | None:
    """Looks the token up in `uow` (which may be a reader). With `writer` (a request that changes something
    anyway) the token's last use is written, at most once a minute; without it nothing is written, so a
    read never waits for the write lock."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with uow:
        found = uow.identity.token_by_hash(_sha(token))
        if found is None:
            return None
        tok, user_id = found
        user = uow.identity.user_by_id(user_id)
        if not tok.usable(now) or user is None or not user.active:
            return None
    if writer is not None and (tok.last_used_at is None or now - tok.last_used_at > _TOUCH):
        w = writer()
        with w:
            w.identity.token_used(tok.token_id, now)
            w.commit()
    return user.principal("token", tok.label)


# web sessions --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    csrf_token: str
    expires_at: datetime


def _refusal(times: list[datetime], limit: int, window: timedelta, now: datetime, what: str) -> SignInRefused | None:
    if len(times) < limit:
        return None
    retry = times[-limit] + window
    minutes = max(1, math.ceil((retry - now).total_seconds() / 60))
    return SignInRefused(f"too many failed sign-ins {what}: try again in {minutes} minute"
                         f"{'s' if minutes != 1 else ''} (after {retry:%H:%M} UTC)", retry_after=retry)


def sign_in(uow: UnitOfWork, name: str, password: str, address: str, now: datetime, *,
            limits: SignInLimits = DEFAULT_LIMITS) -> WebSession:
    """A new session for the right name and password, unless the account or the address has failed
    too often within the window; every failure counts against both."""
    key = name.strip().lower()[:64]
    window = timedelta(seconds=limits.window_s)
    since = now - window
    with uow:
        uow.identity.forget_failures(before=since)

        def locked() -> SignInRefused | None:
            return (_refusal(uow.identity.failures(since=since, name=key), limits.per_account, window, now,
                             "for this account")
                    or _refusal(uow.identity.failures(since=since, address=address), limits.per_address, window,
                                now, "from this address"))

        refused = locked()
        if refused is not None:
            uow.commit()
            raise refused
        user = uow.identity.user(key)
        stored = uow.identity.password_hash(user.user_id) if user is not None and user.active else None
        if not _verify(stored, password):
            uow.identity.add_failure(key, address, now)
            uow.commit()
            raise locked() or SignInRefused("wrong name or password")
        assert user is not None and stored is not None
        if _hasher.check_needs_rehash(stored):
            uow.identity.set_password(user.user_id, _hasher.hash(password), now)
        uow.identity.forget_failures(name=key)
        uow.identity.drop_expired_sessions(now)
        session = WebSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                             now + timedelta(seconds=limits.session_s))
        uow.identity.add_session(_sha(session.session_id), user.user_id, session.csrf_token, now,
                                 session.expires_at, address[:64])
        uow.commit()
        return session


def signed_in(uow: UnitOfWork, session_id: str, now: datetime) -> SignedIn | None:
    if not session_id or len(session_id) > 200:
        return None
    with uow:
        found = uow.identity.session_of(_sha(session_id))
        if found is None:
            return None
        user_id, csrf, expires_at = found
        user = uow.identity.user_by_id(user_id)
        if now >= expires_at or user is None or not user.active:
            return None
        return SignedIn(user.principal("session"), csrf, expires_at)


def principal_for_session(uow: UnitOfWork, session_id: str, now: datetime) -> Principal | None:
    found = signed_in(uow, session_id, now)
    return None if found is None else found.principal


def sign_out(uow: UnitOfWork, session_id: str, now: datetime) -> None:
    with uow:
        uow.identity.end_session(_sha(session_id))
        uow.identity.drop_expired_sessions(now)
        uow.commit()


def cli_principal(name: str) -> Principal:
    """The CLI run on the server acts as a named local admin."""
    return Principal(name.strip()[:64] or "unknown", "admin", None, "cli")


def seal(secret: bytes, session_id: str) -> str:
    """The cookie value: the session id and its HMAC, so forged cookies never reach the database."""
    return f"{session_id}.{hmac.new(secret, session_id.encode(), 'sha256').hexdigest()}"


def unseal(secret: bytes, value: str | None) -> str | None:
    if not value or len(value) > 300 or "." not in value:
        return None
    session_id, _, mac = value.rpartition(".")
    good = hmac.new(secret, session_id.encode(), "sha256").hexdigest()
    return session_id if hmac.compare_digest(mac, good) else None
