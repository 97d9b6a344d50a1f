"""Pull-out and pull-in allowances per route and per first/last stop (DESIGN §12a).

A depot sets its allowances (minutes and deadhead km, each side) once for every block timed by its trips;
a route, or the stop a block starts or ends at, may set its own. For each of the four values the most
specific rule that sets it wins: the stop (the first trip's first stop for the pull-out side, the last
trip's last stop for the pull-in side), then the route (the first trip's route for the pull-out side, the
last trip's for the pull-in side), then the depot. A rule may set only some values: the rest come from the
next rule down. `Depot.allowance` applies it (domain/depots.py); this module holds the overrides and the
trips they can touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from depotdispatch.domain.deadhead import check_km
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import text_problem

MAX_ALLOWANCE_MIN = 240
VALUES = ("pull_out_min", "pull_out_km", "pull_in_min", "pull_in_km")
_WORDS = {"pull_out_min": "pull-out allowance", "pull_out_km": "pull-out allowance",
          "pull_in_min": "pull-in allowance", "pull_in_km": "pull-in allowance"}


class Scope(StrEnum):
    """What an override is set for."""

    ROUTE = "route"
    STOP = "stop"


def check_minutes(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ALLOWANCE_MIN:
        raise InvalidInput(f"{what} {value!r} min: give whole minutes from 0 to {MAX_ALLOWANCE_MIN}")


@dataclass(frozen=True)
class Override:
    """The allowances one route or one stop sets; a value left None is the next rule's (route, then depot).
    A stop's pull-out values apply where a block starts there, its pull-in values where one ends there."""

    scope: Scope
    ref: str  # the route_id or stop_id, as the feed names it
    pull_out_min: int | None = None
    pull_out_km: float | None = None
    pull_in_min: int | None = None
    pull_in_km: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.scope, Scope):
            try:
                object.__setattr__(self, "scope", Scope(self.scope))
            except ValueError:
                raise InvalidInput(f"an allowance is set for a route or a stop, not {str(self.scope)[:40]!r}"
                                   ) from None
        field_name = "route_id" if self.scope is Scope.ROUTE else "stop_id"
        problem = "empty" if not self.ref.strip() else text_problem(self.ref, field_name)
        if problem:
            raise InvalidInput(f"{self.scope} id: {problem}" if problem == "empty" else problem)
        for name in VALUES:
            value = getattr(self, name)
            if value is None:
                continue
            if name.endswith("_min"):
                check_minutes(value, _WORDS[name])
            else:
                check_km(value, _WORDS[name])
                object.__setattr__(self, name, float(value))

    def values(self) -> dict[str, int | float | None]:
        return {k: getattr(self, k) for k in VALUES}

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.values().values())


@dataclass(frozen=True, slots=True)
class TripEnds:
    """What the rule needs of a trip: its route and the stops it starts and ends at."""

    route_id: str
    first_stop: str
    last_stop: str


@dataclass(frozen=True, slots=True)
class Chosen:
    """The four allowances of one block and the rule each came from ("depot", "route 7", "stop 1530")."""

    pull_out_min: int
    pull_out_km: float
    pull_in_min: int
    pull_in_km: float
    sources: tuple[str, str, str, str]  # in VALUES order


@dataclass(frozen=True)
class Overrides:
    """A depot's overrides and the trips of its schedules they can touch (a trip on an overridden route or
    starting or ending at an overridden stop; any other trip takes the depot's allowances). Built by the
    repository that loads the depot; the same trip id in several schedules: the last one given wins."""

    rules: tuple[Override, ...] = ()
    trips: tuple[tuple[str, TripEnds], ...] = ()
    _routes: dict[str, Override] = field(init=False, compare=False, repr=False)
    _stops: dict[str, Override] = field(init=False, compare=False, repr=False)
    _ends: dict[str, TripEnds] = field(init=False, compare=False, repr=False)
    # (first trip, last trip, the depot's values) -> what `choose` gave: the judge asks for the same blocks
    # many times
    _memo: dict[tuple[str, str, tuple[int, float, int, float]], Chosen] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_routes", {o.ref: o for o in self.rules if o.scope is Scope.ROUTE})
        object.__setattr__(self, "_stops", {o.ref: o for o in self.rules if o.scope is Scope.STOP})
        object.__setattr__(self, "_ends", dict(self.trips))
        object.__setattr__(self, "_memo", {})

    def __bool__(self) -> bool:
        return bool(self.rules)

    def get(self, scope: Scope, ref: str) -> Override | None:
        return (self._routes if scope is Scope.ROUTE else self._stops).get(ref)

    def choose(self, first_trip: str, last_trip: str, default: tuple[int, float, int, float]) -> Chosen:
        """The allowances of a block whose first and last trips are these (DESIGN §12a): stop > route > depot,
        value by value; the pull-out side from the first trip, the pull-in side from the last."""
        key = (first_trip, last_trip, default)
        done = self._memo.get(key)
        if done is not None:
            return done
        first, last = self._ends.get(first_trip), self._ends.get(last_trip)
        picked: list[int | float] = []
        sources: list[str] = []
        for name, fallback in zip(VALUES, default, strict=True):
            ends = first if name.startswith("pull_out") else last
            value: int | float | None = None
            source = "depot"
            if ends is not None:
                stop = ends.first_stop if name.startswith("pull_out") else ends.last_stop
                for scope, ref in ((Scope.STOP, stop), (Scope.ROUTE, ends.route_id)):
                    rule = self.get(scope, ref)
                    if rule is not None and getattr(rule, name) is not None:
                        value, source = getattr(rule, name), f"{scope} {ref}"
                        break
            picked.append(fallback if value is None else value)
            sources.append(source)
        out_min, out_km, in_min, in_km = picked
        done = Chosen(int(out_min), float(out_km), int(in_min), float(in_km),
                      (sources[0], sources[1], sources[2], sources[3]))
        self._memo[key] = done
        return done


NO_OVERRIDES = Overrides()
