"""Linear energy rows for the exact model (domain/exact.py), with and without charging between blocks.

Without charging a chain's energy adds up: `linear_energy` is exact. With charging the rule is not
linear (a concave curve, a full battery stops the charge, allowances, connectors), but it is bounded
by a linear envelope: a bus never gains charge faster than its curve's highest battery-side power
`kw`, only while it stands (not while it runs a block), and never holds more than a full battery. So
for a window that starts at a block `a` the bus runs (or at its reading) and ends at the start of a
block `b` it runs:

    sum over its blocks c in the window of (kWh of c + kw * hours of c)  +  what b needs at pull-out
        <=  kWh it can hold at the window's start above b's floor  +  kw * hours of the window

is valid for the real rule (`window`). It needs no big-M: when `a` is not run, the same row from the
bus's first block inside the window is tighter, and when no block of the window is run it only says
that `b` fits on a full battery. The rows from the reading are added up front; the rows from a block
are added where a proposed chain breaks them (`violated`), for every EV of the type (they depend on the
type, not on the bus). They cut off many chains at once where the oracle's cuts cut one set each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from depotdispatch.domain.exact import EvOracle

# The rule rounds the SoC at pull-out to 0.01 and at pull-in to 0.1 points: a row allows that much, so a
# chain the rule calls ok always satisfies it
SLACK_PCT = 0.1
KINDS = (0, 1)  # the expected energy above reserve + marginal band; the conservative one above the reserve

AddRow = Callable[[list[int], float, list[float]], None]


def linear_energy(oracle: EvOracle, cand: Sequence[int], x: Mapping[int, int], add_row: AddRow) -> None:
    """For an EV that does not charge: before each of its blocks, the energy of its earlier blocks and
    this one leaves the reserve (expected) and the marginal band (conservative). No big-M: with x_b = 0
    the row only repeats what the vehicle's last block before b already guarantees."""
    th, usable, blocks = oracle.th, oracle.usable, oracle.blocks
    soc = oracle.reading.soc_pct if oracle.reading else 0.0
    est = {a: oracle.est[a] for a in cand}
    known = {a: e for a, e in est.items() if e is not None}
    assert len(known) == len(est), "a candidate block has an energy estimate (else it is not viable)"
    for b in cand:
        e = known[b]
        prior = [(x[a], known[a].expected_kwh) for a in cand if blocks[a].pull_in <= blocks[b].pull_out]
        for need, floor in ((e.expected_kwh, th.reserve_pct + th.marginal_band_pct),
                            (e.conservative_kwh, th.reserve_pct)):
            add_row([c for c, _ in prior] + [x[b]], (soc - floor) / 100 * usable,
                     [k for _, k in prior] + [need])


def max_kw(oracle: EvOracle) -> float:
    """The fastest the bus ever takes charge, battery side (the depot's chargers only cap it lower)."""
    assert oracle.curve is not None
    return float(np.max(oracle.curve.p))


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def window(oracle: EvOracle, kw: float, x: Mapping[int, int], a: int | None, b: int, kind: int
           ) -> tuple[list[int], float, list[float]] | None:
    """The row of the window from block `a` (None: from the reading) to block `b`, over the vehicle's
    columns `x`; None when `a` cannot come before `b`."""
    blocks, est, th, usable = oracle.blocks, oracle.est, oracle.th, oracle.usable
    eb = est[b]
    if eb is None or b not in x:
        return None
    if a is None:
        st = oracle.judge.standing(oracle.vid)
        assert st is not None
        t0, top = st.since, st.soc_pct
    else:
        if a not in x or blocks[a].pull_in > blocks[b].pull_out:
            return None
        t0, top = blocks[a].pull_out, 100.0
    floor = th.reserve_pct + th.marginal_band_pct if kind == 0 else th.reserve_pct
    need = eb.expected_kwh if kind == 0 else eb.conservative_kwh
    entries, values = [x[b]], [need]
    for c, col in x.items():
        blk, ec = blocks[c], est[c]
        if c != b and ec is not None and blk.pull_out >= t0 and blk.pull_in <= blocks[b].pull_out:
            entries.append(col)
            values.append(ec.expected_kwh + kw * _hours(blk.pull_out, blk.pull_in))
    bound = (top - floor + SLACK_PCT) / 100 * usable + kw * max(_hours(t0, blocks[b].pull_out), 0.0)
    return entries, bound, values


def violated(oracle: EvOracle, kw: float, x: Mapping[int, int], chain: Sequence[int], k: int
             ) -> list[tuple[int | None, int, int]]:
    """The windows (a, b, kind) ending at the chain's block k that the chain breaks."""
    b, out = chain[k], []
    on = {x[i] for i in chain if i in x}
    for a in [None, *chain[:k]]:
        for kind in KINDS:
            row = window(oracle, kw, x, a, b, kind)
            if row is not None:
                entries, bound, values = row
                if sum(v for c, v in zip(entries, values, strict=True) if c in on) > bound + 1e-6:
                    out.append((a, b, kind))
    return out
