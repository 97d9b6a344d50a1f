"""An upper bound on a judgement's end SoC, at a fraction of its cost: the explanation's "best free EV"
(domain/explain.py) judges in full only the EVs whose bound could beat the best judged so far."""

from __future__ import annotations

from collections.abc import Sequence

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.status import running_span


def end_soc_bound(judge: FleetJudge, vehicle_id: str, block: DayBlock,
                  vehicle_blocks: Sequence[DayBlock] = ()) -> float | None:
    """An upper bound on `judge.judge(vehicle_id, block, vehicle_blocks).end_soc_pct`, at a fraction of its cost
    (None: no bound known, or it has none). Readiness' walk with every stay charged for the whole stay on a
    charger of its own at the type's full rate: allowances, the minimum dwell and the depot's charging plan
    only take charge away, and the charging curve gives more for more time or charge. The same energy and
    roundings (both monotone). Not bounded: a start at a yard mark (projected with the charging plan), a
    reading during a block (its rest is spent)."""
    vehicle = judge.vehicles[vehicle_id]
    vtype = judge.types[vehicle.vehicle_type]
    reading = judge.readings.get(vehicle_id)
    estimate = judge.estimate(block, vehicle.vehicle_type)
    at = block.pull_out
    if not vtype.is_electric or reading is None or estimate is None \
            or reading.measured_at >= min(at, running_span(block)[0]):
        return None
    st = judge.standing(vehicle_id)
    if st is None or st.marked:
        return None
    curve, usable = judge.curve_for(vtype.name), vtype.usable_kwh or 1.0
    soc, cursor, plugged = st.soc_pct / 100, st.since, st.plugged
    earlier = [(*running_span(b), b) for b in vehicle_blocks if b.block_id != block.block_id
               and b.cancelled_at is None and b.pull_in <= at]
    for start, end, b in sorted(earlier, key=lambda w: w[0]):
        if end <= st.since or start >= at:
            continue
        if start < st.since:
            return None
        if plugged and curve is not None and start > cursor:
            soc = curve.soc_after_one(max(soc, 0.0), (start - cursor).total_seconds() / 3600)
        spent = judge.estimate(b, vehicle.vehicle_type)
        soc -= (spent.expected_kwh if spent else 0.0) / usable
        cursor, plugged = end, True
    if plugged and curve is not None and at > cursor and soc > 0:
        soc = curve.soc_after_one(soc, (at - cursor).total_seconds() / 3600)
    # a stay cut in pieces (the charging plan) may differ from one in its last float digits: some slack
    return round(round(soc * 100 + 1e-6, 2) - 100 * estimate.expected_kwh / usable, 1)
