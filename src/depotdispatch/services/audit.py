"""The audit log, read side."""

from __future__ import annotations

from datetime import date

from depotdispatch.domain.events import Event
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


def events(uow: UnitOfWork, depot_id: str, *, service_date: date | None = None, block_id: str | None = None,
           vehicle_id: str | None = None, limit: int = 500, actor: str | None = None,
           kind: str | None = None) -> list[Event]:
    with uow:
        require_depot(uow, depot_id)
        return uow.plans.events(depot_id, service_date=service_date, block_id=block_id, vehicle_id=vehicle_id,
                                limit=limit, actor=actor, kind=kind)


def changes_since(uow: UnitOfWork, depot_id: str, service_date: date, version: int) -> list[Event]:
    """The day's plan events after `version`, oldest first: what a stale page did not see."""
    newer = [e for e in events(uow, depot_id, service_date=service_date, limit=200)
             if e.plan_version is not None and e.plan_version > version]
    return list(reversed(newer))
