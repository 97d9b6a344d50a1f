"""Depots: the only writer of depot rows."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.words import EventKind
from depotdispatch.services.changes import announce
from depotdispatch.services.unit_of_work import UnitOfWork


def add_depot(uow: UnitOfWork, depot: Depot, now: datetime) -> Depot:
    with uow:
        if uow.depots.get(depot.depot_id) is not None:
            raise Conflict(f"depot {depot.depot_id!r} already exists")
        uow.depots.add(depot, now)
        uow.commit()
    return depot


class DepotSettings(TypedDict, total=False):
    """What update_settings may change (Depot.SETTINGS, the reserve and the horizon), typed as the Depot fields."""

    reserve_pct: float
    lookback_min: int
    lookahead_min: int
    marginal_band_pct: float
    stale_after_h: float
    turnaround_min: int
    temperature_c: float
    site_cap_kw: float | None
    pull_in_allowance_min: int
    pull_out_allowance_min: int
    min_dwell_min: int
    latitude: float | None
    longitude: float | None
    relief_km: float


def update_settings(uow: UnitOfWork, depot_id: str, now: datetime, actor: str,
                    **changes: Unpack[DepotSettings]) -> Depot:
    """Change a depot's settings (reserve, marginal band, staleness, turnaround, default temperature, location,
    relief distance): only the ones named; the Depot validates them, and the audit log keeps before and after."""
    from dataclasses import replace

    allowed = {"reserve_pct", "lookback_min", "lookahead_min", *Depot.SETTINGS}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"unknown depot setting {unknown[0]!r}")
    with uow:
        before = require_depot(uow, depot_id)
        depot = replace(before, **changes)
        uow.depots.update(depot)
        announce(uow, depot_id, None, "depot", settings=sorted(changes))
        uow.plans.add_event(Event(depot_id, EventKind.DEPOT_SETTINGS_CHANGED, actor, now,
                                  before={k: getattr(before, k) for k in changes},
                                  after={k: getattr(depot, k) for k in changes}))
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
