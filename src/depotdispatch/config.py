"""Settings from the environment (the CLI's --db and --now override them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///depotdispatch.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    now: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(database_url=os.environ.get("DEPOTDISPATCH_DATABASE_URL", DEFAULT_DATABASE_URL),
                   now=os.environ.get("DEPOTDISPATCH_NOW") or None)
