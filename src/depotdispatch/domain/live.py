"""Live risk (DESIGN §3): for a block in service, from live data only, never from the plan-time verdict.

- `no_vehicle`: the block has started and no vehicle is on it (a missed pull-out).
- `live_soc_below_reserve` / `live_soc_marginal`: the latest reading, minus the energy of the block's
  *remaining* distance (odometer-based when the reading and the pull-out both carry an odometer, else
  the planned distance times the share of the block's time left), lands below the reserve / inside the
  marginal band at pull-in. The same thresholds as viability, so the two never disagree about a number.
- `live_soc_stale`: no reading, or one older than the staleness threshold: the risk cannot be judged.
- `unavailable`: the bus running it was taken out of service (or into maintenance) since it pulled out:
  the block needs a change-out, whatever its charge says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.deadhead import NONE as NO_DEADHEAD
from depotdispatch.domain.deadhead import Deadhead
from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.energy import EnergyEstimate, remaining_energy
from depotdispatch.domain.fleet import VehicleType
from depotdispatch.domain.readiness import Readiness, remaining_part
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import clock_on, to_local, zone
from depotdispatch.domain.status import running_span
from depotdispatch.domain.viability import Reason, Thresholds, pct, pct_short

LIVE_STATUS = {"no_vehicle": "at_risk", "unavailable": "at_risk", "live_soc_below_reserve": "at_risk",
               "live_soc_marginal": "watch", "live_soc_stale": "unknown", "distance_unknown": "unknown"}
LIVE_SEVERITY = {"ok": 0, "watch": 1, "unknown": 2, "at_risk": 3}


@dataclass(frozen=True)
class LiveRisk:
    status: str  # ok | watch | unknown | at_risk
    reasons: tuple[Reason, ...] = ()
    end_soc_pct: float | None = None
    end_soc_pct_conservative: float | None = None
    remaining_km: float | None = None
    remaining_source: str | None = None  # odometer | time
    reading: SocReading | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def _risk(reasons: list[Reason], *, end_soc_pct: float | None = None, end_soc_pct_conservative: float | None = None,
          remaining_km: float | None = None, remaining_source: str | None = None,
          reading: SocReading | None = None) -> LiveRisk:
    status = max((LIVE_STATUS[r.code] for r in reasons), key=LIVE_SEVERITY.__getitem__, default="ok")
    return LiveRisk(status, tuple(reasons), end_soc_pct, end_soc_pct_conservative, remaining_km, remaining_source,
                    reading)


def live_risk(block: DayBlock, now: datetime, *, vehicle_id: str | None, vtype: VehicleType | None,
              reading: SocReading | None, estimate: EnergyEstimate | None, thresholds: Thresholds,
              odometer_start_km: float | None = None, deadhead: Deadhead = NO_DEADHEAD,
              at_start: Readiness | None = None, unavailable: str | None = None) -> LiveRisk:
    """The live risk of an in-service block at `now`; `estimate` is the whole block's energy on the type
    (its deadhead included). The km left are the block's rest plus the way back to the depot (and the way
    out, for a reading from before the block's first departure): DESIGN §12a deadhead.

    A reading from before the block started is not the charge it started with: the bus may have charged
    after it (plugged in at the depot) or run other work. `at_start` is the readiness at the block's start
    projected from that reading (domain/readiness, the depot's charging plan included); it is the start.
    `unavailable`: the sentence saying the bus is out of service now (viability.unavailable_words), if it is."""
    risk = _live_risk(block, now, vehicle_id=vehicle_id, vtype=vtype, reading=reading, estimate=estimate,
                      thresholds=thresholds, odometer_start_km=odometer_start_km, deadhead=deadhead, at_start=at_start)
    if vehicle_id is None or unavailable is None:
        return risk
    # the board, the picker and the timeline said nothing while `fleet availability` said "plan a change-out"
    said = Reason("unavailable", f"{unavailable} but runs this block: plan a change-out to another bus")
    return _risk([said, *risk.reasons], end_soc_pct=risk.end_soc_pct,
                 end_soc_pct_conservative=risk.end_soc_pct_conservative, remaining_km=risk.remaining_km,
                 remaining_source=risk.remaining_source, reading=risk.reading)


def _live_risk(block: DayBlock, now: datetime, *, vehicle_id: str | None, vtype: VehicleType | None,
               reading: SocReading | None, estimate: EnergyEstimate | None, thresholds: Thresholds,
               odometer_start_km: float | None, deadhead: Deadhead, at_start: Readiness | None) -> LiveRisk:
    tz = zone(thresholds.timezone)
    today = to_local(now, tz).date()

    def hm(t: datetime) -> str:  # HH:MM today, with its day on another ("started at Mon 30 Nov 23:40")
        return clock_on(to_local(t, tz), today)

    start, end = running_span(block)
    if vehicle_id is None:
        return _risk([Reason("no_vehicle", f"started at {hm(start)} with no vehicle on it: a missed "
                                           "pull-out; assign a bus or cancel the block")])
    if vtype is None or not vtype.is_electric:
        return LiveRisk("ok")
    if reading is None:
        return _risk([Reason("live_soc_stale", f"no SoC reading for {vehicle_id}: its charge cannot be judged; "
                                               "get a reading")])
    age = max(now - reading.measured_at, timedelta(0))
    if age > thresholds.stale_after:
        read_at = hm(reading.measured_at)  # yesterday's says its day
        return _risk([Reason("live_soc_stale", f"last reading of {vehicle_id} {duration_words(age, exact=True)} ago "
                                               f"(at {read_at}), older than "
                                               f"{duration_words(thresholds.stale_after)}: the live risk cannot be "
                                               "judged; get a reading")], reading=reading)
    if estimate is None:
        return _risk([Reason("distance_unknown", "the block's distance is unknown, so the energy left is too")],
                     reading=reading)
    at = max(reading.measured_at, start)  # a reading from before pull-out: the whole block is still to run
    soc0, since = reading.soc_pct, ""
    if (reading.measured_at < start and at_start is not None and at_start.soc_pct is not None
            and (at_start.charged_kwh > 0 or at_start.prior_kwh > 0)):
        soc0 = at_start.soc_pct
        how = " and ".join(w for w, kwh in (("charging", at_start.charged_kwh), ("its earlier work",
                                                                                  at_start.prior_kwh)) if kwh > 0)
        since = f", so about {pct(soc0)} at its {hm(start)} start after {how}"
    rest = remaining_part(start, end, block.distance_km, at, odometer_km=reading.odometer_km,
                          odometer_start_km=odometer_start_km if reading.measured_at >= start else None)
    left_km = (rest.km or 0.0) + deadhead.in_km + (deadhead.out_km if reading.measured_at < start else 0.0)
    need = remaining_energy(estimate, left_km, rest.hours)
    usable = vtype.usable_kwh or 1.0
    need_pct = 100 * need.expected_kwh / usable
    end_soc = round(soc0 - need_pct, 1)
    end_p90 = round(soc0 - 100 * need.conservative_kwh / usable, 1)
    depot_km = left_km - (rest.km or 0.0)
    way = "back to the depot" if depot_km <= deadhead.in_km + 1e-9 else "to and from the depot"
    facts = (f"{vehicle_id} read {pct(reading.soc_pct)} at {hm(reading.measured_at)}{since}; the "
             f"{left_km:.0f} km left ({'by odometer' if rest.source == 'odometer' else 'planned share'}"
             f"{f', {depot_km:.0f} km of them {way}' if depot_km > 0 else ''}) need {pct(need_pct)}")
    late = start - block.pull_out  # a late start moves the pull-in the sentence names off the board's column
    arrival = _arrival(end_soc, end_p90, hm(end), late)
    reasons = []
    if end_soc < thresholds.reserve_pct or end_p90 < 0:
        reasons.append(Reason("live_soc_below_reserve", f"{arrival} against a "
                                                        f"{pct(thresholds.reserve_pct)} reserve: {facts}; plan a "
                                                        "change-out"))
    elif end_soc < thresholds.reserve_pct + thresholds.marginal_band_pct or end_p90 < thresholds.reserve_pct:
        reasons.append(Reason("live_soc_marginal", f"{arrival}, close to the "
                                                   f"{pct(thresholds.reserve_pct)} reserve: {facts}"))
    return _risk(reasons, end_soc_pct=end_soc, end_soc_pct_conservative=end_p90,
                 remaining_km=None if rest.km is None else left_km,
                 remaining_source=rest.source, reading=reading)


def _arrival(end_soc: float, end_p90: float, when: str, late: timedelta) -> str:
    """The pull-in charge in words: a negative SoC is a bus that runs out, never "with -1 %". A block that
    started a minute or more late pulls in that much after its planned pull-in, and the sentence says why."""
    lateness = f" (it started {duration_words(late, exact=True)} late)" if late >= timedelta(minutes=1) else ""
    if end_soc < 0:
        return (f"runs out of charge before its {when} pull-in{lateness} ({pct_short(-end_soc)} short, "
                f"{pct_short(-end_p90)} short conservatively)")
    cons = (f"{pct(end_p90)} conservatively" if end_p90 >= 0
            else f"conservatively it runs out, {pct_short(-end_p90)} short")
    return f"pulls in at {when}{lateness} with {pct(end_soc)} ({cons})"
