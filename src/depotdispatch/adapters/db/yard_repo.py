"""Chargers, yard spots and telemetry rejection counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import ChargerRow, TelemetryRejectionRow, VehicleRow, VehicleYardRow
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.yard import YardSpot
from depotdispatch.services.ports import RejectionRow


class YardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def chargers(self, depot_id: str, *, available_only: bool = False) -> list[Charger]:
        q = select(ChargerRow).where(ChargerRow.depot_id == depot_id).order_by(ChargerRow.charger_id)
        if available_only:
            q = q.where(ChargerRow.available.is_(True))
        return [Charger(r.charger_id, r.max_kw, r.connectors) for r in self.session.scalars(q)]

    def unavailable_chargers(self, depot_id: str) -> set[str]:
        return set(self.session.scalars(select(ChargerRow.charger_id).where(
            ChargerRow.depot_id == depot_id, ChargerRow.available.is_(False))))

    def upsert_chargers(self, depot_id: str, chargers: Sequence[Charger], now: datetime) -> tuple[int, int]:
        """(added, updated)."""
        existing = {r.charger_id: r for r in self.session.scalars(
            select(ChargerRow).where(ChargerRow.depot_id == depot_id))}
        added = updated = 0
        for c in chargers:
            row = existing.get(c.charger_id)
            if row is None:
                self.session.add(ChargerRow(depot_id=depot_id, charger_id=c.charger_id, max_kw=c.max_kw,
                                            connectors=c.connectors, available=True, updated_at=now))
                added += 1
            elif (row.max_kw, row.connectors) != (c.max_kw, c.connectors):
                row.max_kw, row.connectors, row.updated_at = c.max_kw, c.connectors, now
                updated += 1
        self.session.flush()
        return added, updated

    def set_charger_available(self, depot_id: str, charger_id: str, available: bool, now: datetime) -> bool:
        row = self.session.get(ChargerRow, (depot_id, charger_id))
        if row is None:
            return False
        row.available, row.updated_at = available, now
        return True

    def spots(self, depot_id: str) -> dict[str, YardSpot]:
        q = select(VehicleYardRow).join(VehicleRow, VehicleRow.vehicle_id == VehicleYardRow.vehicle_id).where(
            VehicleRow.depot_id == depot_id)
        return {r.vehicle_id: YardSpot(r.vehicle_id, r.bay, r.lane, r.lane_order, r.charger_id, r.plugged_at,
                                     r.unplugged_at, r.updated_at)
                for r in self.session.scalars(q)}

    def save_spot(self, spot: YardSpot, now: datetime, actor: str) -> None:
        row = self.session.get(VehicleYardRow, spot.vehicle_id)
        if row is None:
            row = VehicleYardRow(vehicle_id=spot.vehicle_id, updated_at=now, actor=actor)
            self.session.add(row)
        row.bay, row.lane, row.lane_order = spot.bay, spot.lane, spot.lane_order
        row.charger_id, row.plugged_at, row.unplugged_at = spot.charger_id, spot.plugged_at, spot.unplugged_at
        row.updated_at, row.actor = now, actor
        self.session.flush()


class TelemetryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_rejections(self, items: Sequence[tuple[str | None, str, str]], now: datetime) -> None:
        """Add (depot, code, detail) rejections to the counters."""
        grouped: dict[tuple[str, str], tuple[int, str]] = {}
        for depot, code, detail in items:
            key = ((depot or "")[:64], code)
            n, _ = grouped.get(key, (0, ""))
            grouped[key] = (n + 1, detail[:300])
        for (depot, code), (n, detail) in grouped.items():
            row = self.session.get(TelemetryRejectionRow, (depot, code))
            if row is None:
                self.session.add(TelemetryRejectionRow(depot_id=depot, code=code, count=n, last_detail=detail,
                                                       last_at=now))
            else:
                row.count, row.last_detail, row.last_at = row.count + n, detail, now
        self.session.flush()

    def rejections(self, depot_id: str | None = None) -> list[RejectionRow]:
        q = select(TelemetryRejectionRow).order_by(TelemetryRejectionRow.depot_id, TelemetryRejectionRow.code)
        if depot_id is not None:
            q = q.where(TelemetryRejectionRow.depot_id == depot_id)
        return [{"depot_id": r.depot_id or None, "reason": r.code, "count": r.count, "last_detail": r.last_detail,
                 "last_at": r.last_at.isoformat()} for r in self.session.scalars(q)]

    def total(self) -> int:
        return int(self.session.scalar(select(func.coalesce(func.sum(TelemetryRejectionRow.count), 0))) or 0)

    def reset(self) -> None:
        self.session.execute(delete(TelemetryRejectionRow))
