"""Settings from the environment, `DEPOTDISPATCH_*` (the CLI's --db and --now override them).

Lists are comma-separated (`DEPOTDISPATCH_ALLOWED_HOSTS=dispatch.example.org,10.0.0.5`). The session
secret comes from `DEPOTDISPATCH_SESSION_SECRET` or from the file named by
`DEPOTDISPATCH_SESSION_SECRET_FILE` (a mounted secret), never from the command line.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.identity import SignInLimits

DEFAULT_DATABASE_URL = "sqlite:///depotdispatch.db"
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "testserver"]
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOTDISPATCH_", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    now: str | None = None
    actor: str | None = Field(default=None, description="The CLI's local admin name (default: the OS user).")
    session_secret: SecretStr | None = None
    session_secret_file: Path | None = None
    allowed_hosts: CommaList = Field(default_factory=lambda: list(LOOPBACK_HOSTS))
    trusted_proxies: CommaList = Field(default_factory=lambda: ["127.0.0.1"])
    cors_origins: CommaList = Field(default_factory=list)
    cookie_secure: bool | None = Field(default=None, description="Force the Secure flag; default: when https.")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    signin_failures_per_account: int = Field(default=5, ge=1)
    signin_failures_per_address: int = Field(default=20, ge=1)
    signin_window_minutes: int = Field(default=15, ge=1)
    argon2_profile: Literal["RFC_9106_LOW_MEMORY", "CHEAPEST"] = Field(
        default="RFC_9106_LOW_MEMORY", description="How new passwords are hashed; CHEAPEST is for test runs only.")

    @field_validator("allowed_hosts", "trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        if isinstance(v, str):
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @classmethod
    def from_env(cls) -> Settings:
        return cls()

    def secret(self) -> bytes | None:
        """The session secret, from the environment or its file; None when neither is set."""
        if self.session_secret is not None and self.session_secret.get_secret_value():
            value = self.session_secret.get_secret_value()
        elif self.session_secret_file is not None:
            try:
                value = self.session_secret_file.read_text().strip()
            except OSError as exc:
                raise InvalidInput(f"cannot read the session secret file {self.session_secret_file}: "
                                   f"{exc.strerror or exc}") from exc
        else:
            return None
        if len(value) < 32:
            raise InvalidInput("the session secret is too short: use at least 32 characters "
                               "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return value.encode()

    def limits(self) -> SignInLimits:
        return SignInLimits(per_account=self.signin_failures_per_account,
                            per_address=self.signin_failures_per_address,
                            window_s=self.signin_window_minutes * 60, session_s=int(self.session_hours * 3600))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_serving(settings: Settings, host: str, workers: int, database_url: str) -> None:
    """Refuse set-ups that would be unsafe or wrong: DESIGN §8 and §10."""
    from sqlalchemy.engine import make_url

    if workers > 1 and make_url(database_url).get_backend_name() == "sqlite":
        raise InvalidInput("SQLite is one writer on one node: run one worker, or use PostgreSQL for several")
    if not is_loopback(host) and settings.secret() is None:
        raise InvalidInput(f"serving on {host} needs a session secret: set DEPOTDISPATCH_SESSION_SECRET or "
                           "DEPOTDISPATCH_SESSION_SECRET_FILE (at least 32 characters)")
    if not is_loopback(host) and settings.allowed_hosts == LOOPBACK_HOSTS:
        raise InvalidInput(f"serving on {host}: name the host names clients use in DEPOTDISPATCH_ALLOWED_HOSTS "
                           "(comma-separated, e.g. dispatch.example.org)")
    if workers > 1 and settings.secret() is None:
        raise InvalidInput("several workers share sessions only with one session secret: set "
                           "DEPOTDISPATCH_SESSION_SECRET or DEPOTDISPATCH_SESSION_SECRET_FILE")
