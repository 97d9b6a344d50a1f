"""Depots: the only writer of depot rows."""

from __future__ import annotations

from datetime import datetime

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.services.changes import announce
from depotdispatch.services.unit_of_work import UnitOfWork


def add_depot(uow: UnitOfWork, depot: Depot, now: datetime) -> Depot:
    with uow:
        if uow.depots.get(depot.depot_id) is not None:
            raise Conflict(f"depot {depot.depot_id!r} already exists")
        uow.depots.add(depot, now)
        uow.commit()
    return depot


def update_settings(uow: UnitOfWork, depot_id: str, **changes: object) -> Depot:
    """Change a depot's settings (reserve, marginal band, staleness, turnaround, default temperature);
    the Depot validates them."""
    from dataclasses import replace

    allowed = {"reserve_pct", "lookback_min", "lookahead_min", *Depot.SETTINGS}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"unknown depot setting {unknown[0]!r}")
    with uow:
        depot = replace(require_depot(uow, depot_id), **{k: v for k, v in changes.items() if v is not None})
        uow.depots.update(depot)
        announce(uow, depot_id, None, "depot", settings=sorted(changes))
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
