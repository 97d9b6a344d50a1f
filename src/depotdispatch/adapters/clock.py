"""The clock is an adapter: fixed by --now / DEPOTDISPATCH_NOW for tests, demos and replays."""

from __future__ import annotations

from datetime import UTC, datetime

from depotdispatch.domain.servicetime import parse_instant


class Clock:
    def __init__(self, fixed: datetime | None = None) -> None:
        self.fixed = fixed

    @classmethod
    def from_text(cls, text: str | None) -> Clock:
        return cls(parse_instant(text) if text else None)

    def now(self) -> datetime:
        return self.fixed or datetime.now(UTC)
