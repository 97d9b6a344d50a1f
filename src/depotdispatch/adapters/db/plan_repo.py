"""The plan's rows: assignments of a day, its version, and the audit events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.orm import Session

from depotdispatch.adapters.db.tables import (
    AssignmentRow,
    BlockRow,
    DispatchDayRow,
    EventRow,
    RecommendationRow,
    table_of,
)
from depotdispatch.domain.events import Event
from depotdispatch.domain.plan import Assignment, StoredRecommendation
from depotdispatch.domain.words import AssignmentSource


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

    def versions(self, depot_id: str, first: date, last: date) -> dict[date, int]:
        q = select(DispatchDayRow.service_date, DispatchDayRow.plan_version).where(
            DispatchDayRow.depot_id == depot_id, DispatchDayRow.service_date >= first,
            DispatchDayRow.service_date <= last)
        return {r[0]: r[1] for r in self.session.execute(q)}

    def version(self, day_id: int) -> int:
        return self.session.scalar(select(DispatchDayRow.plan_version).where(
            DispatchDayRow.dispatch_day_id == day_id)) or 0

    def bump_version(self, day_id: int, expected: int) -> bool:
        """Compare-and-set: only one writer can move the plan from `expected` to the next version."""
        result = self.session.execute(
            update(DispatchDayRow)
            .where(DispatchDayRow.dispatch_day_id == day_id, DispatchDayRow.plan_version == expected)
            .values(plan_version=expected + 1))
        assert isinstance(result, CursorResult)  # an UPDATE's result: it carries the row count
        return result.rowcount == 1

    def put_many(self, day_id: int, items: list[tuple[int, Assignment]], now: datetime) -> None:
        """Bulk: one delete and one multi-row insert (a 2,500-row sheet in well under a second)."""
        pks = [pk for pk, _ in items]
        self.remove_many(pks)
        if items:
            self.session.execute(insert(table_of(AssignmentRow)), [
                {"block_pk": pk, "dispatch_day_id": day_id, "vehicle_id": a.vehicle_id, "source": a.source,
                 "actor": a.actor, "assigned_at": a.assigned_at or now, "override_reason": a.override_reason,
                 "acknowledged": list(a.acknowledged)} for pk, a in items])

    def remove_many(self, pks: list[int]) -> None:
        for i in range(0, len(pks), 500):
            self.session.execute(delete(AssignmentRow).where(AssignmentRow.block_pk.in_(pks[i:i + 500])))

    def add_events(self, events: list[Event]) -> None:
        if events:
            self.session.execute(insert(table_of(EventRow)), [
                {"depot_id": e.depot_id, "service_date": e.service_date, "block_id": e.block_id,
                 "vehicle_id": e.vehicle_id, "kind": e.kind, "actor": e.actor, "at": e.at,
                 "plan_version": e.plan_version, "before": e.before, "after": e.after} for e in events])

    def add_event(self, e: Event) -> None:
        self.session.execute(insert(EventRow).values(
            depot_id=e.depot_id, service_date=e.service_date, block_id=e.block_id, vehicle_id=e.vehicle_id,
            kind=e.kind, actor=e.actor, at=e.at, plan_version=e.plan_version, before=e.before, after=e.after))

    def events(self, depot_id: str, *, service_date: date | None = None, block_id: str | None = None,
               vehicle_id: str | None = None, limit: int = 500, actor: str | None = None,
               kind: str | None = None) -> list[Event]:
        q = select(EventRow).where(EventRow.depot_id == depot_id)
        if actor is not None:
            q = q.where(EventRow.actor == actor)
        if kind is not None:
            q = q.where(EventRow.kind == kind)
        if service_date is not None:
            q = q.where(EventRow.service_date == service_date)
        if block_id is not None:
            q = q.where(EventRow.block_id == block_id)
        if vehicle_id is not None:
            q = q.where(EventRow.vehicle_id == vehicle_id)
        rows = self.session.scalars(q.order_by(EventRow.event_id.desc()).limit(limit))
        return [Event(depot_id=r.depot_id, kind=r.kind, actor=r.actor, at=r.at, service_date=r.service_date,
                      block_id=r.block_id, vehicle_id=r.vehicle_id, plan_version=r.plan_version, before=r.before,
                      after=r.after, event_id=r.event_id) for r in rows]


    def save_recommendation(self, day_id: int, plan_version: int, now: datetime, actor: str,
                            proposals: Sequence[Mapping[str, object]],
                            uncovered: Sequence[Mapping[str, object]], *,
                            change_outs: Sequence[Mapping[str, object]] = (),
                            moves: Sequence[Mapping[str, object]] = (), kind: str = "recommendation") -> int:
        row = RecommendationRow(dispatch_day_id=day_id, plan_version=plan_version, created_at=now, actor=actor,
                                proposals=[dict(p) for p in proposals], uncovered=[dict(u) for u in uncovered],
                                change_outs=[dict(c) for c in change_outs], moves=[dict(m) for m in moves],
                                kind=kind)
        self.session.add(row)
        self.session.flush()
        return row.recommendation_id

    def recommendation(self, day_id: int, recommendation_id: int | None = None, *,
                       kind: str = "recommendation") -> StoredRecommendation | None:
        """One by id, or the day's latest, of this kind (a recommendation or a re-plan)."""
        q = select(RecommendationRow).where(RecommendationRow.dispatch_day_id == day_id,
                                            RecommendationRow.kind == kind)
        if recommendation_id is not None:
            q = q.where(RecommendationRow.recommendation_id == recommendation_id)
        r = self.session.scalar(q.order_by(RecommendationRow.recommendation_id.desc()).limit(1))
        if r is None:
            return None
        return StoredRecommendation(r.recommendation_id, r.plan_version, r.created_at, tuple(r.proposals),
                                    tuple(r.uncovered), tuple(r.change_outs), tuple(r.moves), r.kind)


def _assignment(a: AssignmentRow, block_id: str) -> Assignment:
    return Assignment(block_id=block_id, vehicle_id=a.vehicle_id, source=AssignmentSource(a.source), actor=a.actor,
                      assigned_at=a.assigned_at, override_reason=a.override_reason,
                      acknowledged=tuple(a.acknowledged or ()), block_pk=a.block_pk)
