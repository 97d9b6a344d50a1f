"""Late changes to a day: ad-hoc work (with its reason and the block it replaces), edit and remove it,
cancel and restore with a reason, a change-out split at a time picked in local time, and a bus down
(availability, through services.fleet) with the blocks it leaves without a bus."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.adhoc import ADHOC_REASONS
from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.fleet import AVAILABILITIES
from depotdispatch.domain.servicetime import ensure_utc, zone
from depotdispatch.services import adhoc, fleet
from depotdispatch.services import board as board_svc
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import OptionalDate, ServiceDate, WebUser

router = APIRouter(include_in_schema=False)
DAY = "/depots/{depot}/days/{service_date}/late"


def local_instant(depot: Depot, day: date, text: str, column: str, after: datetime | None = None) -> datetime:
    """HH:MM on the service day in the depot's zone; a time before `after` is read as the next day."""
    try:
        t = time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time such as 14:30", column=column) from None
    at = ensure_utc(datetime.combine(day, t, tzinfo=zone(depot.timezone)))
    if after is not None and at <= after:
        at = ensure_utc(datetime.combine(day + timedelta(days=1), t, tzinfo=zone(depot.timezone)))
    return at


@router.get("/depots/{depot}/late", response_class=HTMLResponse)
def late_page(request: Request, depot: str, user: WebUser, date: OptionalDate = None, block: str = "") -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    app = dd(request)
    rows, version = [], 0
    if day in dates:
        b = board_svc.board(app.uow(), depot, app.clock.now(), service_date=day, whole_day=True, candidates=False)
        rows = sorted(b.rows, key=lambda r: (r.block.pull_out, r.block.block_id))
        version = b.plan_versions.get(day, 0)
    names = {r.block.block_id: r.block.block_name for r in rows}  # a replaced block said as its own row says it
    ctx = {"depot": d, "tz": d.timezone, "day": day, "dates": dates, "rows": rows, "focus": block, "names": names,
           "reasons": ADHOC_REASONS, "nav": "late", "can_dispatch": user.can_dispatch(depot),
           "vehicles": fleet.fleet_docs(app.uow(), depot), "statuses": AVAILABILITIES, "version": version}
    partial = request.headers.get("hx-target") == "late-live"
    return page(request, "late.html", user, ctx, block="live" if partial else None)


def _said(change: adhoc.BlockChange, block_id: str) -> str:
    """The block a change was made to, as people read it (its feed name beside the id)."""
    return label_of(change.block) if change.block is not None else block_id


def _done(request: Request, user: WebUser, message: str) -> Response:
    response = page(request, "_done.html", user, {"message": message})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


def _times_and_km(d: Depot, day: date, pull_out: str, pull_in: str,
                  distance_km: str) -> tuple[datetime, datetime, float | None]:
    """An ad-hoc block's form fields as the service takes them: local clock times and km, each checked."""
    start = local_instant(d, day, pull_out, "pull_out")
    end = local_instant(d, day, pull_in, "pull_in", after=start)
    try:
        km = float(distance_km) if distance_km.strip() else None
    except ValueError:
        raise InvalidInput(f"distance {distance_km!r} is not a number of km", column="distance_km") from None
    return start, end, km


@router.post(DAY + "/adhoc", response_class=HTMLResponse)
def add(request: Request, depot: str, service_date: ServiceDate, user: WebUser,
        block_id: Annotated[str, Form(max_length=200)], adhoc_reason: Annotated[str, Form()],
        pull_out: Annotated[str, Form()], pull_in: Annotated[str, Form()],
        distance_km: Annotated[str, Form()] = "", replaces_block: Annotated[str, Form()] = "",
        note: Annotated[str, Form(max_length=500)] = "") -> Response:
    d = depot_for(request, user, depot)
    day = service_date
    start, end, km = _times_and_km(d, day, pull_out, pull_in, distance_km)
    spec = adhoc.AdhocSpec(block_id.strip(), adhoc_reason, start, end, km, replaces_block or None, None,
                           note.strip() or None)
    app = dd(request)
    change = adhoc.create_adhoc(app.uow(), depot, day, spec, actor=user.actor, now=app.clock.now())
    what = f"Ad-hoc block {spec.block_id} added" + (f", replacing {spec.replaces_block}" if spec.replaces_block else "")
    return _done(request, user, f"{what}. Plan version {change.plan_version}.")


