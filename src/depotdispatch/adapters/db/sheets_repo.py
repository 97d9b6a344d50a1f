"""Stored sheet previews: the derived actions of a previewed sheet, so that apply can refer to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import SheetPreviewRow


class SheetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_preview(self, preview_id: str, day_id: int, plan_version: int, now: datetime, fmt: str,
                    items: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.session.execute(insert(SheetPreviewRow).values(
            preview_id=preview_id, dispatch_day_id=day_id, plan_version=plan_version, created_at=now, format=fmt,
            items=items, summary=summary))

    def preview(self, preview_id: str) -> dict[str, Any] | None:
        r = self.session.get(SheetPreviewRow, preview_id)
        if r is None:
            return None
        return {"preview_id": r.preview_id, "dispatch_day_id": r.dispatch_day_id, "plan_version": r.plan_version,
                "created_at": r.created_at, "format": r.format, "items": list(r.items), "summary": dict(r.summary),
                "applied_at": r.applied_at, "applied_version": r.applied_version}

    def lock_preview(self, preview_id: str) -> None:
        """Take the row lock first, so two applies of one preview queue up (PostgreSQL; SQLite has one writer)."""
        self.session.execute(select(SheetPreviewRow.preview_id).where(SheetPreviewRow.preview_id == preview_id)
                             .with_for_update())

    def mark_applied(self, preview_id: str, now: datetime, version: int) -> None:
        self.session.execute(update(SheetPreviewRow).where(SheetPreviewRow.preview_id == preview_id)
                             .values(applied_at=now, applied_version=version))
