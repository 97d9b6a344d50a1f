"""SoC readings: deduplicated on (vehicle, measured_at, source); the latest trusted one per vehicle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import SocReadingRow, VehicleRow
from depotdispatch.domain.readings import SOURCES, SocReading


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

    def add_new(self, readings: Sequence[SocReading], now: datetime) -> int:
        """Store the readings not stored before; returns how many were new.

        The database skips what it has (ON CONFLICT DO NOTHING on the dedup key) and returns what it
        stored: one statement per thousand readings, no look-up first, and a concurrent writer of the
        same reading is no conflict."""
        keys = {(r.vehicle_id, r.measured_at, r.source): r for r in readings}
        if not keys:
            return 0
        table = SocReadingRow.__table__
        make = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = (make(table).on_conflict_do_nothing(index_elements=["vehicle_id", "measured_at", "source"])
                .returning(table.c.reading_id))
        stored = self.session.execute(stmt, [
            {"vehicle_id": r.vehicle_id, "soc_pct": r.soc_pct, "measured_at": r.measured_at, "source": r.source,
             "odometer_km": r.odometer_km, "plugged_in": r.plugged_in, "charger_id": r.charger_id,
             "received_at": now} for r in keys.values()]).all()
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
        return {r[0]: SocReading(*r) for r in self.session.execute(q)}

    def odometer_at(self, vehicle_id: str, at: datetime) -> float | None:
        """The odometer of the vehicle's newest reading at or before `at` that carries one (within a day:
        a parked bus does not move, an older figure says nothing about today)."""
        from datetime import timedelta

        q = (select(SocReadingRow.odometer_km)
             .where(SocReadingRow.vehicle_id == vehicle_id, SocReadingRow.odometer_km.is_not(None),
                    SocReadingRow.measured_at <= at, SocReadingRow.measured_at >= at - timedelta(days=1))
             .order_by(SocReadingRow.measured_at.desc()).limit(1))
        return self.session.scalar(q)

    def for_vehicle(self, vehicle_id: str, limit: int = 50) -> list[SocReading]:
        q = (select(SocReadingRow.vehicle_id, SocReadingRow.soc_pct, SocReadingRow.measured_at, SocReadingRow.source,
                    SocReadingRow.odometer_km, SocReadingRow.plugged_in, SocReadingRow.charger_id)
             .where(SocReadingRow.vehicle_id == vehicle_id)
             .order_by(SocReadingRow.measured_at.desc()).limit(limit))
        return [SocReading(*r) for r in self.session.execute(q)]