@router.post(DAY + "/{block_id}/edit", response_class=HTMLResponse)
def edit(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
         pull_out: Annotated[str, Form()], pull_in: Annotated[str, Form()],
         distance_km: Annotated[str, Form()] = "", note: Annotated[str, Form(max_length=500)] = "") -> Response:
    d = depot_for(request, user, depot)
    day = service_date
    start, end, km = _times_and_km(d, day, pull_out, pull_in, distance_km)
    app = dd(request)
    change = adhoc.update_adhoc(app.uow(), depot, day, block_id, actor=user.actor, now=app.clock.now(),
                                pull_out=start, pull_in=end, distance_km=km, note=note.strip() or None)
    return _done(request, user, f"Ad-hoc block {_said(change, block_id)} changed. Plan version {change.plan_version}.")


@router.post(DAY + "/{block_id}/remove", response_class=HTMLResponse)
def remove(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
           confirm: Annotated[bool, Form()] = False) -> Response:
    depot_for(request, user, depot)
    app = dd(request)
    change = adhoc.remove_adhoc(app.uow(), depot, service_date, block_id, actor=user.actor,
                                now=app.clock.now(), confirm=confirm)
    freed = f"; {change.freed_vehicle} is free again" if change.freed_vehicle else ""
    return _done(request, user, f"Ad-hoc block {_said(change, block_id)} removed{freed}. "
                                f"Plan version {change.plan_version}.")


@router.post(DAY + "/{block_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
           reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    depot_for(request, user, depot)
    app = dd(request)
    change = adhoc.cancel_block(app.uow(), depot, service_date, block_id, reason, actor=user.actor,
                                now=app.clock.now())
    freed = f"; {change.freed_vehicle} is free again" if change.freed_vehicle else ""
    return _done(request, user, f"Block {_said(change, block_id)} cancelled{freed}. "
                                f"Plan version {change.plan_version}.")


@router.post(DAY + "/{block_id}/restore", response_class=HTMLResponse)
def restore(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser) -> Response:
    depot_for(request, user, depot)
    app = dd(request)
    change = adhoc.restore_block(app.uow(), depot, service_date, block_id, actor=user.actor,
                                 now=app.clock.now())
    return _done(request, user, f"Block {_said(change, block_id)} is back in the plan, without a bus. "
                                f"Plan version {change.plan_version}.")


@router.post(DAY + "/{block_id}/split", response_class=HTMLResponse)
def split(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
          at: Annotated[str, Form()], new_block_id: Annotated[str, Form(max_length=200)] = "",
          swap_vehicle: Annotated[str, Form(max_length=64)] = "",
          plan_version: Annotated[int | None, Form()] = None) -> Response:
    """A change-out; with the bus that takes over, it gets the new block in the same step (against the plan
    version the page showed: a change made meanwhile is said, not overwritten). A bus with warnings for a
    part still to come is refused with them said: split without it and assign from the board, which asks
    for each one."""
    d = depot_for(request, user, depot)
    day = service_date
    app = dd(request)
    when = local_instant(d, day, at, "at")
    swap = swap_vehicle.strip() or None
    change = adhoc.split_for_change_out(app.uow(), depot, day, block_id, when, actor=user.actor, now=app.clock.now(),
                                        new_id=new_block_id.strip() or None, plan_version=plan_version,
                                        swap_vehicle=swap)
    rest = change.extra
    who = f"{swap} takes it over" if swap else "for another bus"
    return _done(request, user, f"Block {_said(change, block_id)} now ends at the change-out; its remaining trips "
                                "are the new "
                                f"ad-hoc block {label_of(rest) if rest else ''}, {who}. "
                                f"Plan version {change.plan_version}.")


def local_datetime(depot: Depot, text: str, column: str) -> datetime:
    """A `datetime-local` field (YYYY-MM-DDTHH:MM, no offset) read in the depot's zone."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date and time such as 2026-11-25T15:30", column=column) from None
    return ensure_utc(at.replace(tzinfo=zone(depot.timezone)) if at.tzinfo is None else at)


@router.post("/depots/{depot}/late/availability", response_class=HTMLResponse)
def bus_down(request: Request, depot: str, user: WebUser, vehicle_id: Annotated[str, Form(max_length=64)],
             status: Annotated[str, Form()], reason: Annotated[str, Form(max_length=500)] = "",
             until: Annotated[str, Form()] = "") -> Response:
    """A bus goes down (or comes back) now: its blocks that have not started lose it, and the page lists them."""
    d = depot_for(request, user, depot)
    app = dd(request)
    change = fleet.set_availability(app.uow(), depot, vehicle_id, status, reason=reason,
                                    until=local_datetime(d, until, "until") if until.strip() else None,
                                    actor=user.actor, now=app.clock.now())
    response = page(request, "_availability.html", user, {"change": change, "depot": d, "tz": d.timezone})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response
