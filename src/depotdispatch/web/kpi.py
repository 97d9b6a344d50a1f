"""The KPI page for operations managers: four plots and the numbers, each linking to what is behind it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.kpi import CUT_SHORT
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import days, kpi
from depotdispatch.web.common import dd, depot_for, page
from depotdispatch.web.deps import OptionalDate, WebUser

router = APIRouter(include_in_schema=False)
FromQ = Annotated[OptionalDate, Query(alias="from")]
BUCKETS = ("warned_right", "warned_wrong", "warned_unknown", "ok_failed", "ok_held", "ok_unknown")
MEASURES = ("blocks", "ev_blocks", "uncovered", "substitutions", "overrides", "churn", *BUCKETS)


def _range(request: Request, tz: str, first: date | None, to: date | None) -> tuple[date, date]:
    """Default: the two weeks up to yesterday, so that weekly accuracy has two points."""
    last = to or to_local(dd(request).clock.now(), zone(tz)).date() - timedelta(days=1)
    return first or last - timedelta(days=13), last


def drill(depot: str, first: str, to: str, measure: str, **extra: str) -> str:
    q = {"from": first, "to": to, "measure": measure, **{k: v for k, v in extra.items() if v}}
    return f"/depots/{depot}/kpis/blocks?{urlencode(q)}"


def chart_data(doc: dict[str, Any], depot: str) -> dict[str, Any]:
    f, t = doc["from"], doc["to"]
    subs = doc["substitutions_by_reason"]
    items = doc["overrides"]["items"]
    reasons = sorted({o["reason"] for o in items})
    return {
        "days": [d["service_date"] for d in doc["days"]],
        "ev_share_blocks": [{"value": None if d["ev_share_blocks"] is None else round(100 * d["ev_share_blocks"], 1),
                             "href": drill(depot, d["service_date"], d["service_date"], "ev_blocks")}
                            for d in doc["days"]],
        "ev_share_km": [{"value": None if d["ev_share_km"] is None else round(100 * d["ev_share_km"], 1),
                         "href": drill(depot, d["service_date"], d["service_date"], "ev_blocks")}
                        for d in doc["days"]],
        "substitution_reasons": list(subs),
        "substitutions": [{"value": n, "href": drill(depot, f, t, "substitutions", reason=r)} for r, n in subs.items()],
        "override_reasons": reasons,
        "overrides": {v: [{"value": sum(1 for o in items if o["reason"] == r and o["verdict"] == v),
                           "href": drill(depot, f, t, "overrides", reason=r, verdict=v)} for r in reasons]
                      for v in ("proved_right", "proved_wrong", "unknown")},
        "weeks": [w["week"] for w in doc["warning_accuracy"]],
        "accuracy": {b: [{"value": w[b], "href": drill(depot, f, t, b, week=w["week"])}
                         for w in doc["warning_accuracy"]] for b in BUCKETS},
    }


@router.get("/depots/{depot}/kpis", response_class=HTMLResponse)
def kpi_page(request: Request, depot: str, user: WebUser, first: FromQ = None, to: OptionalDate = None) -> Response:
    d = depot_for(request, user, depot)
    start, last = _range(request, d.timezone, first, to)
    doc = kpi.report_doc(kpi.report(dd(request).uow(), depot, start, last, dd(request).clock.now()), depot)
    f, t = doc["from"], doc["to"]
    links = {m: drill(depot, f, t, m) for m in MEASURES}
    return page(request, "kpi.html", user, {"depot": d, "doc": doc, "charts": chart_data(doc, depot),
                                            "links": links, "nav": "kpi",
                                            "cut_short_min": int(CUT_SHORT.total_seconds() // 60)})


@router.get("/depots/{depot}/kpis/blocks", response_class=HTMLResponse)
def kpi_blocks(request: Request, depot: str, user: WebUser, measure: str, first: FromQ = None, to: OptionalDate = None,
               reason: str = "", verdict: str = "", week: str = "") -> Response:
    """The blocks (and events) behind one number of the KPI page."""
    if measure not in MEASURES:
        raise InvalidInput(f"no KPI {measure!r}; one of {', '.join(MEASURES)}")
    d = depot_for(request, user, depot)
    start, last = _range(request, d.timezone, first, to)
    doc = kpi.report_doc(kpi.report(dd(request).uow(), depot, start, last, dd(request).clock.now()), depot)
    rows = behind(doc, measure, reason=reason, verdict=verdict, week=week)
    names = days.block_names(dd(request).uow(), depot, start, last)
    rows = [r | {"block_name": names.get((date.fromisoformat(r["service_date"]), r["block_id"]))} for r in rows]
    back = f"/depots/{depot}/kpis?" + urlencode({"from": doc["from"], "to": doc["to"]})
    return page(request, "kpi_blocks.html", user, {"depot": d, "doc": doc, "rows": rows, "measure": measure,
                                                   "filters": {"reason": reason, "verdict": verdict, "week": week},
                                                   "back": back, "nav": "kpi"})


def behind(doc: dict[str, Any], measure: str, *, reason: str = "", verdict: str = "",
           week: str = "") -> list[dict[str, Any]]:
    """Rows of {service_date, block_id, vehicle_id, event_id, detail} behind one number."""
    if measure in ("blocks", "ev_blocks"):
        key = "block_ids" if measure == "blocks" else "ev_block_ids"
        return [{"service_date": d["service_date"], "block_id": b} for d in doc["days"] for b in d[key]]
    if measure == "uncovered":
        return list(doc["drilldown"]["uncovered"])
    if measure == "substitutions":
        return [{**s, "detail": f"{s['ev_available']} was free and fit; {s['reason']}"}
                for s in doc["diesel_substitutions"] if not reason or s["reason"] == reason]
    if measure == "overrides":
        return [{**o, "detail": f"{o['verdict'].replace('_', ' ')}: {o['outcome_detail']}"}
                for o in doc["overrides"]["items"]
                if (not reason or o["reason"] == reason) and (not verdict or o["verdict"] == verdict)]
    if measure == "churn":
        return [{**c, "detail": f"{c['kind']} ({c['source']})"} for c in doc["drilldown"]["plan_churn"]]
    return [ref for w in doc["warning_accuracy"] if not week or w["week"] == week for ref in w["blocks"][measure]]
