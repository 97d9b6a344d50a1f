"""Dispatch days and the blocks on them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.blocks import BlockWork, label_of
from depotdispatch.domain.servicetime import at_service_time
from depotdispatch.domain.words import AdhocReason, Origin, word

ORIGINS = tuple(Origin)
# An actual start or end further than this from the plan is a different piece of work, not a delay.
MAX_ACTUAL_SHIFT = timedelta(hours=12)


@dataclass(frozen=True)
class DayBlock:
    block_id: str
    service_date: date
    pull_out: datetime  # planned pull-out, UTC
    pull_in: datetime  # planned pull-in, UTC
    distance_km: float | None
    distance_source: str
    trip_ids: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    vehicle_class: str | None = None
    origin: Origin = Origin.SCHEDULED  # a plain string is taken and checked (below)
    schedule_id: int | None = None
    generated: bool = False
    adhoc_reason: AdhocReason | None = None  # likewise
    replaces_block: str | None = None
    note: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    actual_vehicle_id: str | None = None  # the bus seen on it (live data)
    pk: int | None = None
    block_name: str | None = None  # the feed's human name (GTFS block_name); not part of the signature

    def __post_init__(self) -> None:
        # DESIGN §2: the words are checked where a block is made (from a file, a form, a row), in a sentence
        if not isinstance(self.origin, Origin):
            object.__setattr__(self, "origin", word(Origin, self.origin, "origin"))
        if self.adhoc_reason is not None and not isinstance(self.adhoc_reason, AdhocReason):
            object.__setattr__(self, "adhoc_reason", word(AdhocReason, self.adhoc_reason, "reason"))

    @property
    def trips(self) -> int:
        return len(self.trip_ids)

    def signature(self) -> str:
        """What a schedule decides about the block; a re-setup replaces a block only when this changes."""
        payload = [self.schedule_id, self.pull_out.isoformat(), self.pull_in.isoformat(), self.distance_km,
                   self.distance_source, list(self.trip_ids), list(self.routes), self.vehicle_class, self.generated]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]


def place_block(work: BlockWork, service_date: date, tz: ZoneInfo, schedule_id: int | None) -> DayBlock:
    return DayBlock(
        block_id=work.block_id,
        service_date=service_date,
        pull_out=at_service_time(service_date, work.start_s, tz),
        pull_in=at_service_time(service_date, work.end_s, tz),
        distance_km=work.distance_km,
        distance_source=work.distance_source,
        trip_ids=work.trip_ids,
        routes=work.routes,
        vehicle_class=work.vehicle_class,
        schedule_id=schedule_id,
        generated=work.generated,
        block_name=work.block_name,
    )


@dataclass
class DayChanges:
    """How a (re-)setup changes a day's scheduled blocks. Ad-hoc blocks are never touched."""

    added: list[DayBlock] = field(default_factory=list)
    changed: list[DayBlock] = field(default_factory=list)  # carry the pk of the block they replace
    removed: list[DayBlock] = field(default_factory=list)
    unchanged: list[DayBlock] = field(default_factory=list)


def diff_day(existing: Iterable[DayBlock], wanted: Iterable[DayBlock]) -> DayChanges:
    current = {b.block_id: b for b in existing if b.origin == "scheduled"}
    changes = DayChanges()
    for block in wanted:
        old = current.pop(block.block_id, None)
        if old is None:
            changes.added.append(block)
        elif old.signature() == block.signature():
            changes.unchanged.append(old)
        else:
            changes.changed.append(replace(block, pk=old.pk, cancelled_at=old.cancelled_at,
                                           cancel_reason=old.cancel_reason, actual_start=old.actual_start,
                                           actual_vehicle_id=old.actual_vehicle_id,
                                           actual_end=old.actual_end))
    changes.removed.extend(current.values())
    return changes


def keep_started(changes: DayChanges, now: datetime) -> DayChanges:
    """Work that has started or run stays as it is, whatever a re-setup or a correction says (DESIGN §5)."""
    def started(b: DayBlock) -> bool:
        return (b.actual_start or b.pull_out) <= now

    changes.unchanged.extend(b for b in changes.removed if started(b))
    changes.removed = [b for b in changes.removed if not started(b)]
    changes.changed = [b for b in changes.changed if not started(b)]
    return changes


def keep_taken_over(changes: DayChanges, existing: Iterable[DayBlock]) -> DayChanges:
    """A block an operator split or replaced (an ad-hoc block names it in `replaces_block`) is the operator's
    now: a re-setup does not put its old trips and times back."""
    taken = {b.replaces_block for b in existing if b.origin == "adhoc" and b.replaces_block}
    changes.changed = [b for b in changes.changed if b.block_id not in taken]
    return changes


def find_block(blocks: Iterable[DayBlock], text: str) -> DayBlock | None:
    """A block of a day by its id, else by the feed's block name, else by an unambiguous prefix of its id
    (ids like Barrie's UUIDs are not typed whole). None when nothing matches; ambiguous is an error."""
    from depotdispatch.domain.errors import InvalidInput

    text = (text or "").strip()
    blocks = list(blocks)
    keys: tuple[Callable[[DayBlock], bool], ...] = (lambda b: b.block_id == text, lambda b: b.block_name == text)
    for key in keys:
        found = [b for b in blocks if key(b)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            break
    found = [b for b in blocks if text and b.block_id.startswith(text)]
    if not found:
        found = [b for b in blocks if text and b.block_name == text]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        shown = ", ".join(label_of(b) for b in found[:6])
        raise InvalidInput(f"{text!r} matches {len(found)} blocks ({shown}{', ...' if len(found) > 6 else ''}); "
                           "give more of the id", column="block_id")
    return None
