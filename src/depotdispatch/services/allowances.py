"""Pull-out and pull-in allowances per route and per first/last stop (DESIGN §12a): set, list, clear.

The only writer of the overrides; each change writes an Event (the audit log) and announces a depot change,
so boards and the yard read the depot again. What a block takes is `Depot.allowance`'s rule
(domain/allowances.py); the depot-wide values are charging settings (services/yard.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from depotdispatch.domain.allowances import VALUES, Override, Scope
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.words import EventKind
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


def depot_values(depot: Depot) -> dict[str, int | float]:
    """The depot-wide allowances, under the names an override uses."""
    a = depot.default_allowance()
    return {"pull_out_min": a.pull_out_min, "pull_out_km": a.pull_out_km, "pull_in_min": a.pull_in_min,
            "pull_in_km": a.pull_in_km}


def override_doc(o: Override, name: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"scope": str(o.scope), f"{o.scope}_id": o.ref}
    if o.scope is Scope.STOP:
        doc["name"] = name
    return {**doc, **o.values()}


def named_doc(uow: UnitOfWork, depot_id: str, o: Override) -> dict[str, Any]:
    """`override_doc`, with a stop's name as the depot's feeds give it."""
    if o.scope is not Scope.STOP:
        return override_doc(o)
    with uow:
        return override_doc(o, uow.schedules.stop_names(depot_id, [o.ref]).get(o.ref))


def allowances_doc(uow: UnitOfWork, depot_id: str) -> dict[str, Any]:
    """The depot's allowances (`depot`) and each override (`routes`, `stops`; a null value is the next rule's)."""
    with uow:
        depot = require_depot(uow, depot_id)
        stops = [o.ref for o in depot.overrides.rules if o.scope is Scope.STOP]
        names = uow.schedules.stop_names(depot_id, stops)
    rules = depot.overrides.rules
    return {"depot_id": depot_id, "depot": depot_values(depot),
            "routes": [override_doc(o) for o in rules if o.scope is Scope.ROUTE],
            "stops": [override_doc(o, names.get(o.ref)) for o in rules if o.scope is Scope.STOP]}


def _scope(scope: str) -> Scope:
    try:
        return Scope(scope)
    except ValueError:
        raise InvalidInput(f"an allowance is set for a route or a stop, not {scope[:40]!r}") from None


def set_allowance(uow: UnitOfWork, depot_id: str, scope: str, ref: str, now: datetime, actor: str,
                  **changes: int | float | None) -> Override:
    """Set some of a route's or a stop's allowances (`pull_out_min`, `pull_out_km`, `pull_in_min`,
    `pull_in_km`); the others keep what they had. None: that value is the next rule's again. The route or
    stop must be one the depot's trips run on or start or end at; a bad value or name changes nothing."""
    where = _scope(scope)
    unknown = sorted(set(changes) - set(VALUES))
    if unknown:
        raise InvalidInput(f"unknown allowance {unknown[0]!r}: give {', '.join(VALUES)}")
    if not changes:
        raise InvalidInput("give at least one allowance to set (pull-out or pull-in, minutes or km)")
    probe = Override(where, ref)  # the id is checked before anything is looked up
    with uow:
        depot = require_depot(uow, depot_id)
        before = depot.overrides.get(where, probe.ref)
        # the Override checks each value; the names were checked against VALUES above
        after = replace(before or probe, **changes)  # type: ignore[arg-type]
        if before is None and after.empty:
            raise InvalidInput(f"{where} {probe.ref!r} sets no allowance: give a value to set, not only nulls")
        if before is None and not uow.schedules.runs(depot_id, where, probe.ref):
            raise NotFound(_unknown(depot_id, where, probe.ref))
        _write(uow, depot_id, before, after, now, actor)
        uow.commit()
    return after


def clear_allowance(uow: UnitOfWork, depot_id: str, scope: str, ref: str, now: datetime, actor: str) -> Override:
    """Remove a route's or a stop's allowances: its blocks take the next rule's (the route's, the depot's)."""
    where = _scope(scope)
    with uow:
        before = require_depot(uow, depot_id).overrides.get(where, ref)
        if before is None:
            raise NotFound(f"{where} {ref[:200]!r} sets no allowance at depot {depot_id!r}")
        _write(uow, depot_id, before, Override(where, ref), now, actor)
        uow.commit()
    return before


def _unknown(depot_id: str, scope: Scope, ref: str) -> str:
    if scope is Scope.ROUTE:
        return (f"no trip of depot {depot_id!r}'s schedules runs on route {ref!r}: give a route_id of its GTFS "
                "feed (blocks from a blocks CSV take no allowance)")
    return (f"no trip of depot {depot_id!r}'s schedules starts or ends at stop {ref!r}: give the stop_id where "
            "a block starts or ends")


def _write(uow: UnitOfWork, depot_id: str, before: Override | None, after: Override, now: datetime,
           actor: str) -> None:
    """The one writer of the overrides (an empty one is none), with its event and announcement."""
    if after.empty:
        uow.depots.remove_allowance(depot_id, after.scope, after.ref)
    else:
        uow.depots.save_allowance(depot_id, after, now)
    key = {str(after.scope): after.ref}
    announce(uow, depot_id, None, "depot", what="allowances", **key)
    uow.plans.add_event(Event(depot_id, EventKind.ALLOWANCE_CHANGED, actor, now,
                              before={**key, **(before.values() if before else dict.fromkeys(VALUES))},
                              after={**key, **after.values()}))
