"""Errors the domain and services raise; the edges turn them into problem details or messages."""

from __future__ import annotations

from typing import Self


class DomainError(Exception):
    """A problem a person can act on. `slug` is the stable problem type."""

    slug = "invalid-input"
    title = "Invalid input"

    def __init__(
        self,
        detail: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **extra: object,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.file = file
        self.row = row
        self.column = column
        if "current_version" in extra:  # the plan's version by the name every other document gives it
            extra.setdefault("plan_version", extra["current_version"])  # (current_version kept for old clients)
        self.extra = extra

    def reworded(self, detail: str, *, column: str | None = None) -> Self:
        """The same kind of error, with its file, row and extra, saying `detail` (an edge's own words)."""
        return type(self)(detail, file=self.file, row=self.row, column=column, **self.extra)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.detail}" if where else self.detail


class InvalidInput(DomainError):
    slug = "invalid-input"
    title = "Invalid input"


class NotFound(DomainError):
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    slug = "conflict"
    title = "Conflict"


class StaleVersion(Conflict):
    slug = "stale-plan-version"
    title = "The plan changed since you loaded it"


class PlanRuleBroken(Conflict):
    """A rule of the plan that no override relaxes (DESIGN §5), e.g. one vehicle on overlapping blocks."""

    slug = "plan-rule"
    title = "A rule of the plan refuses this change"


class UnacknowledgedWarnings(Conflict):
    slug = "unacknowledged-warnings"
    title = "The assignment has warnings to acknowledge"


class RowProblem:
    """One problem with one row of an uploaded file."""

    __slots__ = ("row", "column", "detail")

    def __init__(self, row: int | None, column: str | None, detail: str) -> None:
        self.row, self.column, self.detail = row, column, detail

    @classmethod
    def from_error(cls, err: DomainError, row: int | None = None) -> RowProblem:
        return cls(err.row if err.row is not None else row, err.column, err.detail)

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "detail": self.detail}

    def __repr__(self) -> str:
        return f"RowProblem({self.row}, {self.column!r}, {self.detail!r})"
