"""A greedy dispatch baseline for bench/recommend.py (for comparison only; not part of the product).

In the style of an adaptive depot dispatch: blocks in departure order; each goes to the standing EV
with the lowest projected SoC at pull-out that the full viability rule (`FleetJudge.judge`) still
calls "ok" on top of what it already runs, keeping the fuller batteries for later; when no EV can,
to the first free non-EV vehicle that is "ok"; else the block stays uncovered. A vehicle is free when
its last block pulled in at least the depot's turnaround before the pull-out. Written from that
description for this benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock


def greedy(judge: FleetJudge, blocks: Sequence[DayBlock]) -> dict[str, str]:
    """block_id -> vehicle_id for the blocks it covers."""
    turn = timedelta(minutes=judge.depot.turnaround_min)
    vids = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available")
    evs = [v for v in vids if judge.types[judge.vehicles[v].vehicle_type].is_electric]
    others = [v for v in vids if not judge.types[judge.vehicles[v].vehicle_type].is_electric]
    chains: dict[str, list[DayBlock]] = {v: [] for v in vids}
    out: dict[str, str] = {}
    for block in sorted(blocks, key=lambda b: (b.pull_out, b.block_id)):
        if block.cancelled_at is not None:
            continue

        def free(v: str, block: DayBlock = block) -> bool:
            return not chains[v] or chains[v][-1].pull_in + turn <= block.pull_out

        best: tuple[float, str] | None = None
        for v in evs:
            if not free(v):
                continue
            verdict = judge.judge(v, block, [*chains[v], block])
            if verdict.status != "ok" or verdict.readiness is None or verdict.readiness.soc_pct is None:
                continue
            key = (verdict.readiness.soc_pct, v)
            if best is None or key < best:
                best = key
        chosen = best[1] if best is not None else None
        if chosen is None:
            chosen = next((v for v in others if free(v) and judge.judge(v, block, [*chains[v], block]).status == "ok"),
                          None)
        if chosen is not None:
            chains[chosen].append(block)
            out[block.block_id] = chosen
    return out
