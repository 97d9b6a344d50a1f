"""Judging a fleet against blocks: energy per (block, type), readiness per vehicle, viability per pair.

One object holds what a depot knows at `now` (types, vehicles, latest readings, thresholds) so the
board and the recommendation ask the same questions and get the same answers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depot_charging import DepotCharging, battery, depot_charging, plan_anchor
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.energy import (
    DEFAULT_CV,
    EnergyEstimate,
    EnergyProfile,
    FlatConsumption,
    Hvac,
    TableConsumption,
    estimate_energy,
    remaining_energy,
)
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.live import LiveRisk, live_risk
from depotdispatch.domain.readiness import (
    PlugMark,
    PriorWork,
    Readiness,
    Standing,
    readiness_at,
    remaining_part,
    standing,
)
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import zone
from depotdispatch.domain.status import running_span
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.viability import Thresholds, Viability, assess, unavailable_words


def energy_profile(vtype: VehicleType) -> EnergyProfile | None:
    """A table when the type has one (it prices temperature itself: HVAC only if asked), else flat."""
    if not vtype.is_electric:
        return None
    cv = vtype.energy_cv if vtype.energy_cv is not None else DEFAULT_CV
    if vtype.consumption_table:
        return EnergyProfile(_table(vtype.consumption_table), Hvac() if vtype.hvac else None, cv)
    if vtype.kwh_per_km is None:
        return None
    return EnergyProfile(FlatConsumption(vtype.kwh_per_km), Hvac() if vtype.hvac in (None, True) else None, cv)


@lru_cache(maxsize=32)
def _table(rows: tuple[tuple[float, ...], ...]) -> TableConsumption:
    return TableConsumption(rows)


def charging_curve(vtype: VehicleType) -> ChargingCurve | None:
    """The type's curve on a charger of its own at its full rate (None: it does not charge)."""
    bat = battery(vtype)
    return None if bat is None else bat.curve()


def thresholds(depot: Depot, vtype: VehicleType) -> Thresholds:
    return Thresholds(
        reserve_pct=vtype.reserve_pct if vtype.reserve_pct is not None else depot.reserve_pct,
        marginal_band_pct=vtype.marginal_band_pct if vtype.marginal_band_pct is not None
        else depot.marginal_band_pct,
        stale_after=timedelta(hours=vtype.stale_after_h if vtype.stale_after_h is not None else depot.stale_after_h),
        turnaround=timedelta(minutes=depot.turnaround_min),
        timezone=depot.timezone,
    )


@dataclass
class Candidate:
    vehicle_id: str
    viability: Viability
    # why the verdict differs from the bus judged alone, in the words the recommendation uses for the same
    # case (a free-bus hint the depot's charging plan cannot charge in time with the other buses due out)
    note: str | None = None


