"""The read side the KPIs need, in bulk: a year of blocks, events and readings as plain columns
(no ORM objects, no trip lists), so a depot's year loads in seconds.

Columns are read as the driver gives them (no SQLAlchemy result processing, which was most of the
load time): instants come back as text from SQLite and as aware datetimes from psycopg, and `_Raw`
turns both into aware UTC datetimes exactly as UTCDateTime does.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, Text, and_, cast, func, or_, select, type_coerce
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
from depotdispatch.domain.kpi_blocks import BlockTable
from depotdispatch.domain.kpi_records import EPOCH, ReadingLog, VehicleChange
from depotdispatch.domain.words import AdhocReason, Origin

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

        utc_zones: set[Any] = {UTC}  # the zone objects seen to be UTC (psycopg gives the session's)

        def aware(v: datetime | None) -> datetime | None:
            if v is None:
                return None
            tz = v.tzinfo
            if tz in utc_zones:
                return v
            if getattr(tz, "key", None) in _UTC_ZONES:  # the server's zone is UTC already
                utc_zones.add(tz)
                return v
            return v.replace(tzinfo=UTC) if tz is None else v.astimezone(UTC)
        return aware

    def required_instant_fn(self) -> Callable[[Any], datetime]:
        """instant_fn for a NOT NULL column."""
        return typing.cast("Callable[[Any], datetime]", self.instant_fn())  # it gives None for NULL only

    def date_fn(self) -> Callable[[Any], date | None]:
        if self.text:
            parse = date.fromisoformat
            return lambda v: None if v is None else parse(v)
        return lambda v: v

    def bool_fn(self) -> Callable[[Any], bool | None]:
        return (lambda v: None if v is None else bool(v)) if self.text else (lambda v: v)


class _TripLists:
    """A block's stored trip_ids text to its tuple, decoded once per distinct text (the tuples are shared:
    they are immutable)."""

    def __init__(self) -> None:
        self.seen: dict[str | None, tuple[str, ...]] = {None: (), "[]": ()}

    def __call__(self, text: str | None) -> tuple[str, ...]:
        got = self.seen.get(text)
        if got is None:
            got = self.seen[text] = tuple(json.loads(text) or ()) if text else ()
        return got


def _instant(us: int | None) -> datetime | None:
    """Microseconds since the epoch as the aware UTC instant (exact)."""
    return None if us is None else EPOCH + timedelta(microseconds=us)


T = TypeVar("T")


def records(cls: type[T], names: Sequence[str]) -> Callable[[Sequence[Any]], T]:
    """A maker of `cls` records from values in the order of `names` (the other fields take their
    defaults), equal to calling the constructor (its __post_init__ runs too). For a frozen dataclass: its
    generated __init__ sets each field through object.__setattr__ (22 fields: 6 µs a block, 0.7 s of a
    year's query); filling the instance's __dict__ makes the same object in a sixth of the time."""
    assert dataclasses.is_dataclass(cls)
    check = getattr(cls, "__post_init__", None)
    defaults = {}
    for f in dataclasses.fields(cls):
        if f.name in names:
            continue
        if f.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} has no default")
        defaults[f.name] = f.default
    new, set_dict = object.__new__, object.__setattr__

    def make(values: Sequence[Any]) -> T:
        obj = new(cls)
        d = dict(defaults)
        d.update(zip(names, values, strict=True))
        set_dict(obj, "__dict__", d)
        if check is not None:
            check(obj)
        return obj
    return make


class KpiRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._utc = False

    def _rows(self, q: Any) -> Any:
        conn = self.session.connection()
        if conn.dialect.name == "postgresql" and not self._utc:
            # psycopg gives instants in the session's zone: for 'UTC' as datetime.UTC, for the server's
            # 'Etc/UTC' as a ZoneInfo, whose offset look-ups made every timestamp() and subtraction of a
            # year's instants three times slower. The same instants; for this transaction only.
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
            self._utc = True
        # all at once: iterating a result fetches one row per driver call (half of psycopg's time)
        return conn.execute(q).all()

    def _raw(self) -> _Raw:
        return _Raw(self.session.connection().dialect.name)

    def _micros(self, column: Any) -> ColumnElement[Any]:
        """An instant column as whole microseconds since the epoch, computed by the database (exact: no
        float on the way); NULL stays NULL."""
        if self.session.connection().dialect.name == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
            return cast(func.strftime("%s", column), Integer) * 1_000_000 + cast(func.substr(column, 21, 6), Integer)
        return cast(func.extract("epoch", column) * 1_000_000, BigInteger)

    def blocks(self, depot_id: str, first: date, last: date) -> BlockTable:
        """The days' blocks as columns; a block's DayBlock is made from its row when a rule asks for it."""
        us = self._micros
        q = (select(raw(DispatchDayRow.service_date), BlockRow.block_id, us(BlockRow.pull_out), us(BlockRow.pull_in),
                    us(BlockRow.actual_start), us(BlockRow.actual_end), us(BlockRow.cancelled_at),
                    BlockRow.distance_km, BlockRow.replaces_block, BlockRow.note,
                    BlockRow.block_pk, BlockRow.origin, BlockRow.distance_source, BlockRow.vehicle_class,
                    BlockRow.adhoc_reason, raw(BlockRow.cancelled_at), cast(BlockRow.trip_ids, Text))
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
                    DispatchDayRow.service_date <= last))
        rows = self._rows(q)
        conv = self._raw()
        at, day = conv.instant_fn(), conv.date_fn()
        dates: dict[Any, date | None] = {}  # a day's date is the same object for all its blocks
        service_date = typing.cast("list[date]", [dates.get(r[0]) or dates.setdefault(r[0], day(r[0]))
                                                  for r in rows])  # NOT NULL: never None
        # trip_ids too: a block timed by its trips has the depot's deadhead in its energy, as everywhere else
        # (without them the KPIs judged a free EV on less energy than the recommendation did). As the
        # stored text, decoded once per distinct list: a block runs the same trips day after day, and
        # psycopg's decoding of every row's JSON was a fifth of a year's load
        trips = _TripLists()
        made = records(DayBlock, ("service_date", "pk", "block_id", "origin", "pull_out", "pull_in", "distance_km",
                                  "distance_source", "vehicle_class", "adhoc_reason", "replaces_block", "note",
                                  "cancelled_at", "actual_start", "actual_end", "trip_ids"))
        # the words by a look-up, so the block's own check only confirms them (a stored word is always one)
        origin, reason = {o.value: o for o in Origin}.get, {r.value: r for r in AdhocReason}.get

        def make(i: int) -> DayBlock:
            r = rows[i]
            return made((service_date[i], r[10], r[1], origin(r[11], r[11]), _instant(r[2]), _instant(r[3]), r[7],
                         r[12], r[13], r[14] and reason(r[14], r[14]), r[8], r[9], at(r[15]), _instant(r[4]),
                         _instant(r[5]), trips(r[16])))
        if not rows:
            return BlockTable.from_micros([], [], [], [], [], [], [], [], [], [], make)
        _, block_id, pull_out, pull_in, actual_start, actual_end, cancelled, km, replaces, note = (
            list(c) for c in zip(*(r[:10] for r in rows), strict=True))
        return BlockTable.from_micros(service_date, block_id, pull_out, pull_in, actual_start, actual_end,
                                      cancelled, km, replaces, note, make)

    def vehicle_changes(self, depot_id: str, first: date, last: date) -> list[VehicleChange]:
        """The days' events that name a vehicle in before or after (in no order: the rule sorts them).

        Only the fields the KPIs read are taken out of before/after, by the database (json_extract /
        ->>): decoding every document in Python was half the time of a year's query."""
        after, before = EventRow.after, EventRow.before
        before_vehicle, vehicle = before["vehicle_id"].as_string(), after["vehicle_id"].as_string()
        q = (select(raw(EventRow.at), EventRow.event_id, raw(EventRow.service_date), EventRow.block_id,
                    EventRow.kind, before_vehicle, vehicle, after["source"].as_string(),
                    after["override_reason"].as_string(), after["acknowledged"].as_string(),
                    after["viability"].as_string())
             .where(EventRow.depot_id == depot_id, EventRow.service_date >= first, EventRow.service_date <= last,
                    EventRow.block_id.is_not(None), or_(before_vehicle.is_not(None), vehicle.is_not(None))))
        conv = self._raw()
        at, day, loads = conv.required_instant_fn(), conv.date_fn(), json.loads
        return [VehicleChange(at(r[0]), r[1], day(r[2]), r[3], r[4], r[5], r[6], r[7], r[8],
                              tuple(loads(r[9])) if r[8] is not None and r[9] else (), r[10])
                for r in self._rows(q)]  # acknowledged codes: only overrides carry them

    def availability_events(self, depot_id: str, first: date, last: date) -> list[Event]:
        """The events that changed a vehicle's availability: the days' and those that belong to no day."""
        after, before = EventRow.after, EventRow.before
        q = (select(EventRow.event_id, EventRow.kind, raw(EventRow.at), raw(EventRow.service_date),
                    EventRow.block_id, EventRow.vehicle_id, before["availability"].as_string(),
                    after["availability"].as_string())
             .where(EventRow.depot_id == depot_id, EventRow.vehicle_id.is_not(None),
                    after["availability"].as_string().is_not(None),
                    or_(and_(EventRow.service_date >= first, EventRow.service_date <= last),
                        EventRow.service_date.is_(None))))
        conv = self._raw()
        at, day = conv.required_instant_fn(), conv.date_fn()
        return [Event(depot_id, r[1], "", at(r[2]), day(r[3]), r[4], r[5], None,
                      None if r[6] is None else {"availability": r[6]}, {"availability": r[7]}, event_id=r[0])
                for r in self._rows(q)]

    def readings(self, depot_id: str, start: datetime, end: datetime) -> ReadingLog:
        """The depot's measured readings (not estimates) in the window, as columns. Instants come as
        whole microseconds since the epoch, computed by the database (exact: no float on the way)."""
        m = SocReadingRow.measured_at
        us = self._micros(m)
        q = (select(SocReadingRow.vehicle_id, us, SocReadingRow.soc_pct, SocReadingRow.source,
                    SocReadingRow.odometer_km, raw(SocReadingRow.plugged_in), SocReadingRow.charger_id)
             .join(VehicleRow, VehicleRow.vehicle_id == SocReadingRow.vehicle_id)
             .where(VehicleRow.depot_id == depot_id, m >= start, m <= end, SocReadingRow.source != "estimate"))
        rows = self._rows(q)
        if not rows:
            return ReadingLog([])
        vehicle, at_us, soc, source, odometer, plugged, charger = zip(*rows, strict=True)
        if self._raw().text:
            plugged = tuple(None if v is None else bool(v) for v in plugged)
        return ReadingLog.from_columns(vehicle, at_us, soc, list(zip(source, odometer, plugged, charger, strict=True)))
