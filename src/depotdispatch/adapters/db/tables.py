"""The relational schema. Alembic migrations are generated from and checked against this file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, MetaData, String, Table, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from depotdispatch.adapters.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


EVENT_DOC = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def table_of(row: type[Base]) -> Table:
    """The Core table of a row class, for bulk statements (`__table__` is only a FromClause to a type checker)."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


class DepotRow(Base):
    __tablename__ = "depots"
    depot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    lookback_min: Mapped[int] = mapped_column(Integer, default=120)
    lookahead_min: Mapped[int] = mapped_column(Integer, default=1440)
    reserve_pct: Mapped[float] = mapped_column(Float, default=20.0)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class AllowanceRow(Base):
    """A pull-out/pull-in allowance a route or a stop sets at a depot (domain/allowances.py); a value left
    NULL is the next rule's (the route's, then the depot's settings)."""

    __tablename__ = "depot_allowances"
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # "route" | "stop"
    ref: Mapped[str] = mapped_column(String(200), primary_key=True)  # the route_id or stop_id
    pull_out_min: Mapped[int | None] = mapped_column(Integer)
    pull_out_km: Mapped[float | None] = mapped_column(Float)
    pull_in_min: Mapped[int | None] = mapped_column(Integer)
    pull_in_km: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]


class ScheduleRow(Base):
    __tablename__ = "schedules"
    schedule_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(20))
    imported_at: Mapped[datetime]
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(7))
    added_dates: Mapped[list[Any]] = mapped_column(default=list)
    removed_dates: Mapped[list[Any]] = mapped_column(default=list)
    blocks_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    distance_unit: Mapped[str | None] = mapped_column(String(8))
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # sha256 of the imported file
    added_like: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # added date -> the day type it borrows


class ServiceRow(Base):
    """One GTFS service_id's own calendar (calendar.txt + calendar_dates.txt)."""

    __tablename__ = "schedule_services"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.schedule_id"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(7))
    added_dates: Mapped[list[Any]] = mapped_column(default=list)
    removed_dates: Mapped[list[Any]] = mapped_column(default=list)


class TripRow(Base):
    __tablename__ = "trips"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.schedule_id"), primary_key=True
    )
    trip_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(200))
    block_id: Mapped[str | None] = mapped_column(String(200))
    block_name: Mapped[str | None] = mapped_column(String(200))  # a feed's human block name (GTFS block_name)
    route_id: Mapped[str] = mapped_column(String(200))
    start_s: Mapped[int] = mapped_column(Integer)
    end_s: Mapped[int] = mapped_column(Integer)
    start_stop: Mapped[str] = mapped_column(String(200))
    end_stop: Mapped[str] = mapped_column(String(200))
    distance_km: Mapped[float | None] = mapped_column(Float)
    distance_source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_trips_schedule_service", "schedule_id", "service_id"),)


class StopRow(Base):
    """A stop where a trip of the schedule starts or ends, with where it is (relief points, DESIGN §12b)."""

    __tablename__ = "schedule_stops"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.schedule_id"), primary_key=True
    )
    stop_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class ScheduleBlockRow(Base):
    """A block stated directly (blocks CSV), running on every day its schedule applies."""

    __tablename__ = "schedule_blocks"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.schedule_id"), primary_key=True
    )
    block_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    start_s: Mapped[int] = mapped_column(Integer)
    end_s: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float | None] = mapped_column(Float)
    distance_source: Mapped[str] = mapped_column(String(32))
    vehicle_class: Mapped[str | None] = mapped_column(String(64))
    routes: Mapped[list[Any]] = mapped_column(default=list)


class VehicleTypeRow(Base):
    __tablename__ = "vehicle_types"
    vehicle_type_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"))
    name: Mapped[str] = mapped_column(String(100))
    propulsion: Mapped[str] = mapped_column(String(20))
    usable_kwh: Mapped[float | None] = mapped_column(Float)
    kwh_per_km: Mapped[float | None] = mapped_column(Float)
    vehicle_class: Mapped[str | None] = mapped_column(String(64))
    charge_kw: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (UniqueConstraint("depot_id", "name"),)


class VehicleRow(Base):
    __tablename__ = "vehicles"
    vehicle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"), index=True)
    vehicle_type_id: Mapped[int] = mapped_column(ForeignKey("vehicle_types.vehicle_type_id"))
    availability: Mapped[str] = mapped_column(String(20), default="available")
    available_until: Mapped[datetime | None]  # a maintenance or out-of-service spell's planned end
    availability_reason: Mapped[str | None] = mapped_column(String(500))


class DispatchDayRow(Base):
    __tablename__ = "dispatch_days"
    dispatch_day_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"))
    service_date: Mapped[date] = mapped_column(Date)
    plan_version: Mapped[int] = mapped_column(Integer, default=0)
    set_up_at: Mapped[datetime]
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    temperature_profile: Mapped[list[Any] | None] = mapped_column(JSON)  # [[hour, degC], ...] local hours

    __table_args__ = (UniqueConstraint("depot_id", "service_date"),)


