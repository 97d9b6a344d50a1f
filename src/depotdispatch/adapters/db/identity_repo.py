"""Users, API tokens, web sessions and failed sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import ApiTokenRow, SignInFailureRow, UserRow, WebSessionRow
from depotdispatch.domain.identity import ApiToken, User, as_role


def _user(r: UserRow) -> User:
    depots = None if r.depots is None else frozenset(r.depots)
    return User(r.user_id, r.name, as_role(r.role), depots, r.disabled_at, r.created_at)


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # users
    def user(self, name: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.name == name))
        return None if row is None else _user(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def password_hash(self, user_id: int) -> str | None:
        return self.session.scalar(select(UserRow.password_hash).where(UserRow.user_id == user_id))

    def users(self) -> list[User]:
        return [_user(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.name))]

    def add_user(self, name: str, role: str, depots: frozenset[str] | None, password_hash: str | None,
                 now: datetime) -> int:
        row = UserRow(name=name, role=role, depots=None if depots is None else sorted(depots),
                      password_hash=password_hash, created_at=now, password_changed_at=now if password_hash else None)
        self.session.add(row)
        self.session.flush()
        return row.user_id

    def set_password(self, user_id: int, password_hash: str, now: datetime) -> None:
        self.session.execute(update(UserRow).where(UserRow.user_id == user_id).values(
            password_hash=password_hash, password_changed_at=now))

    def disable(self, user_id: int, now: datetime) -> None:
        self.session.execute(update(UserRow).where(UserRow.user_id == user_id).values(disabled_at=now))

    def admins(self) -> int:
        return self.session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.role == "admin", UserRow.disabled_at.is_(None))) or 0

    # tokens
    def add_token(self, user_id: int, label: str, token_hash: str, now: datetime, expires_at: datetime | None) -> int:
        row = ApiTokenRow(user_id=user_id, label=label, token_hash=token_hash, created_at=now, expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return row.token_id

    def token_by_hash(self, token_hash: str) -> tuple[ApiToken, int] | None:
        q = (select(ApiTokenRow, UserRow.name).join(UserRow, UserRow.user_id == ApiTokenRow.user_id)
             .where(ApiTokenRow.token_hash == token_hash))
        found = self.session.execute(q).first()
        return None if found is None else (_token(found[0], found[1]), found[0].user_id)

    def tokens(self, user_id: int | None = None) -> list[ApiToken]:
        q = select(ApiTokenRow, UserRow.name).join(UserRow, UserRow.user_id == ApiTokenRow.user_id)
        if user_id is not None:
            q = q.where(ApiTokenRow.user_id == user_id)
        return [_token(t, n) for t, n in self.session.execute(q.order_by(ApiTokenRow.token_id))]

    def label_taken(self, user_id: int, label: str) -> bool:
        return self.session.execute(select(func.count()).select_from(ApiTokenRow).where(
            ApiTokenRow.user_id == user_id, ApiTokenRow.label == label,
            ApiTokenRow.revoked_at.is_(None))).scalar_one() > 0

    def revoke_tokens(self, user_id: int, now: datetime, label: str | None = None) -> int:
        q = update(ApiTokenRow).where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked_at.is_(None))
        if label is not None:
            q = q.where(ApiTokenRow.label == label)
        result = self.session.execute(q.values(revoked_at=now))
        assert isinstance(result, CursorResult)  # an UPDATE's result: it carries the row count
        return result.rowcount

    def token_used(self, token_id: int, now: datetime) -> None:
        self.session.execute(update(ApiTokenRow).where(ApiTokenRow.token_id == token_id).values(last_used_at=now))

    # web sessions
    def add_session(self, session_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime,
                    address: str | None) -> None:
        self.session.add(WebSessionRow(session_hash=session_hash, user_id=user_id, csrf_token=csrf_token,
                                       created_at=now, expires_at=expires_at, address=address))

    def session_of(self, session_hash: str) -> tuple[int, str, datetime] | None:
        row = self.session.get(WebSessionRow, session_hash)
        return None if row is None else (row.user_id, row.csrf_token, row.expires_at)

    def end_session(self, session_hash: str) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.session_hash == session_hash))

    def end_sessions_of(self, user_id: int) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))

    def drop_expired_sessions(self, now: datetime) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))

    # failed sign-ins
    def add_failure(self, name: str, address: str, now: datetime) -> None:
        self.session.add(SignInFailureRow(name=name[:64], address=address[:64], at=now))

    def failures(self, *, since: datetime, name: str | None = None, address: str | None = None) -> list[datetime]:
        """Failure times since `since` for the name or the address, oldest first."""
        q = select(SignInFailureRow.at).where(SignInFailureRow.at > since)
        if name is not None:
            q = q.where(SignInFailureRow.name == name[:64])
        if address is not None:
            q = q.where(SignInFailureRow.address == address[:64])
        return list(self.session.scalars(q.order_by(SignInFailureRow.at)))

    def forget_failures(self, *, name: str | None = None, before: datetime | None = None) -> None:
        q = delete(SignInFailureRow)
        if name is not None:
            q = q.where(SignInFailureRow.name == name[:64])
        if before is not None:
            q = q.where(SignInFailureRow.at <= before)
        self.session.execute(q)


def _token(r: ApiTokenRow, user_name: str) -> ApiToken:
    return ApiToken(r.token_id, user_name, r.label, r.created_at, r.expires_at, r.revoked_at, r.last_used_at)
