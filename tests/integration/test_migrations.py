"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

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
