"""The change feed (INTERFACES Seam 2): a writing service announces what it changed, inside its unit of
work, so that open pages refresh. Delivered only when the transaction commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from depotdispatch.services.unit_of_work import UnitOfWork

KINDS = ("assignment", "reading", "block", "schedule", "yard", "actual", "fleet", "depot")
EVERY_DEPOT = "*"


def announce(uow: UnitOfWork, depot_id: str | None, service_date: date | None, kind: str, **detail: Any) -> None:
    """Call before `uow.commit()`. `depot_id` None: every depot's pages (the writer did not know which)."""
    if kind not in KINDS:
        raise ValueError(f"change kind {kind!r} is not one of {', '.join(KINDS)}")
    uow.announce({"depot_id": depot_id or EVERY_DEPOT,
                  "service_date": service_date.isoformat() if service_date else None,
                  "kind": kind, **detail})
