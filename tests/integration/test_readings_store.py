"""Storing SoC readings (DESIGN §11): deduplicated on (vehicle, measured_at, source) by the database itself,
so a second writer of the same reading at the same moment is a duplicate, not an error; both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import depots, fleet
from tests.helpers import NOW

EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3)


def _fleet(app) -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot("S", "Store depot", "UTC"), NOW)
    fleet.import_fleet(app.uow(), "S", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])


def _at(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_new_readings_are_counted_and_duplicates_skipped(app) -> None:  # type: ignore[no-untyped-def]
    _fleet(app)
    first = [SocReading("E1", 80, _at(30), "telematics", odometer_km=1200.5, plugged_in=True, charger_id="C1"),
             SocReading("E2", 60, _at(30), "telematics")]
    with app.uow() as uow:
        assert uow.readings.add_new(first, NOW) == 2
        uow.commit()
    again = [*first, SocReading("E1", 79, _at(30), "charger"), SocReading("E1", 78, _at(20), "telematics"),
             SocReading("E1", 78, _at(20), "telematics")]  # same key twice in one batch: one row
    with app.uow() as uow:
        assert uow.readings.add_new(again, NOW) == 2  # the charger's reading and the later one
        uow.commit()
    with app.uow() as uow:
        stored = uow.readings.for_vehicle("E1")
    assert sorted((r.measured_at, r.source, r.soc_pct) for r in stored) == [
        (_at(30), "charger", 79), (_at(30), "telematics", 80), (_at(20), "telematics", 78)]
    kept = next(r for r in stored if r.source == "telematics" and r.measured_at == _at(30))
    assert (kept.odometer_km, kept.plugged_in, kept.charger_id) == (1200.5, True, "C1")
    assert kept.measured_at.tzinfo is not None and kept.measured_at.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused_and_nothing_is_stored(app) -> None:  # type: ignore[no-untyped-def]
    _fleet(app)
    with app.uow() as uow, pytest.raises(ValueError, match="naive"):
        uow.readings.add_new([SocReading("E1", 80, _at(5), "telematics"),
                              SocReading("E2", 80, _at(5).replace(tzinfo=None), "telematics")], NOW)
    with app.uow() as uow:
        assert uow.readings.for_vehicle("E1") == [] and uow.readings.for_vehicle("E2") == []


def test_two_writers_of_the_same_reading_store_it_once(app) -> None:  # type: ignore[no-untyped-def]
    """The second writer waits for the first one's commit, then finds the reading stored: no error."""
    _fleet(app)
    reading = [SocReading("E1", 55, _at(1).astimezone(UTC), "telematics")]
    results: dict[str, object] = {}

    def second() -> None:
        try:
            with app.uow() as uow:
                results["second"] = uow.readings.add_new(reading, NOW)
                uow.commit()
        except Exception as exc:  # noqa: BLE001 - the assertion below says what went wrong
            results["second"] = exc

    with app.uow() as uow:
        results["first"] = uow.readings.add_new(reading, NOW)
        other = threading.Thread(target=second)
        other.start()
        other.join(0.5)  # it is waiting for this transaction (PostgreSQL: the key; SQLite: the write lock)
        uow.commit()
    other.join(15)
    assert results == {"first": 1, "second": 0}
    with app.uow() as uow:
        assert len(uow.readings.for_vehicle("E1")) == 1
