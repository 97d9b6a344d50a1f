"""Plug-in order (DESIGN §12a): which bus to put on which connector next, with a sentence per entry.

Ranked as the charging plan ranks (earliest next pull-out, then least laxity, a bus that cannot be
ready in time after those that can); the connector and the time come from the plan. A bus that
cannot reach what its pull-out needs even if plugged in now on the best charger with nobody else
charging is flagged `not_ready_in_time`, so it can be swapped early. A bus that could be ready alone but
that the depot's charging plan leaves short at its pull-out (the connectors are taken by buses due out
sooner) is flagged `short_on_plan`, and its sentence says what the plan gives it: the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.blocks import block_label, other_name
from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.charging_plan import EPS_KWH, Bus, Charger, ChargingPlan, Stay, YardRules, stays
from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.servicetime import clock_on, to_local


@dataclass(frozen=True)
class PlugIn:
    vehicle_id: str
    charger_id: str | None  # None: no connector comes free before its pull-out
    next_block_id: str
    pull_out: datetime
    needs_pct: float  # SoC still missing to be ok for the next pull-out
    plug_in_at: datetime | None
    not_ready_in_time: bool
    reason: str
    short_on_plan: bool = False  # could be ready alone, but the charging plan leaves it short at pull-out
    next_block_name: str | None = None  # the feed's human name for it, where it has one
    reach_pct: float | None = None  # the most it can have at that pull-out, plugged in now on the best charger


    def as_dict(self) -> dict[str, object]:
        return {"vehicle_id": self.vehicle_id, "charger_id": self.charger_id, "next_block_id": self.next_block_id,
                "next_block_name": self.next_block_name,
                "pull_out": self.pull_out.isoformat(), "needs_pct": self.needs_pct, "reason": self.reason,
                "plug_in_at": self.plug_in_at.isoformat() if self.plug_in_at else None,
                "not_ready_in_time": self.not_ready_in_time, "short_on_plan": self.short_on_plan}


def _hm(t: datetime, tz: ZoneInfo, now: datetime) -> str:
    """HH:MM today, with its day on any other ("Wed 2 Dec 05:04"): tomorrow's pull-out is not read as today's."""
    return clock_on(to_local(t, tz), to_local(now, tz).date())


def plug_in_order(plan: ChargingPlan, buses: Sequence[Bus], chargers: Sequence[Charger], rules: YardRules,
                  now: datetime, tz: ZoneInfo) -> list[PlugIn]:
    """Buses standing unplugged at the depot at `now` that lack energy for their next pull-out."""
    best = max(chargers, key=lambda c: c.max_kw, default=None)
    out: list[tuple[tuple[bool, float, float, str], PlugIn]] = []
    for bus in buses:
        if not bus.at_depot or bus.connected_to is not None or bus.since > now:
            continue
        stay = next((s for s in stays(bus, rules, now + timedelta(days=2)) if s.arrive <= now < s.depart), None)
        if stay is None or stay.work is None:
            continue
        lack = stay.work.need_kwh - bus.usable_kwh * bus.soc_pct / 100
        if lack <= EPS_KWH:
            continue
        out.append(_entry(plan, bus, stay, lack, best, rules.site_cap_kw, now, tz))
    out.sort(key=lambda e: e[0])
    return [e for _, e in out]


def _entry(plan: ChargingPlan, bus: Bus, stay: Stay, lack: float, best: Charger | None, cap: float | None,
           now: datetime, tz: ZoneInfo) -> tuple[tuple[bool, float, float, str], PlugIn]:
    work = stay.work
    assert work is not None
    needs_pct = round(100 * lack / bus.usable_kwh, 1)
    kw = min(bus.charge_kw, best.max_kw, cap if cap is not None else math.inf) if best else 0.0
    soc_now, target = bus.soc_pct / 100, work.need_kwh / bus.usable_kwh
    hours_needed = math.inf
    reach = soc_now
    window_h = (stay.depart - now).total_seconds() / 3600
    if kw > 0:
        curve = ChargingCurve(bus.usable_kwh, bus.points(), charger_kw=kw, efficiency=bus.efficiency)
        hours_needed = float(curve.hours_between(soc_now, target)) if target <= 1 else math.inf
        reach = float(curve.soc_after(soc_now, max(window_h, 0.0)))
    late = bool(hours_needed > window_h + 1e-9)
    # when the plan puts it on a connector, and when it first draws power there (later when the charger's kW or
    # the site's cap goes to buses ranked before it: a free connector is no reason to wait)
    plug = next((p for p in plan.plugs if p.vehicle_id == bus.vehicle_id and stay.arrive <= p.at < stay.depart), None)
    session = next((s for s in plan.sessions_of(bus.vehicle_id) if stay.arrive <= s.start < stay.depart), None)
    # the yard's pull-out is the block's start less the pull-out allowance: that is when it must be ready
    block = block_label(work.block_id, work.block_name)
    head = f"{bus.vehicle_id}: out at {_hm(stay.depart, tz, now)} on {block}, needs {needs_pct:.0f} % more"
    if late and target > 1 + 1e-9:  # "reaches 100 % at best against 106 % needed": no charger can help
        reason = (f"{head}; cannot be ready: its block needs {100 * target:.0f} % of the battery, more than a full "
                  "charge; swap it early")
    elif late:
        reason = (f"{head}; cannot be ready: reaches {100 * reach:.0f} % by {_hm(stay.depart, tz, now)} at best "
                  f"against {100 * target:.0f} % needed; swap it early")
    else:
        reason = f"{head}, {duration_words(timedelta(hours=hours_needed), exact=True, round_up=True)} at {kw:.0f} kW"
    if plug is None:
        reason += "; no connector comes free before it leaves"
    else:
        if plug.at > now + timedelta(minutes=1):
            reason += f"; plug in at {_hm(plug.at, tz, now)} on {plug.charger_id}, when a connector comes free"
        else:
            reason += f"; plug in now on {plug.charger_id}"
        if session is None:
            reason += "; no power comes free for it before it leaves"
        elif session.start > max(plug.at, now) + timedelta(minutes=1):
            reason += (f"; it charges from {_hm(session.start, tz, now)}, when the power goes to it (buses ranked "
                       "before it draw first)")
    planned = plan.pull_outs.get((bus.vehicle_id, work.block_id))
    short = not late and planned is not None and not planned.ready
    if short:
        assert planned is not None
        reason += (f"; on the depot's charging plan it has only {planned.soc_pct:.0f} % by then against "
                   f"{planned.need_pct:.0f} % needed: swap it early or free a connector")
    depart_s = (stay.depart - now).total_seconds()
    key = (late, depart_s, window_h - hours_needed if math.isfinite(hours_needed) else -math.inf, bus.vehicle_id)
    return key, PlugIn(bus.vehicle_id, plug.charger_id if plug else None, work.block_id, stay.depart,
                       needs_pct, plug.at if plug else None, late, reason, short,
                       other_name(work.block_id, work.block_name), 100 * reach)
