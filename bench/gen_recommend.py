"""Seeded synthetic instances for the recommendation benchmark (bench/recommend.py).

`make_instance(seed, n_blocks, n_vehicles)` only draws numbers with numpy's seeded generator: a UTC
depot, a mixed fleet (about 2/3 battery-electric 12 m buses of two types, 12 m diesels and a few 18 m
diesels), one SoC reading per EV measured at `now` (20-100 %, a few on a charger), and `DayBlock`s
pulling out between now+1 h and now+18 h. Block distances follow their duration at 12-20 km/h, except
the "long" ones (15-16 h, over 300 km) that no EV can run on one charge, and a few blocks need an 18 m
vehicle, which only the 18 m diesels are. Same seed and sizes, same instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading

DEPOT = Depot("BENCH", "Synthetic recommendation depot", "UTC", reserve_pct=20, marginal_band_pct=10,
              turnaround_min=10, temperature_c=15)
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
SERVICE_DATE = date(2026, 3, 10)

EV_TYPES = (
    VehicleType("E12-350", "bev", usable_kwh=350.0, kwh_per_km=1.4, vehicle_class="12m", charge_kw=150.0),
    VehicleType("E12-450", "bev", usable_kwh=450.0, kwh_per_km=1.2, vehicle_class="12m", charge_kw=150.0),
)
DIESEL = VehicleType("D12", "diesel", vehicle_class="12m")
DIESEL_ARTIC = VehicleType("D18", "diesel", vehicle_class="18m")
TYPES = {t.name: t for t in (*EV_TYPES, DIESEL, DIESEL_ARTIC)}

# (name, share, duration range in hours); distance = duration x 12-20 km/h except for "long"
BLOCK_KINDS = (
    ("short", 0.45, (0.5, 4.0)),
    ("mid", 0.30, (4.0, 9.0)),
    ("day", 0.18, (9.0, 14.0)),
    ("long", 0.07, (15.0, 16.0)),  # 305-340 km: beyond any EV's battery
)
LONG_KM = (305.0, 340.0)
ARTIC_SHARE = 0.05  # blocks that need an 18 m bus
PLUGGED_SHARE = 0.15  # EVs whose reading says they stand on a charger
MAINTENANCE_SHARE = 0.03


@dataclass
class Instance:
    seed: int
    depot: Depot
    types: dict[str, VehicleType]
    vehicles: list[Vehicle]
    readings: dict[str, SocReading]
    now: datetime
    blocks: list[DayBlock]
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{len(self.blocks)}x{len(self.vehicles)}"

    def judge(self) -> FleetJudge:
        """A fresh judge (its energy-estimate cache empty), so every timed solve starts cold."""
        return FleetJudge(self.depot, self.types, self.vehicles, self.readings, self.now)

    def with_soc(self, vehicle_id: str, delta_pct: float) -> Instance:
        """The same instance with one EV's reading moved by `delta_pct` points (clipped to 0-100)."""
        r = self.readings[vehicle_id]
        readings = dict(self.readings)
        readings[vehicle_id] = replace(r, soc_pct=float(min(100.0, max(0.0, r.soc_pct + delta_pct))))
        return replace(self, readings=readings)


    def with_changes(self, rng: np.random.Generator, k: int) -> tuple[Instance, set[str], list[str]]:
        """The instance after `k` random small changes, each one of: an EV's reading moves by 1-5 points
        either way, an available vehicle goes out of service, a block is added. Also the vehicles
        touched and what was done, in words."""
        inst, touched, said = self, set(), []
        for n in range(k):
            kind = int(rng.integers(3))
            available = sorted(v.vehicle_id for v in inst.vehicles if v.availability == "available")
            evs = [v for v in available if v in inst.readings]
            if kind == 0 and evs:
                vid = evs[int(rng.integers(len(evs)))]
                delta = float(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]))
                inst = inst.with_soc(vid, delta)
                touched.add(vid)
                said.append(f"{vid} {delta:+.0f} points")
            elif kind == 1 and available:
                vid = available[int(rng.integers(len(available)))]
                inst = replace(inst, vehicles=[replace(v, availability="maintenance") if v.vehicle_id == vid else v
                                               for v in inst.vehicles])
                touched.add(vid)
                said.append(f"{vid} down")
            else:
                new = replace(make_blocks(rng, 1)[0], block_id=f"X{n + 1:03d}")
                inst = replace(inst, blocks=sorted([*inst.blocks, new], key=lambda b: (b.pull_out, b.block_id)))
                said.append(f"block {new.block_id} added")
        return inst, touched, said


