"""The yard view for phones (DESIGN §12a): next pull-outs with bus, bay and SoC; the plug-in order; plug,
unplug, unavailable, a manual SoC reading, where a bus stands; lanes that block a pull-out.

Every action is a small POST that answers 204 (or a short problem text): the page's script queues it
while the phone is offline and sends it again when the connection is back. Each carries `at`, when the
person acted by the phone's clock (ISO 8601 with offset): a reading, a plug mark or a place is recorded as
of then, not as of when a flaky connection finally let it through (`domain/yard.acted_at` says what is
plausible). Availability takes effect when it arrives: it unassigns the bus from the blocks still to come.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, Response

from depotdispatch.domain.errors import DomainError, InvalidInput
from depotdispatch.domain.fleet import Vehicle
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_instant
from depotdispatch.domain.words import ReadingSource
from depotdispatch.domain.yard import acted_at
from depotdispatch.services import fleet, readings, yard
from depotdispatch.web.common import dd, depot_for, page
from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=64)]
Optional = Annotated[str, Form(max_length=64)]
At = Annotated[str, Form(max_length=40)]  # when the person acted, by the phone's clock ("": now)


@router.get("/depots/{depot_id}/yard")
def yard_page(request: Request, depot_id: str, user: WebUser) -> Response:
    depot = depot_for(request, user, depot_id)
    app = dd(request)
    view = yard.yard_view(app.uow(), depot_id, app.clock.now())
    buses = sorted({v.vehicle_id for v in _vehicles(request, depot_id)})
    chargers = yard.chargers(app.uow(), depot_id)
    ctx = {"depot": depot, "view": view, "buses": buses, "chargers": chargers, "nav": "yard",
           "can_act": user.can_dispatch(depot_id)}
    block = "live" if request.headers.get("HX-Request") else None
    return page(request, "yard.html", user, ctx, block=block)


def _vehicles(request: Request, depot_id: str) -> list[Vehicle]:
    with dd(request).uow() as uow:
        return uow.fleet.vehicles(depot_id)


def _act(request: Request, user: WebUser, depot_id: str) -> None:
    depot_for(request, user, depot_id)
    if not user.can_dispatch(depot_id):
        raise InvalidInput("your role may look at this yard but not change it")


def _when(request: Request, at: str) -> datetime:
    return acted_at(parse_instant(at) if at.strip() else None, dd(request).clock.now())


def _done(fn: Callable[[], object]) -> Response:
    try:
        fn()
    except DomainError as exc:
        return PlainTextResponse(exc.detail[:300], status_code=422 if exc.slug != "not-found" else 404)
    return Response(status_code=204)


@router.post("/depots/{depot_id}/yard/plug")
def plug(request: Request, depot_id: str, user: WebUser, vehicle: Text, charger: Optional = "",
         at: At = "") -> Response:
    """Plugged into `charger`, or unplugged when it is empty."""
    _act(request, user, depot_id)
    app = dd(request)
    return _done(lambda: yard.set_plugged(app.uow(), depot_id, vehicle, charger or None, _when(request, at),
                                          user.actor))


@router.post("/depots/{depot_id}/yard/availability")
def availability(request: Request, depot_id: str, user: WebUser, vehicle: Text,
                 availability: Annotated[str, Form(max_length=20)],
                 reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Through the one writer of availability (services/fleet.set_availability, as the bus-down form and
    `fleet availability`): its upcoming blocks lose it, each with an event, so the recommendation covers them."""
    _act(request, user, depot_id)
    app = dd(request)
    why = reason.strip() or ("back in service (yard)" if availability == "available" else "")
    return _done(lambda: fleet.set_availability(app.uow(), depot_id, vehicle, availability, reason=why,
                                                until=None, actor=user.actor, now=app.clock.now()))


@router.post("/depots/{depot_id}/yard/reading")
def reading(request: Request, depot_id: str, user: WebUser, vehicle: Text,
            soc_pct: Annotated[str, Form(max_length=10)], at: At = "") -> Response:
    _act(request, user, depot_id)
    app = dd(request)

    def store() -> None:
        try:
            soc = float(soc_pct.replace(",", "."))
        except ValueError:
            raise InvalidInput(f"{soc_pct!r} is not a percentage") from None
        if yard.vehicle_depot(app.uow(), vehicle) != depot_id:
            raise InvalidInput(f"no bus {vehicle!r} at this depot")
        result = readings.add_reading(app.uow(), SocReading(vehicle, soc, _when(request, at), ReadingSource.MANUAL),
                                      app.clock.now())
        if result.rejected:
            raise InvalidInput(str(result.rejected[0]["reason"]))

    return _done(store)


@router.post("/depots/{depot_id}/yard/spot")
def spot(request: Request, depot_id: str, user: WebUser, vehicle: Text,
         bay: Annotated[str, Form(max_length=32)] = "", lane: Annotated[str, Form(max_length=32)] = "",
         position: Annotated[str, Form(max_length=4)] = "", at: At = "") -> Response:
    _act(request, user, depot_id)
    app = dd(request)

    def store() -> None:
        if position and not position.isdigit():
            raise InvalidInput(f"position {position!r} is not a whole number")
        yard.set_spot(app.uow(), depot_id, vehicle, bay=bay or None, lane=lane or None,
                      lane_order=int(position) if position else None, now=_when(request, at), actor=user.actor)

    return _done(store)
