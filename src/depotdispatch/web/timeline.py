"""The vehicle timeline: lanes per bus (vis-timeline), drag a block to another lane to reassign it through
the same assign route and override dialog as the board; the projected SoC of a bus (ECharts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.viability import pct, pct_below
from depotdispatch.services import timeline as svc
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import OptionalDate, ServiceDate, WebUser
from depotdispatch.web.templating import (
    AVAILABILITY_WORDS,
    LIVE_WORDS,
    PROPULSION_WORDS,
    VERDICT_WORDS,
    soc_in,
    status_label,
)
from depotdispatch.web.templating import words as in_words

router = APIRouter(include_in_schema=False)
OPEN = "__open__"


@router.get("/depots/{depot}/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, depot: str, user: WebUser, date: OptionalDate = None) -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    return page(request, "timeline.html", user, {"depot": d, "day": day, "dates": dates, "nav": "timeline",
                                                 "can_dispatch": user.can_dispatch(depot)})


@router.get("/depots/{depot}/days/{service_date}/timeline.json")
def timeline_data(request: Request, depot: str, service_date: ServiceDate, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    t = svc.timeline(app.uow(), depot, service_date, app.clock.now())
    tz = zone(d.timezone)

    def iso(x: Any) -> str:
        return to_local(x, tz).isoformat()

    groups = [{"id": OPEN, "content": "No bus yet", "order": 0}] + [
        {"id": lane.vehicle_id, "order": i + 1,
         # in words, as the picker says them ("battery-electric", "in maintenance"), never the codes "bev"
         "content": f"{lane.vehicle_id} · {in_words(lane.propulsion, PROPULSION_WORDS)}"
                    + ("" if lane.availability == "available"
                       else f" · {in_words(lane.availability, AVAILABILITY_WORDS)}")}
        for i, lane in enumerate(t.lanes)]
    items = []
    for bar in t.bars:
        b = bar.block
        # as the board says it: a block whose time passed with no bus is "Not covered (no bus)", never "Completed"
        label = status_label(bar.status, has_bus=bar.vehicle_id is not None or b.actual_vehicle_id is not None,
                             missed=bar.live is not None and "no_vehicle" in bar.live.codes)
        words = label + (f", {VERDICT_WORDS[bar.verdict]}" if bar.verdict else "")
        if bar.live is not None and bar.live.reasons:
            words += ", " + LIVE_WORDS.get(bar.live.status, "live risk")
        why = "; ".join(r.message for r in bar.live.reasons) if bar.live is not None else ""
        items.append({"id": f"{b.block_id}", "group": bar.vehicle_id or OPEN, "start": iso(b.pull_out),
                      "end": iso(b.pull_in), "content": f"{label_of(b)} ({words})",
                      "title": f"{label_of(b)}: {to_local(b.pull_out, tz):%H:%M}–{to_local(b.pull_in, tz):%H:%M}, "
                               f"{b.distance_km or 0:.0f} km, {words}" + (f". {why}" if why else ""),
                      "className": f"bar status-{bar.status} v-{bar.verdict or 'none'}"
                                   + (f" live-{bar.live.status}" if bar.live is not None and bar.live.reasons else "")
                                   + (" adhoc" if b.origin == "adhoc" else ""),
                      "editable": {"updateGroup": bar.actionable and user.can_dispatch(depot), "updateTime": False,
                                   "remove": False}})
    for g in t.gaps:
        items.append({"id": f"gap-{g.vehicle_id}-{g.start.isoformat()}", "group": g.vehicle_id, "type": "background",
                      "start": iso(g.start), "end": iso(g.end), "className": "gap" + (" charging" if g.charged_kwh
                                                                                      else ""),
                      "content": f"charging {g.charged_kwh:.0f} kWh" if g.charged_kwh else "stands"})
    soc = {lane.vehicle_id: [[iso(at), round(x, 1)] for at, x in lane.soc] for lane in t.lanes if lane.soc}
    # the curve in words, as every page says a charge: 19.6 % under a 20 % reserve never reads "20 %"
    soc_words = {lane.vehicle_id: f"{lane.vehicle_id}: " + ", ".join(
        f"{to_local(at, tz):%H:%M} {soc_in(x) if x < 0 else pct_below(x, d.reserve_pct)}" for at, x in lane.soc)
        + f" (the depot's reserve: {pct(d.reserve_pct)})" for lane in t.lanes if lane.soc}
    day_start = min((b.block.pull_out for b in t.bars), default=app.clock.now())
    day_end = max((b.block.pull_in for b in t.bars), default=app.clock.now())
    offset = to_local(app.clock.now(), tz).utcoffset() or timedelta(0)  # a zone's local time has one
    return JSONResponse({"plan_version": t.plan_version, "groups": groups, "items": items, "soc": soc,
                         "soc_words": soc_words,
                         "start": iso(day_start), "end": iso(day_end), "now": iso(app.clock.now()),
                         # the axes read in the depot's time, wherever the browser is (offset of now)
                         "utc_offset_min": round(offset.total_seconds() / 60),
                         "reserve_pct": d.reserve_pct,  # the chart's reserve line is the depot's, not 20 %
                         "assign_url": f"/depots/{depot}/days/{service_date}/blocks/{{block}}/assign"})
