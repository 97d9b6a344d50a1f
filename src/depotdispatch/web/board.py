"""The board (home page after sign-in) and assigning from it: the picker, the override dialog, unassign.

Everything shown comes from services.board / services.picker / services.plan: the page groups and
words what they returned and filters only on the fields they returned (never on time).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Template
from jinja2_fragments import render_block
from markupsafe import Markup

from depotdispatch.domain.blocks import block_label, label_of
from depotdispatch.domain.errors import InvalidInput, NotFound, StaleVersion, UnacknowledgedWarnings
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import audit, days, depots, picker
from depotdispatch.services import board as board_svc
from depotdispatch.services import plan as plan_svc
from depotdispatch.services.board import BoardRow
from depotdispatch.services.views import live_reasons
from depotdispatch.web.common import dd, page
from depotdispatch.web.deps import ServiceDate, WebUser
from depotdispatch.web.templating import STATUS_WORDS, templates

router = APIRouter(include_in_schema=False)
STATUS_FILTER = ("in_service", "upcoming", "completed", "cancelled")  # what the board can show (later is off it)
GROUPS = (("live_risk", "Live risks"), ("in_service", "In service"), ("upcoming", "Upcoming, by pull-out"),
          ("later", "Later"), ("completed", "Ended"), ("cancelled", "Cancelled"))


@dataclass
class Filters:
    status: str = ""
    unassigned: bool = False
    problems: bool = False
    vclass: str = ""
    q: str = ""

    def keep(self, row: BoardRow, risks: list[dict[str, str]]) -> bool:
        if self.status and row.state.status != self.status:
            return False
        if self.unassigned and row.assignment is not None:
            return False
        if self.problems and not (risks or (row.viability is not None and row.viability.status != "ok")
                                  or (row.state.actionable and row.assignment is None)):
            return False
        if self.vclass and (row.block.vehicle_class or "") != self.vclass:
            return False
        if self.q:
            needle = self.q.strip().lower()
            hay = [row.block.block_id.lower(), (row.block.block_name or "").lower(),
                   *(r.lower() for r in row.block.routes),
                   (row.assignment.vehicle_id.lower() if row.assignment else "")]
            if not any(needle in h for h in hay):
                return False
        return True


def live_risks(row: BoardRow, tz_name: str) -> list[dict[str, str]]:
    """The live reasons of a block in service (DESIGN §3), as the API states them."""
    return live_reasons(row, tz_name)


def group_rows(board: board_svc.Board, f: Filters,
               can_dispatch: bool = False) -> list[tuple[str, str, list[dict[str, Any]]]]:
    buckets: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in GROUPS}
    tz = board.depot.timezone
    today = to_local(board.now, zone(tz)).date()
    for row in board.rows:
        risks = live_risks(row, tz)
        if not f.keep(row, risks):
            continue
        key = "live_risk" if risks else row.state.status
        v = row.viability
        readiness = v.readiness if v is not None else None
        r = {
            "block": row.block, "state": row.state, "risks": risks, "viability": v,
            "live_status": row.live.status if row.live is not None and risks else None,
            "vehicle": row.assignment.vehicle_id if row.assignment else None,
            "has_bus": row.assignment is not None or row.block.actual_vehicle_id is not None,
            "missed": row.live is not None and "no_vehicle" in row.live.codes,
            "can_assign": row.can_assign, "candidate": row.candidate,
            "soc_out": readiness.soc_pct if readiness is not None else None,
            "version": board.plan_versions.get(row.block.service_date, 0),
            "name": label_of(row.block),  # as text (labels, confirms); the link shows it with `named`
        }
        out = board.depot.yard_out(row.block.pull_out, row.block.trip_ids)
        r["yard_out"] = out if out != row.block.pull_out else None  # both times, when they differ (DESIGN §12a)
        r["html"] = row_html(r, board.depot.depot_id, tz, board.now, today, can_dispatch)
        buckets.setdefault(key, []).append(r)
    for key, rows in buckets.items():
        if key != "live_risk":  # live risks keep the service's order: a missed pull-out first
            rows.sort(key=lambda r: (r["block"].pull_out, r["block"].block_id))
    return [(key, title, buckets[key]) for key, title in GROUPS if buckets[key]]


_ROW_LOCK = threading.Lock()
_ROWS: OrderedDict[tuple[object, ...], Markup] = OrderedDict()
_ROWS_KEPT = 8000  # a few boards' worth (500-block days, several filters and users' rights)


def row_html(r: dict[str, Any], depot_id: str, tz: str, now: datetime, today: date, can_dispatch: bool) -> Markup:
    """One board row's HTML, rendered once per distinct row data: after a change most rows read the same,
    and rendering 500 rows costs more than the board itself. The key holds every value _board_row.html
    reads (keep the two together), so a row that differs in anything is rendered anew; `now` counts only
    through its local date (the row's times say their day when it is not today)."""
    key = (depot_id, tz, today, can_dispatch, _row_key(r))
    with _ROW_LOCK:
        hit = _ROWS.get(key)
        if hit is not None:
            _ROWS.move_to_end(key)
            return hit
    html = Markup(_ROW_TEMPLATE().render(r=r, depot_id=depot_id, tz=tz, now=now, can_dispatch=can_dispatch))
    with _ROW_LOCK:
        _ROWS[key] = html
        while len(_ROWS) > _ROWS_KEPT:
            _ROWS.popitem(last=False)
    return html


def _row_key(r: dict[str, Any]) -> tuple[object, ...]:
    """What _board_row.html reads of a row, as plain values (a repr of the dataclasses cost as much as
    rendering: a block carries its trips, a viability its estimate's inputs)."""
    b, st, v, c = r["block"], r["state"], r["viability"], r["candidate"]
    return ((b.block_id, b.service_date, b.origin, b.routes, b.pull_out, b.pull_in, b.distance_km, b.adhoc_reason,
             b.replaces_block, b.cancel_reason), (st.status, st.assumed, st.actionable),
            r["vehicle"], r["name"], r["has_bus"], r["missed"], r["can_assign"], r["version"], r["soc_out"],
            r["live_status"], r["yard_out"], tuple(x["message"] for x in r["risks"]),
            None if v is None else (v.status, v.end_soc_pct, tuple(x.message for x in v.reasons)),
            None if c is None else (c.vehicle_id, c.viability.status, tuple(x.code for x in c.viability.reasons[:1])))


def _ROW_TEMPLATE() -> Template:  # noqa: N802 - looked up per call: the environment caches it
    return templates.env.get_template("_board_row.html")


@router.get("/", include_in_schema=False)
def home(request: Request, user: WebUser) -> Response:
    all_depots = [d for d in depots.list_depots(dd(request).uow()) if user.can_see(d.depot_id)]
    if len(all_depots) == 1:
        return RedirectResponse(f"/depots/{all_depots[0].depot_id}/board", status_code=303)
    return page(request, "depots.html", user, {"depots": all_depots})


@router.get("/depots/{depot}/board", response_class=HTMLResponse)
def board_page(request: Request, depot: str, user: WebUser, status: str = "", unassigned: bool = False,
               problems: bool = False, vclass: Annotated[str, Query(alias="class")] = "", q: str = "") -> Response:
    if not user.can_see(depot):
        raise NotFound(f"no depot {depot!r}")
    if status and status not in STATUS_FILTER:
        raise InvalidInput(f"the board has no status “{status}”; filter by one of: "
                           + ", ".join(STATUS_WORDS[s].lower() for s in STATUS_FILTER)
                           + ", or clear the status filter to see every block", column="status")
    app = dd(request)
    b = app.boards.board(app.uow(), depot, app.clock.now())  # services.board, shared until a change lands
    f = Filters(status, unassigned, problems, vclass, q)
    live = _live_html(b, f, user.can_dispatch(depot))
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "board-live":
        return HTMLResponse(live)
    classes = sorted({r.block.vehicle_class for r in b.rows if r.block.vehicle_class})
    return page(request, "board.html", user, {"board": b, "depot": b.depot, "filters": f, "classes": classes,
                                              "live_html": live, "nav": "board", "statuses": STATUS_FILTER})


_LIVE_LOCK = threading.Lock()
_LIVE: OrderedDict[tuple[object, ...], tuple[board_svc.Board, Markup]] = OrderedDict()


def _live_html(b: board_svc.Board, f: Filters, can_dispatch: bool) -> Markup:
    """The board's live part, rendered once per shared board and filters (it holds nothing of the user's
    but whether they may dispatch): every open board refreshing after a change gets the same HTML."""
    key = (id(b), f.status, f.unassigned, f.problems, f.vclass, f.q, can_dispatch)
    with _LIVE_LOCK:
        hit = _LIVE.get(key)
    if hit is not None and hit[0] is b:  # the entry holds the board, so its id is not reused meanwhile
        return hit[1]
    groups = group_rows(b, f, can_dispatch)
    html = Markup(render_block(templates.env, "board.html", "live", {
        "board": b, "depot": b.depot, "groups": groups, "tz": b.depot.timezone, "can_dispatch": can_dispatch,
        "shown": sum(len(g[2]) for g in groups), "total": len(b.rows)}))
    with _LIVE_LOCK:
        _LIVE[key] = (b, html)
        while len(_LIVE) > 32:
            _LIVE.popitem(last=False)
    return html


@router.get("/depots/{depot}/days/{service_date}/blocks/{block_id}/picker", response_class=HTMLResponse)
def vehicle_picker(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser) -> Response:
    app = dd(request)
    now = app.clock.now()
    opts = picker.vehicle_options(app.uow(), depot, service_date, block_id, now)
    depot_obj = depots.get_depot(app.uow(), depot)
    return page(request, "_picker.html", user, {"o": opts, "depot": depot_obj, "tz": depot_obj.timezone,
                                                "service_date": service_date, "now": now})


def _name(request: Request, depot: str, day: date, block_id: str) -> str | None:
    """The feed's name of a block the URL gives by id, for the sentences that answer a change."""
    return days.block_names(dd(request).uow(), depot, day, day).get((day, block_id))


@router.post("/depots/{depot}/days/{service_date}/blocks/{block_id}/assign", response_class=HTMLResponse)
def assign(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
           vehicle_id: Annotated[str, Form(max_length=64)], plan_version: Annotated[int, Form()],
           override_reason: Annotated[str, Form(max_length=500)] = "",
           acknowledge: Annotated[list[str] | None, Form()] = None) -> Response:
    app = dd(request)
    day = service_date
    depot_obj = depots.get_depot(app.uow(), depot)
    name = _name(request, depot, day, block_id)
    typed = {"vehicle_id": vehicle_id, "override_reason": override_reason, "acknowledge": acknowledge or [],
             "block_id": block_id, "service_date": service_date, "plan_version": plan_version,
             "block_name": name}
    try:
        change = plan_svc.assign(app.uow(), depot, day, block_id, vehicle_id, plan_version=plan_version,
                                 actor=user.actor, now=app.clock.now(),
                                 override_reason=override_reason.strip() or None, acknowledge=acknowledge or [])
    except UnacknowledgedWarnings as exc:
        return page(request, "_override.html", user, {"typed": typed, "reasons": exc.extra.get("reasons", []),
                                                      "detail": exc.detail, "depot": depot_obj}, status_code=409)
    except StaleVersion as exc:
        stated = exc.extra.get("current_version")
        current = stated if isinstance(stated, int) else 0
        changed = audit.changes_since(app.uow(), depot, day, plan_version)
        return page(request, "_stale.html", user, {"typed": typed | {"plan_version": current}, "changed": changed,
                                                   "depot": depot_obj, "tz": depot_obj.timezone,
                                                   "was": plan_version, "now_version": current}, status_code=409)
    overridden = " (override recorded)" if change.assignment and change.assignment.override_reason else ""
    response = page(request, "_done.html", user, {
        "message": f"{vehicle_id} is on block {block_label(block_id, name)}{overridden}. "
                   f"Plan version {change.plan_version}."})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


@router.post("/depots/{depot}/days/{service_date}/blocks/{block_id}/unassign", response_class=HTMLResponse)
def unassign(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser,
             plan_version: Annotated[int, Form()]) -> Response:
    app = dd(request)
    change = plan_svc.unassign(app.uow(), depot, service_date, block_id, plan_version=plan_version,
                               actor=user.actor, now=app.clock.now())
    response = page(request, "_done.html", user, {
        "message": f"Block {block_label(block_id, _name(request, depot, service_date, block_id))} has no vehicle now. "
                   f"Plan version {change.plan_version}."})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


@router.post("/depots/{depot}/days/{service_date}/setup", response_class=HTMLResponse)
def setup_day(request: Request, depot: str, service_date: ServiceDate, user: WebUser) -> Response:
    """The board's "not set up yet" notice, acted on: the day from its schedules, as `day setup` does."""
    app = dd(request)
    result = days.setup_day(app.uow(), depot, service_date, app.clock.now(), actor=user.actor)
    response = page(request, "_setup_done.html", user, {"r": result})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response
