"""KPI rules over plain records: an EV out of service before a diesel block's pull-out leaves no
substitution; one that goes out of service only after it does."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta

import pytest

from depotdispatch.adapters.db.kpi_repo import _TripLists, records
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.events import Event
from depotdispatch.domain.kpi import KpiFacts, block_outcome, compute
from depotdispatch.domain.kpi_records import (
    Availability,
    ReadingLog,
    Step,
    VehicleChange,
    in_effect,
    steps_from_changes,
    steps_from_events,
)
from depotdispatch.domain.readings import SocReading
from tests.builders import DIESEL, EV, block, vehicle

DAY = date(2026, 11, 25)
T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _assigned(event_id: int, block_id: str, vid: str, when: datetime, **after: object) -> Event:
    return Event("D", "assigned", "t", when, DAY, block_id, vid, event_id, before=None,
                 after={"vehicle_id": vid, "source": "manual", **after})


def facts(extra: list[Event]) -> KpiFacts:
    b = block("B1", T, hours=4, km=50)
    events = [_assigned(1, "B1", "D1", T - timedelta(hours=7), viability="ok"), *extra]
    readings = ReadingLog([SocReading("E1", 90, T - timedelta(hours=1), "telematics", plugged_in=True)])
    return KpiFacts(Depot("D", "D", "UTC"), {"XE40": EV, "D40": DIESEL},
                    {"E1": vehicle("E1"), "D1": vehicle("D1", DIESEL)}, [b], steps_from_events(events),
                    Availability({"E1": "available", "D1": "available"}, events), readings)


def _maintenance(when: datetime) -> Event:
    return Event("D", "availability_changed", "t", when, None, None, "E1", None,
                 before={"availability": "available"}, after={"availability": "maintenance"})


def test_an_ev_out_of_service_before_pull_out_is_no_substitution() -> None:
    after = T + timedelta(days=1)
    assert [s.ev_available for s in compute(facts([]), DAY, DAY, after).substitutions] == ["E1"]
    assert compute(facts([_maintenance(T - timedelta(hours=3))]), DAY, DAY, after).substitutions == []
    later = compute(facts([_maintenance(T + timedelta(hours=1))]), DAY, DAY, after)
    assert [s.ev_available for s in later.substitutions] == ["E1"]  # it was free and fine at pull-out


def test_the_plan_in_effect_is_the_last_change_before_the_moment() -> None:
    steps = steps_from_events([_assigned(1, "B1", "E1", T - timedelta(hours=5)),
                               Event("D", "unassigned", "t", T - timedelta(hours=2), DAY, "B1", "E1", 2,
                                     before={"vehicle_id": "E1"}, after=None)])[(DAY, "B1")]
    assert in_effect(steps, T - timedelta(hours=6)) is None
    assert in_effect(steps, T - timedelta(hours=3)).vehicle_id == "E1"  # type: ignore[union-attr]
    assert in_effect(steps, T) is None


def test_steps_are_each_blocks_vehicle_changes_in_time_order() -> None:
    """Ties in time go by event id; a change that names no vehicle, belongs to no block or changes nothing
    is no step, but an override that keeps the vehicle is; the source falls back to the event's kind."""
    def change(at: datetime, eid: int, block_id: str | None, before: str | None, after: str | None,
               reason: str | None = None, source: str | None = "manual") -> VehicleChange:
        return VehicleChange(at, eid, DAY, block_id, "reassigned", before, after, source, reason,
                             ("soc_marginal",) if reason else (), "ok")
    t = T - timedelta(hours=2)
    steps = steps_from_changes([
        change(t + timedelta(minutes=5), 4, "B1", "E1", "E2"), change(t, 3, "B1", None, "E1", source=None),
        change(t + timedelta(minutes=5), 2, "B2", None, "D1"), change(t, 5, "B2", None, None),
        change(t, 6, None, None, "E3"), change(t + timedelta(minutes=9), 7, "B1", "E2", "E2"),
        change(t + timedelta(minutes=9), 8, "B2", "D1", "D1", reason="only bus left")])
    assert steps == {
        (DAY, "B1"): [Step(t, "E1", "manual", "reassigned", 3, None, (), "ok"),
                      Step(t + timedelta(minutes=5), "E2", "manual", "reassigned", 4, None, (), "ok")],
        (DAY, "B2"): [Step(t + timedelta(minutes=5), "D1", "manual", "reassigned", 2, None, (), "ok"),
                      Step(t + timedelta(minutes=9), "D1", "manual", "reassigned", 8, "only bus left",
                           ("soc_marginal",), "ok")]}


def test_outcome_of_a_block() -> None:
    b = block("B1", T, hours=4, km=50)
    log = ReadingLog([SocReading("E1", 12, T + timedelta(hours=4, minutes=10), "telematics")])
    kw = {"reserve_pct": 20.0, "readings": log, "look_after": timedelta(hours=6)}
    assert block_outcome(b, "E1", changed_out=False, **kw).kind == "below_reserve"  # type: ignore[arg-type]
    assert block_outcome(b, "E1", changed_out=True, **kw).kind == "changed_out"  # type: ignore[arg-type]
    assert block_outcome(b, "E2", changed_out=False, **kw).kind == "unknown"  # type: ignore[arg-type]
    short = block("B1", T, hours=4, km=50, actual_start=T, actual_end=T + timedelta(hours=2))
    assert block_outcome(short, "E2", changed_out=False, **kw).kind == "cut_short"  # type: ignore[arg-type]


