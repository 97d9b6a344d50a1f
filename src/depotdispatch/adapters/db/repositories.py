"""Repositories: the only place that turns rows into domain objects and back."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import (
    AllowanceRow,
    BlockRow,
    DepotRow,
    DispatchDayRow,
    ScheduleBlockRow,
    ScheduleRow,
    ServiceRow,
    StopRow,
    TripRow,
    VehicleRow,
    VehicleTypeRow,
    table_of,
)
from depotdispatch.domain.allowances import NO_OVERRIDES, Override, Overrides, Scope, TripEnds
from depotdispatch.domain.applicability import Applicability, weekdays_from_text, weekdays_to_text
from depotdispatch.domain.blocks import BlockWork, Stop, Trip
from depotdispatch.domain.days import MAX_ACTUAL_SHIFT, DayBlock, find_block
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.schedules import Schedule
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.words import AdhocReason, Origin

CHUNK = 5_000
ACTUALS_SLACK = MAX_ACTUAL_SHIFT


def _dates(values: Iterable[date]) -> list[str]:
    return sorted(d.isoformat() for d in values)


def _applicability(start: date, end: date, weekdays: str, added: list[str], removed: list[str],
                   like: dict[str, str] | None = None) -> Applicability:
    return Applicability(
        start=start, end=end,
        weekdays=weekdays_from_text(weekdays) if weekdays else frozenset(),
        added=frozenset(date.fromisoformat(d) for d in added),
        removed=frozenset(date.fromisoformat(d) for d in removed),
        like=tuple(sorted((date.fromisoformat(d), t) for d, t in (like or {}).items())),
    )


# the allowance overrides with their trip index, per (database, depot, rules, schedules): `_overrides`
_INDEXES: dict[tuple[object, ...], Overrides] = {}
_INDEXES_KEPT = 16
_INDEXES_LOCK = threading.Lock()


class DepotRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, depot_id: str) -> Depot | None:
        row = self.session.get(DepotRow, depot_id)
        return None if row is None else self._to_domain(row, self._overrides(depot_id))

    def list(self) -> list[Depot]:
        return [self._to_domain(r, self._overrides(r.depot_id))
                for r in self.session.scalars(select(DepotRow).order_by(DepotRow.depot_id))]

    def _overrides(self, depot_id: str) -> Overrides:
        """The depot's allowance overrides and the ends of the trips they can touch: a trip on an overridden
        route, or starting or ending at an overridden stop (any other takes the depot's allowances). The
        same trip id in two schedules: the later schedule's (domain/allowances.Overrides)."""
        rules = tuple(
            Override(Scope(r.scope), r.ref, r.pull_out_min, r.pull_out_km, r.pull_in_min, r.pull_in_km)
            for r in self.session.scalars(select(AllowanceRow).where(AllowanceRow.depot_id == depot_id)
                                          .order_by(AllowanceRow.scope, AllowanceRow.ref)))
        if not rules:
            return NO_OVERRIDES
        # a schedule's trips never change once imported: the same rules over the same schedules of the same
        # database give the same index, made once (a few thousand trips cost ~100 ms) and shared as one object
        schedules = tuple((sid, at) for sid, at in self.session.execute(
            select(ScheduleRow.schedule_id, ScheduleRow.imported_at).where(ScheduleRow.depot_id == depot_id)
            .order_by(ScheduleRow.schedule_id)))
        key = (self.session.get_bind().engine.url.render_as_string(hide_password=True), depot_id, rules, schedules)
        known = _INDEXES.get(key)
        if known is not None:
            return known
        made = self._index(depot_id, rules)
        with _INDEXES_LOCK:  # API workers' threads share it
            _INDEXES[key] = made
            while len(_INDEXES) > _INDEXES_KEPT:
                del _INDEXES[next(iter(_INDEXES))]
        return made

    def _index(self, depot_id: str, rules: tuple[Override, ...]) -> Overrides:
        routes = [o.ref for o in rules if o.scope is Scope.ROUTE]
        stops = [o.ref for o in rules if o.scope is Scope.STOP]
        mine = select(ScheduleRow.schedule_id).where(ScheduleRow.depot_id == depot_id)
        touched = []
        if routes:
            touched.append(TripRow.route_id.in_(routes))
        if stops:
            touched += [TripRow.start_stop.in_(stops), TripRow.end_stop.in_(stops)]
        ends = {t: TripEnds(route, first, last) for t, route, first, last in self.session.execute(
            select(TripRow.trip_id, TripRow.route_id, TripRow.start_stop, TripRow.end_stop)
            .where(TripRow.schedule_id.in_(mine), or_(*touched)).order_by(TripRow.schedule_id))}
        return Overrides(rules, tuple(sorted(ends.items())))

    def save_allowance(self, depot_id: str, override: Override, now: datetime) -> None:
        """Insert or replace the override of `override.scope`/`override.ref`."""
        self.remove_allowance(depot_id, override.scope, override.ref)
        self.session.add(AllowanceRow(depot_id=depot_id, scope=str(override.scope), ref=override.ref,
                                      updated_at=now, **override.values()))
        self.session.flush()

    def remove_allowance(self, depot_id: str, scope: Scope, ref: str) -> bool:
        gone = self.session.execute(delete(AllowanceRow).where(
            AllowanceRow.depot_id == depot_id, AllowanceRow.scope == str(scope), AllowanceRow.ref == ref))
        return bool(getattr(gone, "rowcount", 0))

    def add(self, depot: Depot, now: datetime) -> None:
        self.session.add(DepotRow(
            depot_id=depot.depot_id, name=depot.name, timezone=depot.timezone, lookback_min=depot.lookback_min,
            lookahead_min=depot.lookahead_min, reserve_pct=depot.reserve_pct, settings=depot.settings(),
            created_at=now))

    def update(self, depot: Depot) -> None:
        self.session.execute(update(DepotRow).where(DepotRow.depot_id == depot.depot_id).values(
            name=depot.name, timezone=depot.timezone, lookback_min=depot.lookback_min,
            lookahead_min=depot.lookahead_min, reserve_pct=depot.reserve_pct, settings=depot.settings()))

    @staticmethod
    def _to_domain(row: DepotRow, overrides: Overrides) -> Depot:
        extra = {k: v for k, v in (row.settings or {}).items() if k in Depot.SETTINGS}
        return Depot(depot_id=row.depot_id, name=row.name, timezone=row.timezone, lookback_min=row.lookback_min,
                     lookahead_min=row.lookahead_min, reserve_pct=row.reserve_pct, overrides=overrides, **extra)


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, schedule: Schedule, now: datetime) -> int:
        a = schedule.applicability
        row = ScheduleRow(
            depot_id=schedule.depot_id, name=schedule.name, source_kind=schedule.source_kind, imported_at=now,
            start_date=a.start, end_date=a.end, weekdays=weekdays_to_text(a.weekdays), added_dates=_dates(a.added),
            removed_dates=_dates(a.removed), blocks_generated=schedule.blocks_generated,
            distance_unit=schedule.distance_unit, warnings=list(schedule.warnings),
            content_hash=schedule.content_hash)
        self.session.add(row)
        self.session.flush()
        sid = row.schedule_id
        if schedule.services:
            self.session.execute(insert(ServiceRow), [
                {"schedule_id": sid, "service_id": k, "start_date": v.start, "end_date": v.end,
                 "weekdays": weekdays_to_text(v.weekdays), "added_dates": _dates(v.added),
                 "removed_dates": _dates(v.removed)} for k, v in schedule.services.items()])
        return sid

    def add_trips(self, schedule_id: int, trips: Sequence[Trip]) -> None:
        cols = ("trip_id", "service_id", "block_id", "route_id", "start_s", "end_s", "start_stop", "end_stop",
                "distance_km", "distance_source", "block_name")
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            # COPY is the bulk path PostgreSQL is built for; it runs inside the session's transaction.
            import psycopg  # the PostgreSQL driver; not needed on SQLite

            driver = conn.connection.dbapi_connection
            assert isinstance(driver, psycopg.Connection)
            with driver.cursor() as cur, cur.copy(
                    f"COPY trips (schedule_id, {', '.join(cols)}) FROM STDIN") as copy:
                for t in trips:
                    copy.write_row((schedule_id, *(getattr(t, c) for c in cols)))
            return
        # SQLite: the driver's executemany with plain tuples, no per-row SQL building
        sql = f"INSERT INTO trips (schedule_id, {', '.join(cols)}) VALUES ({', '.join('?' * (len(cols) + 1))})"
        conn.exec_driver_sql(sql, [(schedule_id, *(getattr(t, c) for c in cols)) for t in trips])

    def add_stated_blocks(self, schedule_id: int, blocks: Sequence[BlockWork]) -> None:
        self.session.execute(insert(ScheduleBlockRow), [
            {"schedule_id": schedule_id, "block_id": b.block_id, "start_s": b.start_s, "end_s": b.end_s,
             "distance_km": b.distance_km, "distance_source": b.distance_source,
             "vehicle_class": b.vehicle_class, "routes": list(b.routes)} for b in blocks])

    def for_depot(self, depot_id: str) -> list[Schedule]:
        rows = self.session.scalars(
            select(ScheduleRow).where(ScheduleRow.depot_id == depot_id).order_by(ScheduleRow.schedule_id)).all()
        services: dict[int, dict[str, Applicability]] = {r.schedule_id: {} for r in rows}
        if rows:
            for s in self.session.scalars(select(ServiceRow).where(ServiceRow.schedule_id.in_(list(services)))):
                services[s.schedule_id][s.service_id] = _applicability(
                    s.start_date, s.end_date, s.weekdays, s.added_dates, s.removed_dates)
        return [
            Schedule(schedule_id=r.schedule_id, depot_id=r.depot_id, name=r.name, source_kind=r.source_kind,
                     applicability=_applicability(r.start_date, r.end_date, r.weekdays, r.added_dates,
                                                  r.removed_dates, r.added_like),
                     services=services[r.schedule_id], blocks_generated=r.blocks_generated,
                     distance_unit=r.distance_unit, warnings=list(r.warnings))
            for r in rows
        ]

    def with_content(self, depot_id: str, content_hash: str) -> int | None:
        """The depot's first schedule imported from a file with this hash."""
        return self.session.scalar(select(ScheduleRow.schedule_id).where(
            ScheduleRow.depot_id == depot_id, ScheduleRow.content_hash == content_hash)
            .order_by(ScheduleRow.schedule_id).limit(1))

    def exists(self, depot_id: str, schedule_id: int) -> bool:
        return self.session.scalar(select(ScheduleRow.schedule_id).where(
            ScheduleRow.schedule_id == schedule_id, ScheduleRow.depot_id == depot_id)) is not None

    def set_applicability(self, schedule_id: int, a: Applicability) -> None:
        self.session.execute(update(ScheduleRow).where(ScheduleRow.schedule_id == schedule_id).values(
            start_date=a.start, end_date=a.end, weekdays=weekdays_to_text(a.weekdays),
            added_dates=_dates(a.added), removed_dates=_dates(a.removed),
            added_like={d.isoformat(): t for d, t in a.like} or None))

    def add_stops(self, schedule_id: int, stops: Sequence[Stop]) -> None:
        if stops:
            self.session.execute(insert(StopRow), [
                {"schedule_id": schedule_id, "stop_id": s.stop_id, "name": s.name, "lat": s.lat, "lon": s.lon}
                for s in stops])

    def stops(self, schedule_id: int, stop_ids: Sequence[str]) -> dict[str, Stop]:
        ids, out = list(stop_ids), dict[str, Stop]()
        for i in range(0, len(ids), 500):
            q = select(StopRow.stop_id, StopRow.name, StopRow.lat, StopRow.lon).where(
                StopRow.schedule_id == schedule_id, StopRow.stop_id.in_(ids[i:i + 500]))
            out.update((r[0], Stop(*r)) for r in self.session.execute(q))
        return out

    def trips_for_services(self, schedule_id: int, service_ids: Iterable[str]) -> list[Trip]:
        ids = list(service_ids)
        if not ids:
            return []
        q = select(TripRow.trip_id, TripRow.service_id, TripRow.block_id, TripRow.route_id, TripRow.start_s,
                   TripRow.end_s, TripRow.start_stop, TripRow.end_stop, TripRow.distance_km,
                   TripRow.distance_source, TripRow.block_name).where(TripRow.schedule_id == schedule_id,
                                                                      TripRow.service_id.in_(ids))
        return [Trip(*r) for r in self.session.execute(q)]

    def runs(self, depot_id: str, scope: Scope, ref: str) -> bool:
        """Whether a trip of the depot's schedules runs on route `ref`, or starts or ends at stop `ref`."""
        mine = select(ScheduleRow.schedule_id).where(ScheduleRow.depot_id == depot_id)
        on = TripRow.route_id == ref if scope is Scope.ROUTE else or_(TripRow.start_stop == ref,
                                                                      TripRow.end_stop == ref)
        return self.session.execute(select(TripRow.trip_id).where(TripRow.schedule_id.in_(mine), on).limit(1)
                                    ).first() is not None

    def stop_names(self, depot_id: str, stop_ids: Sequence[str]) -> dict[str, str]:
        """The names the depot's schedules give these stops (the latest schedule's), where they give one."""
        if not stop_ids:
            return {}
        mine = select(ScheduleRow.schedule_id).where(ScheduleRow.depot_id == depot_id)
        return {r[0]: r[1] or r[0] for r in self.session.execute(
            select(StopRow.stop_id, StopRow.name).where(StopRow.schedule_id.in_(mine),
                                                        StopRow.stop_id.in_(list(stop_ids)),
                                                        StopRow.name.is_not(None))
            .order_by(StopRow.schedule_id))}

    def trips_by_ids(self, schedule_id: int, trip_ids: Sequence[str]) -> list[Trip]:
        ids, out = list(trip_ids), list[Trip]()
        for i in range(0, len(ids), 500):
            q = select(TripRow.trip_id, TripRow.service_id, TripRow.block_id, TripRow.route_id, TripRow.start_s,
                       TripRow.end_s, TripRow.start_stop, TripRow.end_stop, TripRow.distance_km,
                       TripRow.distance_source, TripRow.block_name).where(TripRow.schedule_id == schedule_id,
                                                                          TripRow.trip_id.in_(ids[i:i + 500]))
            out.extend(Trip(*r) for r in self.session.execute(q))
        return out

    def trip_services(self, schedule_id: int, trip_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ids = list(trip_ids)
        for i in range(0, len(ids), 500):
            q = select(TripRow.trip_id, TripRow.service_id).where(TripRow.schedule_id == schedule_id,
                                                                 TripRow.trip_id.in_(ids[i:i + 500]))
            out.update({r[0]: r[1] for r in self.session.execute(q)})
        return out

    def stated_blocks(self, schedule_id: int) -> list[BlockWork]:
        rows = self.session.scalars(select(ScheduleBlockRow).where(ScheduleBlockRow.schedule_id == schedule_id))
        return [BlockWork(block_id=r.block_id, start_s=r.start_s, end_s=r.end_s, distance_km=r.distance_km,
                          distance_source=r.distance_source, trip_ids=(), routes=tuple(r.routes),
                          vehicle_class=r.vehicle_class) for r in rows]


class FleetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_type(self, depot_id: str, vtype: VehicleType) -> int:
        row = self.session.scalar(select(VehicleTypeRow).where(
            VehicleTypeRow.depot_id == depot_id, VehicleTypeRow.name == vtype.name))
        values = {"propulsion": vtype.propulsion, "usable_kwh": vtype.usable_kwh, "kwh_per_km": vtype.kwh_per_km,
                  "vehicle_class": vtype.vehicle_class, "charge_kw": vtype.charge_kw}
        if row is None:
            row = VehicleTypeRow(depot_id=depot_id, name=vtype.name, settings=_type_settings(vtype), **values)
            self.session.add(row)
            self.session.flush()
        else:
            for k, v in values.items():
                setattr(row, k, v)
            if vtype.settings():  # a fleet list without settings keeps the ones set before
                row.settings = {**(row.settings or {}), **_type_settings(vtype)}
        return row.vehicle_type_id

    def set_type_settings(self, depot_id: str, name: str, settings: dict[str, object]) -> bool:
        row = self.session.scalar(select(VehicleTypeRow).where(
            VehicleTypeRow.depot_id == depot_id, VehicleTypeRow.name == name))
        if row is None:
            return False
        row.settings = {**(row.settings or {}), **settings}
        return True

    def vehicle_depot(self, vehicle_id: str) -> str | None:
        return self.session.scalar(select(VehicleRow.depot_id).where(VehicleRow.vehicle_id == vehicle_id))

    def vehicle_depots(self, vehicle_ids: Sequence[str]) -> dict[str, str]:
        """Where each of these vehicles (that exists) belongs, in chunked queries."""
        ids, out = list(vehicle_ids), {}
        for i in range(0, len(ids), 500):
            q = select(VehicleRow.vehicle_id, VehicleRow.depot_id).where(VehicleRow.vehicle_id.in_(ids[i:i + 500]))
            out.update({r[0]: r[1] for r in self.session.execute(q)})
        return out

    def upsert_vehicles(self, items: Sequence[tuple[Vehicle, int]], existing: set[str]) -> None:
        """Bulk: one executemany for the new vehicles, one for the known ones (40,000 in about a second)."""
        new = [{"vehicle_id": v.vehicle_id, "depot_id": v.depot_id, "vehicle_type_id": t,
                "availability": v.availability} for v, t in items if v.vehicle_id not in existing]
        known = [{"vid": v.vehicle_id, "depot_id": v.depot_id, "vehicle_type_id": t,
                  "availability": v.availability} for v, t in items if v.vehicle_id in existing]
        for i in range(0, len(new), CHUNK):
            self.session.execute(insert(table_of(VehicleRow)), new[i:i + CHUNK])
        if known:
            table = table_of(VehicleRow)
            self.session.connection().execute(
                update(table).where(table.c.vehicle_id == bindparam("vid")).values(
                    depot_id=bindparam("depot_id"), vehicle_type_id=bindparam("vehicle_type_id"),
                    availability=bindparam("availability")), known)

    def upsert_vehicle(self, vehicle: Vehicle, vehicle_type_id: int) -> None:
        row = self.session.get(VehicleRow, vehicle.vehicle_id)
        if row is None:
            self.session.add(VehicleRow(vehicle_id=vehicle.vehicle_id, depot_id=vehicle.depot_id,
                                        vehicle_type_id=vehicle_type_id, availability=vehicle.availability))
        else:
            if row.availability != vehicle.availability:  # a new status from the fleet list: its own spell
                row.available_until, row.availability_reason = vehicle.available_until, vehicle.availability_reason
            row.depot_id, row.vehicle_type_id, row.availability = (
                vehicle.depot_id, vehicle_type_id, vehicle.availability)

    def set_availability(self, vehicle_id: str, availability: str, until: datetime | None,
                         reason: str | None) -> None:
        self.session.execute(update(VehicleRow).where(VehicleRow.vehicle_id == vehicle_id).values(
            availability=availability, available_until=until, availability_reason=reason))

    def types(self, depot_id: str) -> dict[str, VehicleType]:
        rows = self.session.scalars(select(VehicleTypeRow).where(VehicleTypeRow.depot_id == depot_id))
        return {r.name: _vehicle_type(r) for r in rows}

    def vehicles(self, depot_id: str) -> list[Vehicle]:
        q = (select(VehicleRow.vehicle_id, VehicleRow.depot_id, VehicleTypeRow.name, VehicleRow.availability,
                    VehicleRow.available_until, VehicleRow.availability_reason)
             .join(VehicleTypeRow, VehicleRow.vehicle_type_id == VehicleTypeRow.vehicle_type_id)
             .where(VehicleRow.depot_id == depot_id).order_by(VehicleRow.vehicle_id))
        return [Vehicle(*r) for r in self.session.execute(q)]


def _type_settings(vtype: VehicleType) -> dict[str, object]:
    out = vtype.settings()
    for key in ("charging_curve", "consumption_table"):
        if key in out:
            out[key] = [list(p) for p in getattr(vtype, key) or ()]
    return out


def _vehicle_type(r: VehicleTypeRow) -> VehicleType:
    extra = {k: v for k, v in (r.settings or {}).items() if k in VehicleType.SETTINGS}
    for key in ("charging_curve", "consumption_table"):
        if extra.get(key) is not None:
            extra[key] = tuple(tuple(p) for p in extra[key])
    return VehicleType(name=r.name, propulsion=r.propulsion, usable_kwh=r.usable_kwh, kwh_per_km=r.kwh_per_km,
                       vehicle_class=r.vehicle_class, charge_kw=r.charge_kw, **extra)


class DayRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_create(self, depot_id: str, service_date: date, now: datetime) -> int:
        day_id = self.day_id(depot_id, service_date)
        if day_id is None:
            row = DispatchDayRow(depot_id=depot_id, service_date=service_date, plan_version=0, set_up_at=now,
                                 warnings=[])
            self.session.add(row)
            self.session.flush()
            return row.dispatch_day_id
        return day_id

    def day_id(self, depot_id: str, service_date: date) -> int | None:
        return self.session.scalar(select(DispatchDayRow.dispatch_day_id).where(
            DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date == service_date))

    def set_up_dates(self, depot_id: str) -> list[date]:
        return list(self.session.scalars(select(DispatchDayRow.service_date).where(
            DispatchDayRow.depot_id == depot_id).order_by(DispatchDayRow.service_date)))

    def mark_set_up(self, day_id: int, now: datetime, warnings: list[str]) -> None:
        self.session.execute(update(DispatchDayRow).where(DispatchDayRow.dispatch_day_id == day_id)
                             .values(set_up_at=now, warnings=warnings))

    def blocks(self, day_id: int, service_date: date) -> list[DayBlock]:
        rows = self.session.scalars(select(BlockRow).where(BlockRow.dispatch_day_id == day_id)
                                    .order_by(BlockRow.pull_out, BlockRow.block_id))
        return [self._to_domain(r, service_date) for r in rows]

    def blocks_for_dates(self, depot_id: str, first: date, last: date) -> list[DayBlock]:
        """Every block of the depot's dispatch days from `first` to `last` (the horizon filters later)."""
        q = (select(BlockRow, DispatchDayRow.service_date)
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
                    DispatchDayRow.service_date <= last)
             .order_by(BlockRow.pull_out, BlockRow.block_id))
        return [self._to_domain(r, d) for r, d in self.session.execute(q)]

    def block_names(self, depot_id: str, first: date, last: date) -> dict[tuple[date, str], str]:
        """(service date, block id) -> the feed's name, for the blocks of those days that have one."""
        q = (select(DispatchDayRow.service_date, BlockRow.block_id, BlockRow.block_name)
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
                    DispatchDayRow.service_date <= last, BlockRow.block_name.is_not(None)))
        return {(d, b): n for d, b, n in self.session.execute(q) if n is not None}

    def blocks_near(self, depot_id: str, start: datetime, end: datetime) -> list[DayBlock]:
        """Blocks whose planned span comes within ACTUALS_SLACK of [start, end]: a superset of the
        blocks on the board (actual times stay within that slack of the plan); the horizon decides."""
        q = (select(BlockRow, DispatchDayRow.service_date)
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, BlockRow.pull_out <= end + ACTUALS_SLACK,
                    BlockRow.pull_in >= start - ACTUALS_SLACK)
             .order_by(BlockRow.pull_out, BlockRow.block_id))
        return [self._to_domain(r, d) for r, d in self.session.execute(q)]

    def temperatures(self, depot_id: str, first: date, last: date) -> dict[date, float | TemperatureProfile]:
        """Per day that has one, its hourly profile, else its single figure."""
        q = select(DispatchDayRow.service_date, DispatchDayRow.temperature_c,
                   DispatchDayRow.temperature_profile).where(
            DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
            DispatchDayRow.service_date <= last)
        out: dict[date, float | TemperatureProfile] = {}
        for day, flat, profile in self.session.execute(q):
            if profile:
                out[day] = TemperatureProfile.of([(int(h), float(t)) for h, t in profile])
            elif flat is not None:
                out[day] = flat
        return out

    def set_temperature(self, day_id: int, temperature_c: float | None,
                        profile: TemperatureProfile | None = None) -> None:
        self.session.execute(update(DispatchDayRow).where(DispatchDayRow.dispatch_day_id == day_id)
                             .values(temperature_c=temperature_c,
                                     temperature_profile=profile.as_rows() if profile else None))

    def block(self, depot_id: str, service_date: date, block_id: str, *, exact: bool = False) -> DayBlock | None:
        """By id; else (not `exact`) by the feed's block name or an unambiguous id prefix (domain.days.find_block)."""
        q = (select(BlockRow).join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date == service_date,
                    BlockRow.block_id == block_id))
        row = self.session.scalar(q)
        if row is not None:
            return self._to_domain(row, service_date)
        if exact:
            return None
        day_id = self.day_id(depot_id, service_date)
        return None if day_id is None else find_block(self.blocks(day_id, service_date), block_id)

    def set_actuals(self, block_pk: int, actual_start: datetime | None, actual_end: datetime | None) -> None:
        self.session.execute(update(BlockRow).where(BlockRow.block_pk == block_pk)
                             .values(actual_start=actual_start, actual_end=actual_end))

    def set_seen_vehicle(self, block_pk: int, vehicle_id: str | None) -> None:
        self.session.execute(update(BlockRow).where(BlockRow.block_pk == block_pk)
                             .values(actual_vehicle_id=vehicle_id))

    def add_blocks(self, day_id: int, blocks: Sequence[DayBlock]) -> None:
        if blocks:
            self.session.execute(insert(BlockRow), [self._values(day_id, b) for b in blocks])

    def replace_blocks(self, day_id: int, blocks: Sequence[DayBlock]) -> None:
        for b in blocks:
            self.session.execute(update(BlockRow).where(BlockRow.block_pk == b.pk).values(self._values(day_id, b)))

    def remove_blocks(self, blocks: Sequence[DayBlock]) -> None:
        pks = [b.pk for b in blocks]
        if pks:
            self.session.execute(delete(BlockRow).where(BlockRow.block_pk.in_(pks)))

    @staticmethod
    def _values(day_id: int, b: DayBlock) -> dict[str, object]:
        return {
            "dispatch_day_id": day_id, "block_id": b.block_id, "origin": b.origin, "schedule_id": b.schedule_id,
            "pull_out": b.pull_out, "pull_in": b.pull_in, "distance_km": b.distance_km,
            "distance_source": b.distance_source, "trip_ids": list(b.trip_ids), "routes": list(b.routes),
            "vehicle_class": b.vehicle_class, "generated": b.generated, "signature": b.signature(),
            "adhoc_reason": b.adhoc_reason, "replaces_block": b.replaces_block, "note": b.note,
            "cancelled_at": b.cancelled_at, "cancel_reason": b.cancel_reason, "actual_start": b.actual_start,
            "actual_end": b.actual_end, "actual_vehicle_id": b.actual_vehicle_id, "block_name": b.block_name,
        }

    @staticmethod
    def _to_domain(r: BlockRow, service_date: date) -> DayBlock:
        return DayBlock(
            block_id=r.block_id, service_date=service_date, pull_out=r.pull_out, pull_in=r.pull_in,
            distance_km=r.distance_km, distance_source=r.distance_source, trip_ids=tuple(r.trip_ids),
            routes=tuple(r.routes), vehicle_class=r.vehicle_class, origin=Origin(r.origin),
            schedule_id=r.schedule_id, generated=r.generated,
            adhoc_reason=None if r.adhoc_reason is None else AdhocReason(r.adhoc_reason),
            replaces_block=r.replaces_block, note=r.note,
            cancelled_at=r.cancelled_at, cancel_reason=r.cancel_reason, actual_start=r.actual_start,
            actual_end=r.actual_end, actual_vehicle_id=r.actual_vehicle_id, pk=r.block_pk, block_name=r.block_name)
