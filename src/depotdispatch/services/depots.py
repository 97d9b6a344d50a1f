"""Depots: the only writer of depot rows."""

from __future__ import annotations

from datetime import datetime

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict, NotFound
from depotdispatch.services.unit_of_work import UnitOfWork


def add_depot(uow: UnitOfWork, depot: Depot, now: datetime) -> Depot:
    with uow:
        if uow.depots.get(depot.depot_id) is not None:
            raise Conflict(f"depot {depot.depot_id!r} already exists")
        uow.depots.add(depot, now)
        uow.commit()
    return depot


def get_depot(uow: UnitOfWork, depot_id: str) -> Depot:
    with uow:
        return require_depot(uow, depot_id)


def require_depot(uow: UnitOfWork, depot_id: str) -> Depot:
    depot = uow.depots.get(depot_id)
    if depot is None:
        raise NotFound(f"no depot {depot_id!r}; add it first with `depotdispatch depot add`")
    return depot


def list_depots(uow: UnitOfWork) -> list[Depot]:
    with uow:
        return list(uow.depots.list())