class BlockRow(Base):
    """A block on a dispatch day: scheduled (from a schedule) or ad-hoc (entered by an operator)."""

    __tablename__ = "blocks"
    block_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispatch_day_id: Mapped[int] = mapped_column(ForeignKey("dispatch_days.dispatch_day_id"))
    block_id: Mapped[str] = mapped_column(String(200))
    block_name: Mapped[str | None] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16), default="scheduled")
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.schedule_id", ondelete="SET NULL"))
    pull_out: Mapped[datetime]
    pull_in: Mapped[datetime]
    distance_km: Mapped[float | None] = mapped_column(Float)
    distance_source: Mapped[str] = mapped_column(String(32))
    trip_ids: Mapped[list[Any]] = mapped_column(default=list)
    routes: Mapped[list[Any]] = mapped_column(default=list)
    vehicle_class: Mapped[str | None] = mapped_column(String(64))
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    signature: Mapped[str] = mapped_column(String(64))
    adhoc_reason: Mapped[str | None] = mapped_column(String(32))
    replaces_block: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    actual_start: Mapped[datetime | None]
    actual_end: Mapped[datetime | None]
    actual_vehicle_id: Mapped[str | None] = mapped_column(String(64))  # the bus seen on it (live data)

    __table_args__ = (UniqueConstraint("dispatch_day_id", "block_id"),)


class SocReadingRow(Base):
    __tablename__ = "soc_readings"
    reading_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"))
    soc_pct: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
    odometer_km: Mapped[float | None] = mapped_column(Float)
    plugged_in: Mapped[bool | None] = mapped_column(Boolean)
    charger_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("vehicle_id", "measured_at", "source"),
        Index("ix_soc_readings_vehicle_time", "vehicle_id", "measured_at"),
    )


class AssignmentRow(Base):
    """The plan: at most one vehicle per block of a dispatch day."""

    __tablename__ = "assignments"
    block_pk: Mapped[int] = mapped_column(ForeignKey("blocks.block_pk"), primary_key=True)
    dispatch_day_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_days.dispatch_day_id"), index=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime]
    override_reason: Mapped[str | None] = mapped_column(String(500))
    acknowledged: Mapped[list[Any]] = mapped_column(default=list)


class EventRow(Base):
    """The audit log: every change, with who, when, before and after."""

    __tablename__ = "events"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"))
    service_date: Mapped[date | None] = mapped_column(Date)
    block_id: Mapped[str | None] = mapped_column(String(200))
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    plan_version: Mapped[int | None] = mapped_column(Integer)
    # JSONB on PostgreSQL: parsed once when written, so reading a field (->>) of a year's events is cheap
    before: Mapped[dict[str, Any] | None] = mapped_column(EVENT_DOC)
    after: Mapped[dict[str, Any] | None] = mapped_column(EVENT_DOC)

    __table_args__ = (
        Index("ix_events_day", "depot_id", "service_date"),
        Index("ix_events_vehicle", "vehicle_id"),
    )


class RecommendationRow(Base):
    """Advice shown for a day, accepted later by id: a recommendation's proposals and change-out
    suggestions (the last one preferred next time: stability), or a re-plan's moves (`kind`)."""

    __tablename__ = "recommendations"
    recommendation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispatch_day_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_days.dispatch_day_id"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    proposals: Mapped[list[Any]] = mapped_column(default=list)
    uncovered: Mapped[list[Any]] = mapped_column(default=list)
    change_outs: Mapped[list[Any]] = mapped_column(default=list)
    moves: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(16), default="recommendation")


class SheetPreviewRow(Base):
    """What a previewed sheet would do (its rows' actions, not the file), until it is applied."""

    __tablename__ = "sheet_previews"
    preview_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dispatch_day_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_days.dispatch_day_id"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    format: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[Any]] = mapped_column(default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[datetime | None]
    applied_version: Mapped[int | None] = mapped_column(Integer)


class ChargerRow(Base):
    """A depot's charger: `max_kw` shared by its connectors (DESIGN §12a)."""

    __tablename__ = "chargers"
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"), primary_key=True)
    charger_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    max_kw: Mapped[float] = mapped_column(Float)
    connectors: Mapped[int] = mapped_column(Integer, default=1)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class VehicleYardRow(Base):
    """Where a bus stands in the yard and which charger it is plugged into, as last told."""

    __tablename__ = "vehicle_yard"
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.vehicle_id"), primary_key=True)
    bay: Mapped[str | None] = mapped_column(String(32))
    lane: Mapped[str | None] = mapped_column(String(32))
    lane_order: Mapped[int | None] = mapped_column(Integer)
    charger_id: Mapped[str | None] = mapped_column(String(64))
    plugged_at: Mapped[datetime | None]  # when the yard last plugged it in
    unplugged_at: Mapped[datetime | None]  # when the yard last unplugged it
    updated_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))


class TelemetryRejectionRow(Base):
    """Telemetry messages refused, counted per depot (as the topic says; '' when unreadable) and reason."""

    __tablename__ = "telemetry_rejections"
    depot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_detail: Mapped[str] = mapped_column(String(300))
    last_at: Mapped[datetime]


class UserRow(Base):
    """A person (or a service account) who signs in or holds API tokens; never deleted, only disabled."""

    __tablename__ = "users"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    depots: Mapped[list[Any] | None] = mapped_column(JSON)  # None: every depot
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]


class ApiTokenRow(Base):
    """A bearer token: only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"
    token_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A signed-in browser: keyed by the SHA-256 of the cookie's session id."""

    __tablename__ = "web_sessions"
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(64))


class SignInFailureRow(Base):
    """Failed sign-ins within the rate-limit window, per account name and per address."""

    __tablename__ = "sign_in_failures"
    failure_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_sign_in_failures_name_at", "name", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )


class ChangeFeedRow(Base):
    """SQLite's change feed across processes (PostgreSQL uses NOTIFY): each announced change, written in the
    writer's transaction, read by every process's poller (adapters/changes_sqlite.py). Pruned as it grows."""

    __tablename__ = "change_feed"
    change_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(32))  # the writing process's hub: it has published it already
    payload: Mapped[str] = mapped_column(String(4000))
