"""Block facts recorded during the day: actual start and end. They win over the plan."""

from __future__ import annotations

from datetime import date, datetime

from depotdispatch.domain.days import MAX_ACTUAL_SHIFT
from depotdispatch.domain.errors import InvalidInput, NotFound
from depotdispatch.domain.readings import MAX_SKEW
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


def record_actuals(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *,
                   actual_start: datetime | None, actual_end: datetime | None, now: datetime) -> None:
    with uow:
        require_depot(uow, depot_id)
        block = uow.days.block(depot_id, service_date, block_id)
        if block is None:
            raise NotFound(f"no block {block_id!r} on {service_date} at depot {depot_id!r}")
        block_id = block.block_id
        start = actual_start or block.actual_start
        end = actual_end or block.actual_end
        if end is not None and start is None:
            raise InvalidInput("record the actual start before the actual end")
        if start is not None and end is not None and end <= start:
            raise InvalidInput("the actual end is not after the actual start")
        for label, t in (("start", actual_start), ("end", actual_end)):
            if t is not None and t > now + MAX_SKEW:
                raise InvalidInput(f"the actual {label} {t.isoformat()} is in the future")
            planned = block.start_at if label == "start" else block.end_at
            if t is not None and abs(t - planned) > MAX_ACTUAL_SHIFT:
                raise InvalidInput(f"the actual {label} is more than {MAX_ACTUAL_SHIFT.seconds // 3600} h from the "
                                   f"planned {'pull-out' if label == 'start' else 'pull-in'}; is it the right block?")
        assert block.pk is not None, "a stored block has its key"
        uow.days.set_actuals(block.pk, start, end)
        announce(uow, depot_id, service_date, "actual", block_id=block_id)
        uow.commit()
