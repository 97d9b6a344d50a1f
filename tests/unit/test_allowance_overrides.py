"""Allowances per route and per first/last stop (DESIGN §12a, domain/allowances.py): for each value the stop
beats the route, the route beats the depot; the pull-out side is the first trip's, the pull-in side the last
trip's; a yard-timed block takes none; bad values are refused with a sentence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.domain.allowances import Override, Overrides, TripEnds
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from tests.builders import T0

MIN = timedelta(minutes=1)
TRIPS = (("a1", TripEnds("7", "S1", "S2")), ("a2", TripEnds("7", "S2", "S3")),
         ("b1", TripEnds("9", "S3", "S4")), ("b2", TripEnds("9", "S4", "S5")))


def depot(*rules: Override) -> Depot:
    return Depot("X", "X", "UTC", pull_out_allowance_min=10, pull_in_allowance_min=5, pull_out_allowance_km=2,
                 pull_in_allowance_km=1, overrides=Overrides(rules, TRIPS))


def test_a_route_sets_its_own_and_the_depot_fills_the_rest() -> None:
    d = depot(Override("route", "7", pull_out_min=25, pull_out_km=9))
    a = d.allowance(("a1", "a2"))
    assert (a.pull_out_min, a.pull_out_km, a.pull_in_min, a.pull_in_km) == (25, 9.0, 5, 1.0)
    assert a.sources == ("route 7", "route 7", "depot", "depot")
    assert d.allowances(("a1", "a2")) == (25 * MIN, 5 * MIN)
    assert d.yard_out(T0, ("a1", "a2")) == T0 - 25 * MIN
    assert (d.deadhead(("a1",)).out_km, d.deadhead(("a1",)).in_km) == (9.0, 1.0)
    # a block of route 9 and a trip the overrides do not know take the depot's
    assert d.allowances(("b1", "b2")) == d.allowances(("zz",)) == (10 * MIN, 5 * MIN)


def test_pull_out_from_the_first_trip_and_pull_in_from_the_last() -> None:
    """A block that starts on route 7 and ends on route 9: route 7's pull-out, route 9's pull-in (the block's
    routes in first-seen order would name route 7 for both)."""
    d = depot(Override("route", "7", pull_out_min=25, pull_in_min=40),
              Override("route", "9", pull_out_min=1, pull_in_min=15, pull_in_km=6))
    a = d.allowance(("a1", "a2", "b1", "b2"))
    assert (a.pull_out_min, a.pull_in_min, a.pull_in_km) == (25, 15, 6.0)
    assert d.allowance(("b1", "a2")).pull_out_min == 1 and d.allowance(("b1", "a2")).pull_in_min == 40


def test_a_first_or_last_stop_beats_the_route() -> None:
    d = depot(Override("route", "7", pull_out_min=25, pull_in_min=40),
              Override("stop", "S1", pull_out_min=3, pull_in_min=99),  # S1 starts a1: only its pull-out counts
              Override("stop", "S3", pull_in_km=4.5))  # a2 ends at S3
    a = d.allowance(("a1", "a2"))
    assert (a.pull_out_min, a.pull_in_min, a.pull_in_km) == (3, 40, 4.5)
    assert a.sources == ("stop S1", "depot", "route 7", "stop S3")
    # S3 is where b1 starts: the stop's pull-in value is not a pull-out value
    assert d.allowance(("b1",)).pull_out_min == 10


def test_a_yard_timed_block_takes_none_of_them() -> None:
    d = depot(Override("route", "7", pull_out_min=25, pull_out_km=9))
    assert d.allowances(()) == (timedelta(0), timedelta(0)) and d.deadhead(()).km == 0
    assert d.yard_out(T0, ()) == T0


def test_a_changed_depot_default_is_seen_through_the_same_overrides() -> None:
    from dataclasses import replace

    d = depot(Override("route", "7", pull_out_min=25))
    assert d.allowance(("b1",)).pull_out_min == 10
    assert replace(d, pull_out_allowance_min=30).allowance(("b1",)).pull_out_min == 30  # not a stale memo


@pytest.mark.parametrize(("values", "message"), [
    ({"pull_out_min": -1}, "pull-out allowance -1 min: give whole minutes from 0 to 240"),
    ({"pull_in_min": 241}, "pull-in allowance 241 min: give whole minutes from 0 to 240"),
    ({"pull_in_min": 2.5}, "pull-in allowance 2.5 min: give whole minutes"),
    ({"pull_out_min": "ten"}, "pull-out allowance 'ten' min"),
    ({"pull_out_km": -3.0}, "pull-out allowance -3.0 km: give a distance from 0 to 100 km"),
    ({"pull_in_km": float("nan")}, "pull-in allowance nan km"),
    ({"pull_in_km": "far"}, "pull-in allowance 'far' km"),
])
def test_bad_values_are_refused_with_a_sentence(values: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(".", r"\.")):
        Override("route", "7", **values)  # type: ignore[arg-type]


def test_a_scope_is_a_route_or_a_stop_and_an_id_is_not_empty() -> None:
    with pytest.raises(InvalidInput, match="a route or a stop, not 'block'"):
        Override("block", "7")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="route id: empty"):
        Override("route", "  ")
    with pytest.raises(InvalidInput, match="stop_id is 201 characters long"):
        Override("stop", "x" * 201)


def test_a_depot_with_overrides_still_hashes_and_compares() -> None:
    assert depot(Override("route", "7", pull_out_min=25)) == depot(Override("route", "7", pull_out_min=25))
    assert depot(Override("route", "7", pull_out_min=25)) != depot(Override("route", "7", pull_out_min=26))
    assert hash(depot(Override("route", "7", pull_out_min=25))) == hash(depot(Override("route", "7", pull_out_min=25)))
