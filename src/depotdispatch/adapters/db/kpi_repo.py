"""The read side the KPIs need, in bulk: a year of blocks, events and readings as plain columns
(no ORM objects, no trip lists), so a depot's year loads in seconds."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import (
    BlockRow,
    DispatchDayRow,
    EventRow,
    SocReadingRow,
    VehicleRow,
)
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.events import Event
from depotdispatch.domain.readings import SocReading


class KpiRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def blocks(self, depot_id: str, first: date, last: date) -> list[DayBlock]:
        q = (select(DispatchDayRow.service_date, BlockRow.block_pk, BlockRow.block_id, BlockRow.origin,
                    BlockRow.start_at, BlockRow.end_at, BlockRow.distance_km, BlockRow.distance_source,
                    BlockRow.vehicle_class, BlockRow.adhoc_reason, BlockRow.replaces_block, BlockRow.note,
                    BlockRow.cancelled_at, BlockRow.actual_start, BlockRow.actual_end)
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
                    DispatchDayRow.service_date <= last))
        return [DayBlock(block_id=r[2], service_date=r[0], start_at=r[4], end_at=r[5], distance_km=r[6],
                         distance_source=r[7], vehicle_class=r[8], origin=r[3], adhoc_reason=r[9],
                         replaces_block=r[10], note=r[11], cancelled_at=r[12], actual_start=r[13],
                         actual_end=r[14], pk=r[1])
                for r in self.session.connection().execute(q)]

    def events(self, depot_id: str, first: date, last: date) -> list[Event]:
        """The days' events, and the events about vehicles that belong to no day (availability).

        Only the fields the KPIs read are taken out of before/after, by the database (json_extract /
        ->>): decoding every document in Python was half the time of a year's query."""
        after, before = EventRow.after, EventRow.before
        q = (select(EventRow.event_id, EventRow.kind, EventRow.at, EventRow.service_date, EventRow.block_id,
                    EventRow.vehicle_id, before["vehicle_id"].as_string(), before["availability"].as_string(),
                    after["vehicle_id"].as_string(), after["source"].as_string(),
                    after["override_reason"].as_string(), after["viability"].as_string(),
                    after["availability"].as_string(), after["acknowledged"].as_string())
             .where(EventRow.depot_id == depot_id,
                    or_(and_(EventRow.service_date >= first, EventRow.service_date <= last),
                        and_(EventRow.service_date.is_(None), EventRow.vehicle_id.is_not(None)))))
        out = []
        for r in self.session.connection().execute(q):
            b = {k: v for k, v in (("vehicle_id", r[6]), ("availability", r[7])) if v is not None}
            a = {k: v for k, v in (("vehicle_id", r[8]), ("source", r[9]), ("override_reason", r[10]),
                                   ("viability", r[11]), ("availability", r[12])) if v is not None}
            if r[10] is not None and r[13]:
                a["acknowledged"] = json.loads(r[13])  # only overrides carry acknowledged codes
            out.append(Event(depot_id, r[1], "", r[2], r[3], r[4], r[5], None, b or None, a or None,
                             event_id=r[0]))
        return out

    def readings(self, depot_id: str, start: datetime, end: datetime) -> list[SocReading]:
        q = (select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, SocReadingRow.measured_at, SocReadingRow.source,
                    SocReadingRow.odometer_km, SocReadingRow.plugged_in, SocReadingRow.charger_id)
             .join(VehicleRow, VehicleRow.vehicle_id == SocReadingRow.vehicle_id)
             .where(VehicleRow.depot_id == depot_id, SocReadingRow.measured_at >= start,
                    SocReadingRow.measured_at <= end, SocReadingRow.source != "estimate"))
        return [SocReading(*r) for r in self.session.connection().execute(q)]
