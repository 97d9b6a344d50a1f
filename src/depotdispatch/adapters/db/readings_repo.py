"""SoC readings: deduplicated on (vehicle, measured_at, source); the latest trusted one per vehicle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, column, func, select, text, values
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import SocReadingRow, VehicleRow, VehicleTypeRow, table_of
from depotdispatch.adapters.db.types import UTCDateTime
from depotdispatch.domain.readings import SOURCES, SocReading
from depotdispatch.domain.words import ReadingSource

DEDUP = ("vehicle_id", "measured_at", "source")  # the unique key of soc_readings (DESIGN §11)
_UNNEST = text(
    "INSERT INTO soc_readings (vehicle_id, soc_pct, measured_at, source, odometer_km, plugged_in, charger_id, "
    "received_at) SELECT v, s, m, src, o, p, c, CAST(:received_at AS timestamptz) FROM unnest("
    "CAST(:v AS text[]), CAST(:s AS float8[]), CAST(:m AS timestamptz[]), CAST(:src AS text[]), "
    "CAST(:o AS float8[]), CAST(:p AS boolean[]), CAST(:c AS text[])) AS t(v, s, m, src, o, p, c) "
    f"ON CONFLICT ({', '.join(DEDUP)}) DO NOTHING RETURNING reading_id")


class SocReadingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def known_vehicles(self, vehicle_ids: Sequence[str], depot_id: str | None = None) -> set[str]:
        ids = sorted(set(vehicle_ids))
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            q = select(VehicleRow.vehicle_id).where(VehicleRow.vehicle_id.in_(ids[i:i + 500]))
            if depot_id is not None:
                q = q.where(VehicleRow.depot_id == depot_id)
            found.update(self.session.scalars(q))
        return found

    def depots_of(self, vehicle_ids: Sequence[str]) -> dict[str, str]:
        """vehicle -> its depot, for the vehicles that exist."""
        ids = sorted(set(vehicle_ids))
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            found.update(self.session.execute(select(VehicleRow.vehicle_id, VehicleRow.depot_id).where(
                VehicleRow.vehicle_id.in_(ids[i:i + 500]))).all())
        return found

    def propulsions(self, vehicle_ids: Sequence[str]) -> dict[str, str]:
        """vehicle -> the propulsion of its type, for the vehicles that exist."""
        ids = sorted(set(vehicle_ids))
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            found.update(self.session.execute(
                select(VehicleRow.vehicle_id, VehicleTypeRow.propulsion)
                .join(VehicleTypeRow, VehicleTypeRow.vehicle_type_id == VehicleRow.vehicle_type_id)
                .where(VehicleRow.vehicle_id.in_(ids[i:i + 500]))).all())
        return found

    def add_new(self, readings: Sequence[SocReading], now: datetime) -> int:
        """Store the readings not stored before; returns how many were new.

        The database skips what it has (ON CONFLICT DO NOTHING on the dedup key) and says what it
        stored: no look-up first, and a concurrent writer of the same reading is no conflict."""
        keys = {(r.vehicle_id, r.measured_at, r.source): r for r in readings}
        if not keys:
            return 0
        for r in keys.values():
            if r.measured_at.tzinfo is None:
                raise ValueError(f"naive measured_at {r.measured_at!r}; pass an aware UTC instant")
        if self.session.get_bind().dialect.name == "postgresql":
            return self._add_unnest(list(keys.values()), now)
        table = table_of(SocReadingRow)
        stmt = (sqlite_insert(table).on_conflict_do_nothing(index_elements=list(DEDUP))
                .returning(table.c.reading_id))
        stored = self.session.execute(stmt, [
            {"vehicle_id": r.vehicle_id, "soc_pct": r.soc_pct, "measured_at": r.measured_at, "source": r.source,
             "odometer_km": r.odometer_km, "plugged_in": r.plugged_in, "charger_id": r.charger_id,
             "received_at": now} for r in keys.values()]).all()
        return len(stored)

    def _add_unnest(self, new: Sequence[SocReading], now: datetime) -> int:
        """PostgreSQL: the batch as one array per column, so the statement stays a few lines long (a
        multi-row VALUES of 1,000 readings is 9,000 placeholders that psycopg rewrites each time)."""
        stored = self.session.execute(_UNNEST, {
            "v": [r.vehicle_id for r in new], "s": [r.soc_pct for r in new], "m": [r.measured_at for r in new],
            "src": [r.source for r in new], "o": [r.odometer_km for r in new], "p": [r.plugged_in for r in new],
            "c": [r.charger_id for r in new], "received_at": now}).all()
        return len(stored)

    def latest_for_depot(self, depot_id: str, at: datetime) -> dict[str, SocReading]:
        """Per vehicle, the newest measured reading at or before `at` (an estimate only if none exists).

        One index lookup per vehicle (ix_soc_readings_vehicle_time), so the cost does not grow with
        the reading history.
        """
        rank = case({s: i for i, s in enumerate(SOURCES)}, value=SocReadingRow.source, else_=len(SOURCES))
        is_estimate = case((SocReadingRow.source == "estimate", 1), else_=0)
        newest = (select(SocReadingRow.reading_id)
                  .where(SocReadingRow.vehicle_id == VehicleRow.vehicle_id, SocReadingRow.measured_at <= at)
                  .order_by(is_estimate, SocReadingRow.measured_at.desc(), rank)
                  .limit(1).correlate(VehicleRow).scalar_subquery())
        ids = [r for r in self.session.scalars(select(newest).where(VehicleRow.depot_id == depot_id))
               if r is not None]
        if not ids:
            return {}
        q = select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, SocReadingRow.measured_at, SocReadingRow.source,
                   SocReadingRow.odometer_km, SocReadingRow.plugged_in, SocReadingRow.charger_id).where(
            SocReadingRow.reading_id.in_(ids))
        return {r[0]: _reading(*r) for r in self.session.execute(q)}

    def latest_between(self, depot_id: str, start: datetime, at: datetime) -> dict[str, SocReading]:
        """Per vehicle of the depot, its latest reading (the order of `latest_for_depot`) among those measured from
        `start` to `at` (both included): what a board that read the latest at an earlier instant needs to bring
        them up to date (one index range per vehicle). One row a vehicle, however many readings came in: under
        telemetry at its most, a board a second apart meets thousands, which cost a quarter of its time as objects."""
        rank = case({s: i for i, s in enumerate(SOURCES)}, value=SocReadingRow.source, else_=len(SOURCES))
        is_estimate = case((SocReadingRow.source == "estimate", 1), else_=0)
        order = func.row_number().over(partition_by=SocReadingRow.vehicle_id,
                                       order_by=(is_estimate, SocReadingRow.measured_at.desc(), rank))
        ranked = select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, SocReadingRow.measured_at,
                        SocReadingRow.source, SocReadingRow.odometer_km, SocReadingRow.plugged_in,
                        SocReadingRow.charger_id, order.label("n")).where(
            SocReadingRow.vehicle_id.in_(select(VehicleRow.vehicle_id).where(VehicleRow.depot_id == depot_id)),
            SocReadingRow.measured_at >= start, SocReadingRow.measured_at <= at).subquery()
        q = select(ranked.c.vehicle_id, ranked.c.soc_pct, ranked.c.measured_at, ranked.c.source, ranked.c.odometer_km,
                   ranked.c.plugged_in, ranked.c.charger_id).where(ranked.c.n == 1)
        return {r[0]: _reading(*r) for r in self.session.execute(q)}

    def odometers_at(self, asks: Sequence[tuple[str, datetime]]) -> list[float | None]:
        """For each (vehicle, instant): the odometer of the vehicle's newest reading at or before it that carries
        one (within a day: a parked bus does not move, an older figure says nothing about today). One query
        per 500 asked (a board under telemetry asks for every bus that pulled out since its last reading)."""
        out: list[float | None] = []
        for i in range(0, len(asks), 500):
            part = asks[i:i + 500]
            asked = values(column("k", Integer), column("vid", String), column("at", UTCDateTime()),
                           column("since", UTCDateTime()), name="asked").data(
                [(k, v, at, at - timedelta(days=1)) for k, (v, at) in enumerate(part)]).cte("asked")
            km = (select(SocReadingRow.odometer_km)
                  .where(SocReadingRow.vehicle_id == asked.c.vid, SocReadingRow.odometer_km.is_not(None),
                         SocReadingRow.measured_at <= asked.c.at, SocReadingRow.measured_at >= asked.c.since)
                  .order_by(SocReadingRow.measured_at.desc()).limit(1).correlate(asked).scalar_subquery())
            found: dict[int, float | None] = dict(self.session.execute(select(asked.c.k, km)).all())
            out.extend(found.get(k) for k in range(len(part)))
        return out

    def seen_before(self, asks: Sequence[tuple[str, datetime]]) -> dict[str, datetime]:
        """For each (vehicle, instant): when the vehicle's newest reading before it (not an estimate; within a
        day) was measured, for the vehicles that have one: whether a bus was seen since its pull-out."""
        out: dict[str, datetime] = {}
        for i in range(0, len(asks), 500):
            part = asks[i:i + 500]
            asked = values(column("vid", String), column("at", UTCDateTime()), column("since", UTCDateTime()),
                           name="asked").data([(v, at, at - timedelta(days=1)) for v, at in part]).cte("asked")
            at = (select(SocReadingRow.measured_at)
                  .where(SocReadingRow.vehicle_id == asked.c.vid, SocReadingRow.source != "estimate",
                         SocReadingRow.measured_at < asked.c.at, SocReadingRow.measured_at >= asked.c.since)
                  .order_by(SocReadingRow.measured_at.desc()).limit(1).correlate(asked).scalar_subquery())
            for vid, when in self.session.execute(select(asked.c.vid, at)).all():
                if when is not None:
                    out[vid] = max(when, out.get(vid, when))
        return out

    def for_vehicle(self, vehicle_id: str, limit: int = 50) -> list[SocReading]:
        q = (select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, SocReadingRow.measured_at, SocReadingRow.source,
                    SocReadingRow.odometer_km, SocReadingRow.plugged_in, SocReadingRow.charger_id)
             .where(SocReadingRow.vehicle_id == vehicle_id)
             .order_by(SocReadingRow.measured_at.desc()).limit(limit))
        return [_reading(*r) for r in self.session.execute(q)]




def _reading(vehicle_id: str, soc_pct: float, measured_at: datetime, source: str, odometer_km: float | None,
             plugged_in: bool | None, charger_id: str | None) -> SocReading:
    return SocReading(vehicle_id, soc_pct, measured_at, ReadingSource(source), odometer_km, plugged_in, charger_id)
