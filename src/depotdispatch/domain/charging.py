"""Depot charging: how far a plugged-in battery gets in a given time.

The curve is the eflips/SimBA format, [[soc, kW], ...] piecewise linear in SoC (0..1), the battery's
accepted power. It is capped by the charger's power times the charging efficiency (default 0.95,
eflips' default). Between breakpoints the power is linear in SoC, so the time to cross a segment has
a closed form (a logarithm), and so does its inverse: no time stepping, and it vectorises.
Without a curve: full power to 80 %, then a linear taper to 20 % of it at 100 % (a common CC-CV shape).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from depotdispatch.domain.errors import InvalidInput

DEFAULT_EFFICIENCY = 0.95


def default_curve(charger_kw: float) -> list[tuple[float, float]]:
    return [(0.0, charger_kw), (0.8, charger_kw), (1.0, 0.2 * charger_kw)]


class ChargingCurve:
    def __init__(self, usable_kwh: float, points: Sequence[Sequence[float]], charger_kw: float | None = None,
                 efficiency: float = DEFAULT_EFFICIENCY) -> None:
        if not usable_kwh > 0:
            raise InvalidInput("charging needs a usable battery capacity")
        if not 0 < efficiency <= 1:
            raise InvalidInput(f"charging efficiency {efficiency} must be in (0, 1]")
        pts = sorted((float(s), float(p)) for s, p in points)
        if len(pts) < 2 or pts[0][0] > 0 or pts[-1][0] < 1 or any(p < 0 for _, p in pts):
            raise InvalidInput("a charging curve needs [soc, kW] points from soc 0 to 1 with kW >= 0")
        cap = None if charger_kw is None else charger_kw * efficiency
        s, p = self._capped(pts, cap)
        self.usable_kwh = usable_kwh
        self.s, self.p = np.array(s), np.array(p)
        self.slope = np.diff(self.p) / np.maximum(np.diff(self.s), 1e-12)
        seg_t = np.empty(len(s) - 1)
        for k in range(len(s) - 1):
            seg_t[k] = self._cross(self.p[k], self.p[k + 1], self.s[k + 1] - self.s[k], self.slope[k])
        self.t = np.concatenate([[0.0], np.cumsum(seg_t)])  # hours from soc 0 to each breakpoint
        self._s, self._p, self._m, self._t = ([float(x) for x in a] for a in (self.s, self.p, self.slope, self.t))

    @staticmethod
    def _capped(pts: list[tuple[float, float]], cap: float | None) -> tuple[list[float], list[float]]:
        if cap is None:
            return [x for x, _ in pts], [y for _, y in pts]
        s_out, p_out = [pts[0][0]], [min(pts[0][1], cap)]
        for (s0, p0), (s1, p1) in zip(pts, pts[1:], strict=False):
            if (p0 - cap) * (p1 - cap) < 0:  # the curve crosses the cap inside this segment
                s_cross = s0 + (cap - p0) * (s1 - s0) / (p1 - p0)
                s_out.append(s_cross)
                p_out.append(cap)
            s_out.append(s1)
            p_out.append(min(p1, cap))
        return s_out, p_out

    def _cross(self, p0: float, p1: float, ds: float, m: float) -> float:
        if ds <= 0:
            return 0.0
        if p0 <= 0 or p1 <= 0:
            return np.inf
        if abs(p1 - p0) < 1e-9:
            return self.usable_kwh * ds / p0
        return float(self.usable_kwh * ds / (p1 - p0) * np.log(p1 / p0))

    def _time_at(self, soc: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.s, soc, side="right") - 1, 0, len(self.s) - 2)
        p0, m, ds = self.p[k], self.slope[k], soc - self.s[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            flat = self.usable_kwh * ds / np.where(p0 > 0, p0, np.nan)
            sloped = self.usable_kwh / np.where(m != 0, m, np.nan) * np.log1p(m * ds / np.where(p0 > 0, p0, np.nan))
        part = np.where(np.abs(m) < 1e-9, flat, sloped)
        return self.t[k] + np.where(ds > 0, part, 0.0)

    def soc_after(self, soc_start: np.ndarray | float, hours: np.ndarray | float) -> np.ndarray:
        """SoC fraction after charging for `hours` from `soc_start` (arrays broadcast)."""
        if isinstance(soc_start, float | int) and isinstance(hours, float | int):
            # a numpy scalar (it broadcasts like the array the signature names; numpy's stubs say otherwise)
            return np.float64(self._soc_after_scalar(float(soc_start), float(hours)))  # type: ignore[return-value]
        s0 = np.clip(np.asarray(soc_start, dtype=float), 0.0, 1.0)
        return self._soc_from(s0, self._time_at(s0), hours)

    def soc_after_one(self, soc_start: float, hours: float) -> float:
        """`soc_after` of one start and one duration, as a plain float (readiness and the recommender's energy
        bound ask one stay at a time, thousands of times a solve)."""
        return self._soc_after_scalar(float(soc_start), float(hours))

    def soc_after_each(self, soc_start: np.ndarray, which: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """`soc_after(soc_start[which], hours)` with the curve looked up once per start, not once per stay
        (a vehicle's row of blocks: many stays from one SoC)."""
        s0 = np.clip(np.asarray(soc_start, dtype=float), 0.0, 1.0)
        return self._soc_from(s0[which], self._time_at(s0)[which], hours)

    def _soc_from(self, s0: np.ndarray, t0: np.ndarray, hours: np.ndarray | float) -> np.ndarray:
        """SoC after `hours` from `s0` (clipped to 0..1), `t0` its hours from 0 on the curve (`_time_at`)."""
        h = np.maximum(np.asarray(hours, dtype=float), 0.0)
        target = t0 + h
        k = np.clip(np.searchsorted(self.t, target, side="right") - 1, 0, len(self.s) - 2)
        tk, p0, m = self.t[k], self.p[k], self.slope[k]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            dt = target - tk  # inf - inf past a 0 kW segment: NaN, handled below
            flat = self.s[k] + p0 * dt / self.usable_kwh
            sloped = self.s[k] + p0 / np.where(m != 0, m, np.nan) * np.expm1(m * dt / self.usable_kwh)
        s = np.where(np.abs(m) < 1e-9, flat, sloped)
        s = np.where(np.isfinite(tk) & (target < self.t[-1]), s, self.s[-1] if np.isfinite(self.t[-1]) else s)
        # a segment that cannot be crossed (0 kW) stops the charge at its start
        s = np.where(np.isnan(s), self.s[k], s)
        out: np.ndarray = np.clip(np.maximum(s, s0), 0.0, 1.0)
        return out

    def _scalar_time_at(self, soc: float) -> float:
        k = min(max(bisect.bisect_right(self._s, soc) - 1, 0), len(self._s) - 2)
        p0, m, ds = self._p[k], self._m[k], soc - self._s[k]
        if ds <= 0:
            return self._t[k]
        if p0 <= 0:
            return math.inf
        if abs(m) < 1e-9:
            return self._t[k] + self.usable_kwh * ds / p0
        return self._t[k] + self.usable_kwh / m * math.log1p(m * ds / p0)

    def _soc_after_scalar(self, soc_start: float, hours: float) -> float:
        """The same closed form without numpy's per-call cost: readiness asks one value at a time."""
        s0 = min(max(soc_start, 0.0), 1.0)
        target = self._scalar_time_at(s0) + max(hours, 0.0)
        if not math.isfinite(target) or target >= self._t[-1]:
            if math.isfinite(self._t[-1]):
                return 1.0 if self._s[-1] >= 1.0 else max(self._s[-1], s0)
            # a 0 kW segment stops the charge where it starts
            k = next((i for i, t in enumerate(self._t) if not math.isfinite(t)), len(self._t)) - 1
            return max(self._s[max(k, 0)], s0) if not math.isfinite(target) or target >= self._t[k] else s0
        k = min(max(bisect.bisect_right(self._t, target) - 1, 0), len(self._s) - 2)
        p0, m, dt = self._p[k], self._m[k], target - self._t[k]
        s = self._s[k] + (p0 * dt / self.usable_kwh if abs(m) < 1e-9
                          else p0 / m * math.expm1(m * dt / self.usable_kwh))
        return min(max(s, s0), 1.0)

    def hours_between(self, soc_from: float, soc_to: float) -> float:
        """Hours to charge from one SoC fraction to another (inf when the curve never gets there)."""
        a, b = min(max(soc_from, 0.0), 1.0), min(max(soc_to, 0.0), 1.0)
        return 0.0 if b <= a else self._scalar_time_at(b) - self._scalar_time_at(a)
