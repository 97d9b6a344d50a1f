"""The day's pull-out sheet: every block not cancelled in pull-out order, its bus, and the bay (or lane and
position) where that bus stands when it is the bus's next pull-out: a bay is known only until it leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.yard import YardSpot
from depotdispatch.services.board import BoardRow, board
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SheetRow:
    row: BoardRow
    vehicle_id: str | None
    place: str | None  # "12" (the bay), "lane B, position 3": where the bus stands now, for its next pull-out only


@dataclass
class PulloutSheet:
    depot: Depot
    service_date: date
    rows: list[SheetRow]


def place_of(spot: YardSpot | None) -> str | None:
    if spot is None:
        return None
    if spot.bay:
        return spot.bay
    if spot.lane:
        return f"lane {spot.lane}" + (f", position {spot.lane_order}" if spot.lane_order is not None else "")
    return None


def pullout_sheet(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime) -> PulloutSheet:
    day = board(uow, depot_id, now, service_date=service_date, whole_day=True, candidates=False)
    with uow:
        spots = uow.yard.spots(depot_id)
    rows = sorted((r for r in day.rows if r.block.cancelled_at is None),
                  key=lambda r: (r.block.pull_out, r.block.block_id))
    next_out: dict[str, str] = {}  # vehicle -> block id of its first pull-out still to come
    for r in rows:
        if r.assignment is not None and r.state.status in ("upcoming", "later"):
            next_out.setdefault(r.assignment.vehicle_id, r.block.block_id)
    out = []
    for r in rows:
        vid = r.assignment.vehicle_id if r.assignment else None
        place = place_of(spots.get(vid)) if vid and next_out.get(vid) == r.block.block_id else None
        out.append(SheetRow(r, vid, place))
    return PulloutSheet(day.depot, service_date, out)