def test_blocks_made_from_rows_are_the_blocks_the_constructor_makes() -> None:
    names = ("service_date", "pk", "block_id", "pull_out", "pull_in", "distance_km", "distance_source", "note")
    values = (DAY, 7, "B1", T, T + timedelta(hours=4), 50.0, "stated", "change-out of A1")
    made = records(DayBlock, names)(values)
    assert made == DayBlock(**dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
    assert hash(made) == hash(DayBlock(**dict(zip(names, values, strict=True))))  # type: ignore[arg-type]
    assert made.trip_ids == () and made.actual_end is None  # the fields not given take their defaults
    with pytest.raises(FrozenInstanceError):
        made.note = "x"  # type: ignore[misc]


def test_stored_trip_lists_are_decoded_once_per_distinct_text() -> None:
    trips = _TripLists()
    first = trips('["t1", "t2"]')
    assert first == ("t1", "t2") and trips('["t1", "t2"]') is first  # the same list on another day: no decoding
    assert trips('["t3"]') == ("t3",) and trips("[]") == () and trips(None) == () and trips("null") == ()


def test_each_diesel_block_judges_the_ev_from_its_own_latest_reading() -> None:
    """Two days, a diesel on B1 each day, E1 free both days: on Wednesday E1 read 90 % (ok: a
    substitution), on Thursday 8 % (not ok: none). The judge asked on Thursday must not reuse
    Wednesday's projection of E1."""
    thu, t2 = DAY + timedelta(days=1), T + timedelta(days=1)
    blocks = [block("B1", T, hours=4, km=50), block("B1", t2, hours=4, km=50, service_date=thu)]
    events = [_assigned(1, "B1", "D1", T - timedelta(hours=7), viability="ok"),
              Event("D", "assigned", "t", t2 - timedelta(hours=7), thu, "B1", "D1", 2, before=None,
                    after={"vehicle_id": "D1", "source": "manual", "viability": "ok"})]
    readings = ReadingLog([SocReading("E1", 90, T - timedelta(hours=1), "telematics", plugged_in=False),
                           SocReading("E1", 8, t2 - timedelta(hours=1), "telematics", plugged_in=False)])
    f = KpiFacts(Depot("D", "D", "UTC"), {"XE40": EV, "D40": DIESEL},
                 {"E1": vehicle("E1"), "D1": vehicle("D1", DIESEL)}, blocks, steps_from_events(events),
                 Availability({"E1": "available", "D1": "available"}, events), readings)
    subs = compute(f, DAY, thu, t2 + timedelta(days=1)).substitutions
    assert [(s.service_date, s.ev_available) for s in subs] == [(DAY, "E1")]


@pytest.mark.parametrize(("gap_min", "free"), [(-30, False), (5, False), (9, False), (10, True), (30, True)])
def test_an_ev_is_free_for_a_diesel_block_only_a_full_turnaround_after_its_own(gap_min: int, free: bool) -> None:
    """The plan's one overlap-and-turnaround rule (domain/turnaround.py): E1 holds A, which ends `gap_min`
    before the diesel's B1 pulls out (the depot's turnaround is 10 min). Overlapping or closer than a
    turnaround, E1 was busy: no substitution; a full turnaround or more, it was free and fine. (The busy
    test is a vectorised first pass; the judge asked after it refuses a clash too, so a pass too lenient
    shows only in time, one too strict fails here.)"""
    a = block("A", T - timedelta(minutes=60 + gap_min), hours=1, km=5)
    b1 = block("B1", T, hours=4, km=50)
    events = [_assigned(1, "B1", "D1", T - timedelta(hours=7), viability="ok"),
              _assigned(2, "A", "E1", T - timedelta(hours=7), viability="ok")]
    readings = ReadingLog([SocReading("E1", 90, T - timedelta(hours=3), "telematics", plugged_in=False)])
    f = KpiFacts(Depot("D", "D", "UTC", turnaround_min=10), {"XE40": EV, "D40": DIESEL},
                 {"E1": vehicle("E1"), "D1": vehicle("D1", DIESEL)}, [a, b1], steps_from_events(events),
                 Availability({"E1": "available", "D1": "available"}, events), readings)
    subs = compute(f, DAY, DAY, T + timedelta(days=1)).substitutions
    assert [(s.block_id, s.ev_available) for s in subs] == ([("B1", "E1")] if free else [])


def test_an_ev_never_read_is_no_substitution_and_no_crash() -> None:
    """Found replaying HART's day: `kpi` crashed (IndexError) when an EV of the depot had no reading at all.
    E2 never read: not ok for B1, so it is never the EV a diesel stood in for; E1 still is."""
    f = facts([])
    f = KpiFacts(f.depot, f.types, {**f.vehicles, "E2": vehicle("E2")}, f.blocks, f.steps,
                 Availability({"E1": "available", "E2": "available", "D1": "available"}, []), f.readings)
    assert [s.ev_available for s in compute(f, DAY, DAY, T + timedelta(days=1)).substitutions] == ["E1"]
    none_read = KpiFacts(f.depot, f.types, f.vehicles, f.blocks, f.steps, f.availability, ReadingLog([]))
    assert compute(none_read, DAY, DAY, T + timedelta(days=1)).substitutions == []
