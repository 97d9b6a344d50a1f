"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from depotdispatch.adapters.db.engine import make_engine
from depotdispatch.adapters.db.tables import Base, DepotRow


def test_models_match_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_times_come_back_as_the_same_utc_instant(app) -> None:
    local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with app.uow() as uow:
        uow.session.add(DepotRow(depot_id="T", name="T", timezone="UTC", lookback_min=1, lookahead_min=1,
                                 reserve_pct=1, settings={}, created_at=local))
        uow.commit()
    with app.uow() as uow:
        back = uow.session.get(DepotRow, "T").created_at
    assert back == local and back.utcoffset() == timedelta(0)


def test_sqlite_enforces_foreign_keys(app, backend) -> None:
    with app.uow() as uow:
        try:
            uow.session.execute(text("INSERT INTO vehicles (vehicle_id, depot_id, vehicle_type_id, availability) "
                                     "VALUES ('x', 'nope', 1, 'available')"))
            uow.commit()
            inserted = True
        except Exception:
            inserted = False
    assert not inserted


def _filled(app) -> dict[str, int]:
    """A depot with a schedule, a set-up day, a fleet, readings and an assignment; the rows of every table."""
    from datetime import date

    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability
    from depotdispatch.domain.depots import Depot
    from depotdispatch.domain.fleet import FleetEntry, VehicleType
    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services import days, depots, fleet, readings, schedules
    from depotdispatch.services import plan as plan_svc
    from tests.auth_helpers import make_user

    now = datetime.fromisoformat("2026-11-25T04:00:00+00:00")
    ev = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
    depots.add_depot(app.uow(), Depot("M", "M", "UTC"), now)
    schedules.import_blocks(app.uow(), "M", "b", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                             b"A,05:00,09:00,60\nB,10:00,12:00,40\n"),
                            Applicability(date(2026, 11, 25), date(2026, 11, 25)), now)
    days.setup_day(app.uow(), "M", date(2026, 11, 25), now)
    fleet.import_fleet(app.uow(), "M", [FleetEntry(1, "E1", ev)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 95, now, "telematics"))], now)
    plan_svc.assign(app.uow(), "M", date(2026, 11, 25), "A", "E1", plan_version=0, actor="t", now=now)
    make_user(app)
    return _counts(app)


def _counts(app) -> dict[str, int]:
    """Rows per table, of the tables there are at the database's revision."""
    with app.engine.connect() as conn:
        there = set(inspect(conn).get_table_names())
        return {t.name: conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one()
                for t in Base.metadata.sorted_tables if t.name in there}


def test_no_cascade_migration_keeps_every_row_both_ways_and_a_parent_with_children_cannot_go(app, db_url) -> None:
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from depotdispatch.adapters.db.migrate import alembic_config, upgrade

    before = _filled(app)
    assert before["assignments"] == 1 and before["blocks"] == 2
    app.close()
    command.downgrade(alembic_config(db_url), "i14_unplugged_at")
    later = {"schedule_stops", "depot_allowances"}  # the tables made after that revision (empty here)
    assert _counts(app) == {k: v for k, v in before.items() if k not in later} and not any(before[k] for k in later)
    upgrade(db_url)
    assert _counts(app) == before
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # nothing cascades any more: the block's assignment must go first
            try:
                conn.execute(text("DELETE FROM blocks WHERE block_id = 'A'"))
                refused = False
            except IntegrityError:
                refused = True
        assert refused
        assert _counts(app) == before
    finally:
        engine.dispose()


def test_the_allowances_migration_goes_down_and_up_keeping_every_other_row(app, db_url) -> None:
    """Revision `allowances` (the overrides per route and stop, DESIGN §12a): down drops its table and
    nothing else, up makes it again, and the depot reads what is written to it."""
    from alembic import command

    from depotdispatch.adapters.db.migrate import alembic_config, upgrade
    from depotdispatch.adapters.db.tables import AllowanceRow

    before = _filled(app)
    now = datetime.fromisoformat("2026-11-25T04:00:00+00:00")
    with app.uow() as uow:
        uow.session.add(AllowanceRow(depot_id="M", scope="route", ref="7", pull_out_min=25, pull_out_km=None,
                                     pull_in_min=None, pull_in_km=3.5, updated_at=now))
        uow.commit()
    with app.uow() as uow:
        (rule,) = uow.depots.get("M").overrides.rules
    assert (rule.scope, rule.ref, rule.values()) == (
        "route", "7", {"pull_out_min": 25, "pull_out_km": None, "pull_in_min": None, "pull_in_km": 3.5})
    app.close()
    command.downgrade(alembic_config(db_url), "i16_stops")
    with app.engine.connect() as conn:
        assert "depot_allowances" not in inspect(conn).get_table_names()
    assert _counts(app) == {k: v for k, v in before.items() if k != "depot_allowances"}
    upgrade(db_url)
    assert _counts(app) == before  # back, and empty
    with app.uow() as uow:
        assert not uow.depots.get("M").overrides
        uow.session.add(AllowanceRow(depot_id="M", scope="stop", ref="S1", pull_out_min=None, pull_out_km=None,
                                     pull_in_min=4, pull_in_km=None, updated_at=now))
        uow.commit()
    with app.uow() as uow:
        assert [o.ref for o in uow.depots.get("M").overrides.rules] == ["S1"]
    test_models_match_migrations(db_url)
