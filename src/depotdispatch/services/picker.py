"""The vehicle picker: every vehicle of the depot judged for one block, most suitable first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import NotFound
from depotdispatch.domain.horizon import horizon
from depotdispatch.domain.live import LiveRisk
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.status import BlockState, block_status
from depotdispatch.domain.takeover import Takeover
from depotdispatch.domain.turnaround import OVERLAP
from depotdispatch.domain.viability import SEVERITY, Viability
from depotdispatch.services.board import can_assign
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import day_context, require_day, warning_codes
from depotdispatch.services.takeovers import missed, takeovers
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class VehicleOption:
    vehicle_id: str
    vehicle_type: str
    propulsion: str
    viability: Viability
    warnings: list[str]  # codes an override has to acknowledge
    current: bool  # the block's vehicle now

    @property
    def refused(self) -> bool:
        """Overlapping work: `plan assign` refuses it whatever is said, so no front end offers it."""
        return OVERLAP in self.viability.codes


@dataclass
class BlockOptions:
    block: DayBlock
    state: BlockState
    assignment: Assignment | None
    plan_version: int
    options: list[VehicleOption]
    live: LiveRisk | None = None  # in service only (DESIGN §3): from live data, as on the board
    takeover: Takeover | None = None  # a missed pull-out: who can take the rest over (services/takeovers.py)

    @property
    def can_assign(self) -> bool:
        return can_assign(self.state, self.live)


def vehicle_options(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str,
                    now: datetime) -> BlockOptions:
    """Judged exactly as `plan.assign` will judge them (the vehicle's other blocks of the plan included):
    ok first, then by SoC at pull-in, then fleet number."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        version = uow.plans.version(day_id)
        ctx = day_context(uow, depot, service_date, now)
        block = next((b for b in ctx.blocks if b.block_id == block_id and b.service_date == service_date), None)
        if block is None:
            raise NotFound(f"no block {block_id!r} on {service_date}")
        assignment = ctx.assignments.get(block.pk or -1)
        gone = missed([block], ctx.assignments, service_date, now)
        takeover = takeovers(uow, depot, service_date, ctx.judge, gone, ctx.vehicle_blocks, now)[0] if gone else None
    options = []
    for vid, vehicle in ctx.judge.vehicles.items():
        others = [b for b in ctx.vehicle_blocks.get(vid, []) if b.pk != block.pk]
        v = ctx.judge.judge(vid, block, [*others, block])
        vtype = ctx.judge.types[vehicle.vehicle_type]
        options.append(VehicleOption(vid, vtype.name, vtype.propulsion, v, warning_codes(v),
                                     assignment is not None and assignment.vehicle_id == vid))
    options.sort(key=lambda o: (SEVERITY.get(o.viability.status, 9),
                                -(o.viability.end_soc_pct if o.viability.end_soc_pct is not None else -1.0),
                                o.vehicle_id))
    state = block_status(block, now, horizon(depot, now).end)  # the board's window: the same word on both
    live = (ctx.judge.live_risk(block, runner(block, assignment.vehicle_id if assignment else None))
            if state.status == "in_service" else None)
    return BlockOptions(block, state, assignment, version, options, live, takeover)
