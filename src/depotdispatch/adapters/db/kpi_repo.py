"""The read side the KPIs need, in bulk: a year of blocks, events and readings as plain columns
(no ORM objects, no trip lists), so a depot's year loads in seconds.

Columns are read as the driver gives them (no SQLAlchemy result processing, which was most of the
load time): instants come back as text from SQLite and as aware datetimes from psycopg, and `_Raw`
turns both into aware UTC datetimes exactly as UTCDateTime does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

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

_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu", "Etc/UCT", "UCT"})


def raw(column: Any) -> ColumnElement[Any]:
    """The column without result processing: the driver's value as it is."""
    return type_coerce(column, NullType())


class _Raw:
    """Driver values to domain values, per dialect."""

    def __init__(self, dialect: str) -> None:
        self.text = dialect == "sqlite"

    def instant_fn(self) -> Callable[[Any], datetime | None]:
        if self.text:
            parse = datetime.fromisoformat

            def from_text(v: str | None) -> datetime | None:
                return None if v is None else parse(v + "+00:00")  # stored naive UTC; quicker than replace()
            return from_text

        def aware(v: datetime | None) -> datetime | None:
            if v is None:
                return None
            tz = v.tzinfo
            if tz is UTC or getattr(tz, "key", None) in _UTC_ZONES:  # the server's zone is UTC already
                return v
            return v.replace(tzinfo=UTC) if tz is None else v.astimezone(UTC)
        return aware

    def date_fn(self) -> Callable[[Any], date | None]:
        if self.text:
            parse = date.fromisoformat
            return lambda v: None if v is None else parse(v)
        return lambda v: v

    def bool_fn(self) -> Callable[[Any], bool | None]:
        return (lambda v: None if v is None else bool(v)) if self.text else (lambda v: v)


class KpiRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, q: Any) -> Any:
        # all at once: iterating a result fetches one row per driver call (half of psycopg's time)
        return self.session.connection().execute(q).all()

    def _raw(self) -> _Raw:
        return _Raw(self.session.connection().dialect.name)

    def blocks(self, depot_id: str, first: date, last: date) -> list[DayBlock]:
        q = (select(*(raw(c) for c in (
            DispatchDayRow.service_date, BlockRow.block_pk, BlockRow.block_id, BlockRow.origin, BlockRow.start_at,
            BlockRow.end_at, BlockRow.distance_km, BlockRow.distance_source, BlockRow.vehicle_class,
            BlockRow.adhoc_reason, BlockRow.replaces_block, BlockRow.note, BlockRow.cancelled_at,
            BlockRow.actual_start, BlockRow.actual_end)))
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
                    DispatchDayRow.service_date <= last))
        conv = self._raw()
        at, day = conv.instant_fn(), conv.date_fn()
        return [DayBlock(block_id=r[2], service_date=day(r[0]), start_at=at(r[4]), end_at=at(r[5]),  # type: ignore[arg-type]
                         distance_km=r[6], distance_source=r[7], vehicle_class=r[8], origin=r[3], adhoc_reason=r[9],
                         replaces_block=r[10], note=r[11], cancelled_at=at(r[12]), actual_start=at(r[13]),
                         actual_end=at(r[14]), pk=r[1])
                for r in self._rows(q)]

    def events(self, depot_id: str, first: date, last: date) -> list[Event]:
        """The days' events, and the events about vehicles that belong to no day (availability).

        Only the fields the KPIs read are taken out of before/after, by the database (json_extract /
        ->>): decoding every document in Python was half the time of a year's query."""
        after, before = EventRow.after, EventRow.before
        q = (select(EventRow.event_id, EventRow.kind, raw(EventRow.at), raw(EventRow.service_date),
                    EventRow.block_id, EventRow.vehicle_id, before["vehicle_id"].as_string(),
                    before["availability"].as_string(), after["vehicle_id"].as_string(), after["source"].as_string(),
                    after["override_reason"].as_string(), after["viability"].as_string(),
                    after["availability"].as_string(), after["acknowledged"].as_string())
             .where(EventRow.depot_id == depot_id,
                    or_(and_(EventRow.service_date >= first, EventRow.service_date <= last),
                        and_(EventRow.service_date.is_(None), EventRow.vehicle_id.is_not(None)))))
        conv = self._raw()
        at, day = conv.instant_fn(), conv.date_fn()
        out = []
        for r in self._rows(q):
            b = {k: v for k, v in (("vehicle_id", r[6]), ("availability", r[7])) if v is not None}
            a = {k: v for k, v in (("vehicle_id", r[8]), ("source", r[9]), ("override_reason", r[10]),
                                   ("viability", r[11]), ("availability", r[12])) if v is not None}
            if r[10] is not None and r[13]:
                a["acknowledged"] = json.loads(r[13])  # only overrides carry acknowledged codes
            out.append(Event(depot_id, r[1], "", at(r[2]), day(r[3]), r[4], r[5], None, b or None,  # type: ignore[arg-type]
                             a or None, event_id=r[0]))
        return out

    def readings(self, depot_id: str, start: datetime, end: datetime) -> list[SocReading]:
        q = (select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, raw(SocReadingRow.measured_at),
                    SocReadingRow.source, SocReadingRow.odometer_km, raw(SocReadingRow.plugged_in),
                    SocReadingRow.charger_id)
             .join(VehicleRow, VehicleRow.vehicle_id == SocReadingRow.vehicle_id)
             .where(VehicleRow.depot_id == depot_id, SocReadingRow.measured_at >= start,
                    SocReadingRow.measured_at <= end, SocReadingRow.source != "estimate"))
        conv = self._raw()
        at, flag = conv.instant_fn(), conv.bool_fn()
        return [SocReading(r[0], r[1], at(r[2]), r[3], r[4], flag(r[5]), r[6])  # type: ignore[arg-type]
                for r in self._rows(q)]