class FleetJudge:
    def __init__(self, depot: Depot, types: Mapping[str, VehicleType], vehicles: Sequence[Vehicle],
                 readings: Mapping[str, SocReading], now: datetime,
                 temperature_c: Mapping[date, float | TemperatureProfile] | float | None = None,
                 odometer_starts: Mapping[tuple[str, int | None], float] | None = None,
                 plan: Mapping[str, Iterable[DayBlock]] | None = None,
                 chargers: Sequence[Charger] | None = None,
                 plugs: Mapping[str, Sequence[PlugMark]] | None = None,
                 plan_readings: Mapping[str, SocReading] | None = None,
                 charging: DepotCharging | None = None,
                 estimates: dict[tuple[str, str, int | None], EnergyEstimate | None] | None = None) -> None:
        """`odometer_starts`: (vehicle, block pk) -> odometer km at the block's pull-out, where known.
        `plan`: the blocks each vehicle is assigned: a reading taken during one of them was taken on it,
        and the depot's charging plan is made for them. `chargers`: the depot's (available) chargers;
        None when it has no charger list: then every vehicle charges on a connector of its own.
        `plugs`: the yard's plugged/unplugged marks per vehicle (readiness starts from them when they are
        later than the reading: `standing`). `plan_readings`: each vehicle's latest reading at the charging
        plan's anchor (`depot_charging.plan_anchor(now)`), which the depot's charging plan is made from, so
        that it is the same plan until the anchor moves (None: `readings`, the plan then moves with them).
        `charging`: the depot charging seam `depot_charging` would give for these very inputs, when the caller
        knows it (an earlier board's, nothing it is made from having moved), so it is not asked again.
        `estimates`: a cache of energy estimates to share, made by judges of the same depot, types,
        temperatures and blocks (an estimate is a pure function of them)."""
        self.depot, self.types, self.now = depot, dict(types), now
        self.plan_readings = None if plan_readings is None else dict(plan_readings)
        self._anchored: FleetJudge | None = None
        self.odometer_starts = dict(odometer_starts or {})
        self._plan_blocks = {vid: list(bs) for vid, bs in (plan or {}).items()}
        self._planned = {vid: {(b.block_id, b.service_date) for b in bs} for vid, bs in self._plan_blocks.items()}
        self.chargers = None if chargers is None else list(chargers)
        self._charging: DepotCharging | None = charging
        # a spell out of service whose planned end has passed is over: the vehicle is available again
        # (only a spell that is over is replaced: copying every vehicle cost a tenth of a board)
        self.vehicles = {v.vehicle_id: (replace(v, availability="available", available_until=None)
                                        if v.availability_at(now) == "available"
                                        and (v.availability != "available" or v.available_until is not None)
                                        else v) for v in vehicles}
        self.readings = dict(readings)
        self.plugs = dict(plugs or {})
        self._standing: dict[tuple[str, bool], Standing | None] = {}
        # (vehicle, id of a block) -> (that block, its PriorWork): every judgement of a chain asks its earlier
        # blocks' again (the block is kept, so an id is never another block's while cached)
        self._priors: dict[tuple[str, int], tuple[DayBlock, PriorWork]] = {}
        self._temperature = temperature_c
        self._profiles = {n: energy_profile(t) for n, t in self.types.items()}
        self._curves = {n: charging_curve(t) for n, t in self.types.items()}
        self._thresholds = {n: thresholds(depot, t) for n, t in self.types.items()}
        self._estimates: dict[tuple[str, str, int | None], EnergyEstimate | None] = \
            {} if estimates is None else estimates

    # -- what the recommendation and the exact model ask of the depot's rules (no reaching inside) -----
    def thresholds_for(self, type_name: str) -> Thresholds:
        return self._thresholds[type_name]

    def curve_for(self, type_name: str) -> ChargingCurve | None:
        """The type's charging curve (None: it does not charge, or is not electric)."""
        return self._curves.get(type_name)

    def is_electric(self, vehicle_id: str) -> bool:
        return self.types[self.vehicles[vehicle_id].vehicle_type].is_electric

    def fresh_reading(self, vehicle_id: str) -> SocReading | None:
        """The vehicle's latest reading, None when there is none or it is stale (an EV is then never ok)."""
        reading = self.readings.get(vehicle_id)
        th = self._thresholds[self.vehicles[vehicle_id].vehicle_type]
        return None if reading is None or self.now - reading.measured_at > th.stale_after else reading

    @property
    def charging(self) -> DepotCharging:
        """The depot charging seam (domain/depot_charging.py) for the plan this judge was given; made on
        first use, so a judge that never projects charging never plans it."""
        if self._charging is None:
            self._charging = depot_charging(self, self.chargers, self._plan_blocks)
        return self._charging

    def replanned(self, plan: Mapping[str, Iterable[DayBlock]], charging: DepotCharging | None = None) -> FleetJudge:
        """The same judge (energy estimates shared) with the depot's charging planned for `plan` instead
        (`charging`: that very seam, when the caller knows it, made for the same inputs: not asked again)."""
        other = copy.copy(self)
        other._plan_blocks = {vid: list(bs) for vid, bs in plan.items()}
        other._planned = {vid: {(b.block_id, b.service_date) for b in bs} for vid, bs in other._plan_blocks.items()}
        other._charging, other._anchored = charging, None
        other._standing, other._priors = {}, {}
        return other

    def anchored(self) -> FleetJudge:
        """This judge as of the charging plan's anchor: `now` rounded down to the plan's step, the readings as
        they were then (`plan_readings`), the same blocks, marks and estimates. The depot's charging plan is
        made from it, so every board and yard view within the step share one plan (depot_charging.py)."""
        anchor = plan_anchor(self.now)
        if self.plan_readings is None and self.now == anchor:
            return self
        if self._anchored is None:
            other = copy.copy(self)
            other.now, other.plan_readings = anchor, None
            other.readings = dict(self.plan_readings) if self.plan_readings is not None else self.readings
            # the odometer at a block's pull-out is looked up for the latest readings: the plan's inputs are the
            # readings at the anchor alone (the rest of a block read then is its share of time left)
            other.odometer_starts = {}
            other._charging = other._anchored = None
            other._standing, other._priors = {}, {}
            self._anchored = other
        return self._anchored

    def at_moment(self, now: datetime) -> FleetJudge:
        """The same judge (energy estimates and charging seam shared) asked at another moment, with no
        readings yet: what it projects from readings (standing) is the new moment's own, never a copy's."""
        other = copy.copy(self)
        other.now, other.readings, other._standing, other._priors = now, {}, {}, {}
        other.plan_readings, other._anchored = None, None
        return other

    def temperature(self, block: DayBlock) -> float:
        """The block's outside temperature: its day's hourly profile over its hours, else the day's figure,
        else the depot's default."""
        t = self._temperature
        day = t.get(block.service_date) if isinstance(t, Mapping) else t
        if isinstance(day, TemperatureProfile):
            return day.over(block, zone(self.depot.timezone))
        return float(day) if day is not None else self.depot.temperature_c

    def estimate(self, block: DayBlock, type_name: str) -> EnergyEstimate | None:
        """The block's energy on the type, the depot's deadhead to and from it included (domain/deadhead.py)."""
        key = (block.block_id, type_name, block.pk)
        if key not in self._estimates:
            profile = self._profiles.get(type_name)
            hours = (block.pull_in - block.pull_out).total_seconds() / 3600
            extra = self.depot.deadhead(block.trip_ids)
            km = None if block.distance_km is None else block.distance_km + extra.km
            est = None if profile is None else estimate_energy(km, block.distance_source, hours, profile,
                                                               self.temperature(block))
            if est is not None and extra.km:
                est.inputs["deadhead_km"] = round(extra.km, 3)
            self._estimates[key] = est
        return self._estimates[key]

    def rest_of(self, vehicle_id: str, block: DayBlock) -> EnergyEstimate | None:
        """The energy of `block` still to spend after the vehicle's latest reading, when that reading was
        taken during the block (DESIGN §3: never the whole block again); None otherwise."""
        reading = self.readings.get(vehicle_id)
        # the plan's own block first: asked of every block of every judged chain, mostly not the plan's
        if reading is None or (block.block_id, block.service_date) not in self._planned.get(vehicle_id, ()):
            return None
        vtype = self.types[self.vehicles[vehicle_id].vehicle_type]
        start, end = running_span(block)  # as run: a bus back early read at the depot is not on it
        if not start < reading.measured_at < end:
            return None
        est = self.estimate(block, vtype.name)
        if est is None:
            return None
        rest = remaining_part(start, end, block.distance_km, reading.measured_at,
                              odometer_km=reading.odometer_km,
                              odometer_start_km=self.odometer_starts.get((vehicle_id, block.pk)))
        # the way back to the depot is still to drive
        return remaining_energy(est, (rest.km or 0.0) + self.depot.deadhead(block.trip_ids).in_km, rest.hours)

    def _prior(self, vehicle: Vehicle, earlier: Iterable[DayBlock]) -> list[PriorWork]:
        prior = []
        for b in earlier:
            key = (vehicle.vehicle_id, id(b))
            known = self._priors.get(key)
            if known is not None and known[0] is b:
                prior.append(known[1])
                continue
            est = self.estimate(b, vehicle.vehicle_type)
            kwh = est.expected_kwh if est else 0.0
            rest = self.rest_of(vehicle.vehicle_id, b)
            # a reading during a block the plan does not give the vehicle was not taken on it: all of it counts
            # away from the depot while it runs as far as is known (actuals win over the plan)
            work = PriorWork(b.block_id, *running_span(b), kwh, rest.expected_kwh if rest else kwh,
                             *self.depot.allowances(b.trip_ids))
            self._priors[key] = (b, work)
            prior.append(work)
        return prior

    def standing(self, vehicle_id: str, *, plan_free: bool = False) -> Standing | None:
        """Where the vehicle's projection starts: its latest reading, or the yard's marks after it
        (domain/readiness.standing). `plan_free`: the SoC at a later mark without the depot's charging (the
        charging plan's own input: a lower bound, as the plan cannot ask itself)."""
        key = (vehicle_id, plan_free)
        if key not in self._standing:
            reading = self.readings.get(vehicle_id)
            vehicle = self.vehicles[vehicle_id]
            vtype = self.types[vehicle.vehicle_type]
            mine = [b for b in self._plan_blocks.get(vehicle_id, ()) if b.cancelled_at is None]
            charges = not plan_free and vtype.is_electric and self._curves.get(vtype.name) is not None

            def project(start: Standing, t: datetime, plugging: bool) -> float:
                r = readiness_at(t, self.now, reading, vtype.usable_kwh or 1.0,
                                 self.charging.of(vehicle_id) if charges else None,
                                 self._prior(vehicle, [b for b in mine if running_span(b)[1] <= t]), start=start,
                                 until="plug" if plugging else "unplug")
                return float(r.soc_pct) if r.soc_pct is not None else 0.0

            self._standing[key] = None if reading is None else standing(
                reading, self.plugs.get(vehicle_id, ()), [running_span(b) for b in mine], project)
        return self._standing[key]

    def readiness(self, vehicle: Vehicle, block: DayBlock, earlier: Iterable[DayBlock] = ()) -> Readiness | None:
        return self.readiness_until(vehicle, block.pull_out, earlier, leaving_for=block)

    def readiness_until(self, vehicle: Vehicle, at: datetime, earlier: Iterable[DayBlock] = (), *,
                        leaving_for: DayBlock | None = None) -> Readiness | None:
        """Projected SoC at `at` after the `earlier` blocks (the plan's or a hypothetical chain); `leaving_for`:
        the block it pulls out for at `at` (its pull-out allowance comes off the charging before it)."""
        vtype = self.types[vehicle.vehicle_type]
        if not vtype.is_electric:
            return None
        charges = self._curves.get(vehicle.vehicle_type) is not None
        out_allowance = self.depot.allowances(leaving_for.trip_ids)[0] if leaving_for else timedelta(0)
        return readiness_at(at, self.now, self.readings.get(vehicle.vehicle_id), vtype.usable_kwh or 1.0,
                            self.charging.of(vehicle.vehicle_id) if charges else None,
                            self._prior(vehicle, earlier), start=self.standing(vehicle.vehicle_id),
                            out_allowance=out_allowance)

    def live_risk(self, block: DayBlock, vehicle_id: str | None) -> LiveRisk:
        """The live risk of an in-service block (DESIGN §3), from the vehicle's latest reading."""
        vehicle = self.vehicles.get(vehicle_id) if vehicle_id else None
        vtype = self.types.get(vehicle.vehicle_type) if vehicle else None
        th = self._thresholds[vtype.name] if vtype else thresholds(self.depot, _NO_TYPE)
        reading = self.readings.get(vehicle_id) if vehicle_id else None
        at_start = None
        if vehicle is not None and vtype is not None and vtype.is_electric and reading is not None:
            start = running_span(block)[0]
            if reading.measured_at < start:  # what charging and earlier work made of it by the start
                earlier = [b for b in self._plan_blocks.get(vehicle.vehicle_id, ())
                           if b.cancelled_at is None and b.block_id != block.block_id and running_span(b)[1] <= start]
                at_start = self.readiness_until(vehicle, start, earlier, leaving_for=block)
        return live_risk(block, self.now, vehicle_id=vehicle_id, vtype=vtype, at_start=at_start,
                         unavailable=unavailable_words(vehicle, self.now, th.timezone) if vehicle else None,
                         reading=reading, estimate=self.estimate(block, vtype.name) if vtype else None, thresholds=th,
                         deadhead=self.depot.deadhead(block.trip_ids),
                         odometer_start_km=self.odometer_starts.get((vehicle_id, block.pk)) if vehicle_id else None)

    def judge(self, vehicle_id: str, block: DayBlock, vehicle_blocks: Sequence[DayBlock] = ()) -> Viability:
        """Viability of `vehicle_id` on `block`, given the other blocks the plan gives that vehicle."""
        vehicle = self.vehicles[vehicle_id]
        vtype = self.types[vehicle.vehicle_type]
        others = [b for b in vehicle_blocks if b.block_id != block.block_id and b.cancelled_at is None]
        earlier = [b for b in others if b.pull_in <= block.pull_out]
        estimate = self.estimate(block, vehicle.vehicle_type)
        readiness = self.readiness(vehicle, block, earlier)
        rest = self.rest_of(vehicle_id, block) if vtype.is_electric else None
        if rest is not None and readiness is not None and readiness.reading is not None:
            # read during this very block: judge the reading against what is left of it
            reading = readiness.reading
            estimate = rest
            readiness = Readiness(reading.soc_pct, reading.measured_at, reading, readiness.reading_age,
                                  plugged_in=False, during_block=True)
        return assess(vehicle, vtype, block, now=self.now, thresholds=self._thresholds[vehicle.vehicle_type],
                      estimate=estimate, readiness=readiness, other_blocks=others)

    def end_soc_matrix(self, blocks: Sequence[DayBlock], vehicle_ids: Sequence[str],
                       known: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """Expected SoC % at pull-in for each idle EV (rows) on each block (columns); NaN where unknown.

        Vectorised per vehicle type: charging from the reading to each pull-out in closed form. `known`: rows
        worked out before for these very blocks and unchanged vehicles (domain/hints.py), taken as they are.
        """
        out = np.full((len(vehicle_ids), len(blocks)), np.nan)
        if not blocks:
            return out
        # hours from an instant, not from `now`: the same figures whenever they are asked (a board kept
        # across requests equals one made afresh)
        starts = np.array([b.pull_out.timestamp() / 3600 for b in blocks])
        by_type: dict[str, list[int]] = {}
        for i, vid in enumerate(vehicle_ids):
            by_type.setdefault(self.vehicles[vid].vehicle_type, []).append(i)
        for type_name, rows in by_type.items():
            vtype = self.types[type_name]
            if not vtype.is_electric or not vtype.usable_kwh:
                continue
            need = np.array([(e.expected_kwh if (e := self.estimate(b, type_name)) else np.nan) for b in blocks])
            need_pct = 100 * need / vtype.usable_kwh
            curve = self._curves.get(type_name)
            for i in rows:
                if known and vehicle_ids[i] in known:
                    out[i] = known[vehicle_ids[i]]
                    continue
                st = self.standing(vehicle_ids[i], plan_free=True)
                if st is None:
                    continue
                soc0 = st.soc_pct / 100
                if st.plugged and curve is not None:
                    hours = starts - st.since.timestamp() / 3600
                    ready = curve.soc_after(np.full(len(blocks), soc0), hours) * 100
                else:
                    ready = np.full(len(blocks), st.soc_pct)
                out[i] = ready - need_pct
        return out


_NO_TYPE = VehicleType("-", "diesel")
