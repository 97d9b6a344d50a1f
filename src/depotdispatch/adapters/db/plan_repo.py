"""The plan's rows: assignments of a day, its version, and the audit events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import AssignmentRow, BlockRow, DispatchDayRow
from depotdispatch.domain.plan import Assignment


class PlanRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def assignments_for_dates(self, depot_id: str, dates: Iterable[date]) -> dict[int, Assignment]:
        """Assignments keyed by block pk, for the depot's dispatch days on `dates`."""
        q = (select(AssignmentRow, BlockRow.block_id)
             .join(BlockRow, BlockRow.block_pk == AssignmentRow.block_pk)
             .join(DispatchDayRow, DispatchDayRow.dispatch_day_id == AssignmentRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date.in_(list(dates))))
        return {a.block_pk: _assignment(a, block_id) for a, block_id in self.session.execute(q)}


def _assignment(a: AssignmentRow, block_id: str) -> Assignment:
    return Assignment(block_id=block_id, vehicle_id=a.vehicle_id, source=a.source, actor=a.actor,
                      assigned_at=a.assigned_at, override_reason=a.override_reason,
                      acknowledged=tuple(a.acknowledged or ()), block_pk=a.block_pk)