def make_blocks(rng: np.random.Generator, n: int) -> list[DayBlock]:
    shares = np.array([k[1] for k in BLOCK_KINDS])
    kinds = rng.choice(len(BLOCK_KINDS), size=n, p=shares / shares.sum())
    out = []
    for i in range(n):
        name, _, (d0, d1) = BLOCK_KINDS[kinds[i]]
        start_min = int(round(rng.uniform(1.0, 18.0) * 12)) * 5  # 5-minute grid
        dur_min = int(round(rng.uniform(d0, d1) * 12)) * 5
        hours = dur_min / 60
        km = rng.uniform(*LONG_KM) if name == "long" else hours * rng.uniform(12.0, 20.0)
        vclass = "18m" if rng.random() < ARTIC_SHARE else None
        start = NOW + timedelta(minutes=start_min)
        out.append(DayBlock(block_id=f"B{i + 1:04d}", service_date=SERVICE_DATE, pull_out=start,
                            pull_in=start + timedelta(minutes=dur_min), distance_km=round(float(km), 1),
                            distance_source="stated", vehicle_class=vclass))
    return sorted(out, key=lambda b: (b.pull_out, b.block_id))


def make_fleet(rng: np.random.Generator, n: int) -> list[Vehicle]:
    evs = round(n * 2 / 3)
    artics = max(1, round(n * ARTIC_SHARE))
    diesels = n - evs - artics
    vtypes = [EV_TYPES[i % len(EV_TYPES)] for i in range(evs)] + [DIESEL] * diesels + [DIESEL_ARTIC] * artics
    out = []
    for i, vt in enumerate(vtypes):
        prefix = "E" if vt.is_electric else ("A" if vt.vehicle_class == "18m" else "D")
        availability = "maintenance" if rng.random() < MAINTENANCE_SHARE else "available"
        out.append(Vehicle(f"{prefix}{i + 1:04d}", DEPOT.depot_id, vt.name, availability))
    return out


def make_readings(rng: np.random.Generator, vehicles: list[Vehicle]) -> dict[str, SocReading]:
    out = {}
    for v in vehicles:
        if not TYPES[v.vehicle_type].is_electric:
            continue
        soc = round(float(rng.uniform(20.0, 100.0)), 1)
        out[v.vehicle_id] = SocReading(v.vehicle_id, soc, NOW, "telematics",
                                       plugged_in=bool(rng.random() < PLUGGED_SHARE))
    return out


def make_instance(seed: int, n_blocks: int, n_vehicles: int) -> Instance:
    rng = np.random.default_rng([seed, n_blocks, n_vehicles])
    blocks = make_blocks(rng, n_blocks)
    vehicles = make_fleet(rng, n_vehicles)
    readings = make_readings(rng, vehicles)
    notes = {
        "evs": sum(1 for v in vehicles if TYPES[v.vehicle_type].is_electric),
        "artics": sum(1 for v in vehicles if TYPES[v.vehicle_type].vehicle_class == "18m"),
        "maintenance": sum(1 for v in vehicles if v.availability != "available"),
        "plugged": sum(1 for r in readings.values() if r.plugged_in),
        "long_blocks": sum(1 for b in blocks if (b.distance_km or 0) > 300),
        "artic_blocks": sum(1 for b in blocks if b.vehicle_class == "18m"),
    }
    return Instance(seed, DEPOT, dict(TYPES), vehicles, readings, NOW, blocks, notes)
