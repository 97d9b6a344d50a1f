"""When a schedule (or one GTFS service) runs: a date range, weekdays, added and removed dates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import check_date

ALL_WEEKDAYS = frozenset(range(1, 8))  # ISO: 1 = Monday ... 7 = Sunday
# One bound for every date range we are given (a schedule, a preview, a feed's calendar): long enough
# for multi-year feeds (Kaunas 2016-2019), short enough that walking its days stays quick.
MAX_SPAN_DAYS = 4 * 366


@dataclass(frozen=True)
class Applicability:
    start: date
    end: date
    weekdays: frozenset[int] = ALL_WEEKDAYS
    added: frozenset[date] = field(default_factory=frozenset)
    removed: frozenset[date] = field(default_factory=frozenset)
    # an added date that runs another day's service: (date, an ISO date or a weekday name), e.g.
    # Sunday service on a Monday holiday
    like: tuple[tuple[date, str], ...] = ()

    def __post_init__(self) -> None:
        for what, day in (("start date", self.start), ("end date", self.end), *(("added date", d) for d in self.added),
                          *(("removed date", d) for d in self.removed)):
            check_date(day, what)
        if self.end < self.start:
            raise InvalidInput(f"end date {self.end} is before start date {self.start}")
        if not self.weekdays <= ALL_WEEKDAYS:
            raise InvalidInput("weekdays are the digits 1 (Monday) to 7 (Sunday)")
        if self.added & self.removed:
            both = ", ".join(sorted(d.isoformat() for d in self.added & self.removed))
            raise InvalidInput(f"dates both added and removed: {both}")
        first, last = min([self.start, *self.added]), max([self.end, *self.added])
        if (last - first).days > MAX_SPAN_DAYS:
            raise InvalidInput(f"{first} to {last} is more than {MAX_SPAN_DAYS // 366} years; "
                               "give a shorter date range")
        for day, text in self.like:
            parse_like(text)
            if day not in self.added:
                raise InvalidInput(f"{day} borrows {text}'s service but is not an added date (--add-date)")

    def like_of(self, day: date) -> str | None:
        return next((t for d, t in self.like if d == day), None)

    def applies(self, day: date) -> bool:
        if day in self.removed:
            return False
        if day in self.added:
            return True
        return self.start <= day <= self.end and day.isoweekday() in self.weekdays

    def in_range(self, day: date) -> bool:
        return self.start <= day <= self.end

    def dates(self) -> Iterator[date]:
        """Every date it applies on, in order (added dates outside the range included)."""
        first = min([self.start, *self.added])
        last = max([self.end, *self.added])
        day = first
        while day <= last:
            if self.applies(day):
                yield day
            day += timedelta(days=1)


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_like(text: str) -> str:
    """A day type to borrow: an ISO date ('2026-12-27') or a weekday ('sunday', 'sun', '7')."""
    t = (text or "").strip().lower()
    if t.isdigit() and len(t) == 1 and t in "1234567":
        return WEEKDAY_NAMES[int(t) - 1]
    for name in WEEKDAY_NAMES:
        if len(t) >= 3 and name.startswith(t):
            return name
    try:
        return date.fromisoformat(t).isoformat()
    except ValueError as exc:
        raise InvalidInput(f"--like {text!r}: give a date (YYYY-MM-DD) or a weekday (e.g. sunday)") from exc


def weekdays_from_text(text: str) -> frozenset[int]:
    """'12345' -> {1,...,5}. Digits 1-7, Monday = 1."""
    digits = (text or "").strip()
    if not digits or any(c not in "1234567" for c in digits):
        raise InvalidInput(f"weekdays {text!r}: use the digits 1 (Monday) to 7 (Sunday), e.g. 12345")
    return frozenset(int(c) for c in digits)


def weekdays_to_text(weekdays: Iterable[int]) -> str:
    return "".join(str(d) for d in sorted(weekdays))


def reference_date(day: date, feed: Applicability) -> date:
    """The date whose service pattern `day` borrows when a schedule was extended past its feed.

    Inside the feed's own range a day is itself; outside, it is the nearest date of the same weekday
    inside the range, so extending a schedule by a week repeats the feed's last (or first) week.
    """
    if feed.start <= day <= feed.end:
        return day
    if day > feed.end:
        back = (feed.end.isoweekday() - day.isoweekday()) % 7
        ref = feed.end - timedelta(days=back)
    else:
        fwd = (day.isoweekday() - feed.start.isoweekday()) % 7
        ref = feed.start + timedelta(days=fwd)
    return ref if feed.start <= ref <= feed.end else day


def active_services(
    day: date, schedule: Applicability, services: Mapping[str, Applicability], feed: Applicability | None = None
) -> frozenset[str]:
    """The GTFS service ids that run on `day` under the schedule's (operator-editable) applicability.

    The schedule decides *whether* it runs that day; the feed's own calendars decide *which* trips.
    A day outside the feed's range (the operator extended the schedule) borrows a reference day of
    the same weekday, ignoring that day's one-off exceptions.
    """
    if not schedule.applies(day):
        return frozenset()
    feed = feed or feed_range(services.values())
    if feed is None:
        return frozenset()
    like = schedule.like_of(day)
    if like is not None and like in WEEKDAY_NAMES:  # that weekday's regular pattern, near this date
        wd = WEEKDAY_NAMES.index(like) + 1
        ref = reference_date(day + timedelta(days=(wd - day.isoweekday()) % 7), feed)
        return frozenset(sid for sid, cal in services.items() if cal.in_range(ref) and wd in cal.weekdays)
    if like is not None:  # exactly what ran on that date, its exceptions included
        return frozenset(sid for sid, cal in services.items() if cal.applies(date.fromisoformat(like)))
    ref = reference_date(day, feed)
    if ref == day:
        return frozenset(sid for sid, cal in services.items() if cal.applies(day))
    return frozenset(
        sid for sid, cal in services.items() if cal.in_range(ref) and ref.isoweekday() in cal.weekdays
    )


def feed_range(calendars: Iterable[Applicability]) -> Applicability | None:
    cals = list(calendars)
    if not cals:
        return None
    starts = [min([c.start, *c.added]) for c in cals]
    ends = [max([c.end, *c.added]) for c in cals]
    return Applicability(start=min(starts), end=max(ends))


def amended(a: Applicability, *, start: date | None = None, end: date | None = None,
            weekdays: frozenset[int] | None = None, add: Iterable[date] = (), remove: Iterable[date] = (),
            like: str | None = None, clear_dates: bool = False) -> Applicability:
    """A correction of `a`: new bounds or weekdays, dates added or removed (a date both added and removed is
    removed), the added dates borrowing the day type `like`; `clear_dates` forgets the earlier added and
    removed dates first. Checked as a whole, as any applicability."""
    add, remove = set(add), set(remove)
    if like is not None and not add:
        raise InvalidInput("--like goes with --add-date: which added dates borrow that day type")
    added = (set() if clear_dates else set(a.added)) | add
    removed = (set() if clear_dates else set(a.removed)) | remove
    added -= remove
    likes = ({} if clear_dates else dict(a.like)) | ({d: parse_like(like) for d in add} if like is not None else {})
    return Applicability(start or a.start, end or a.end, weekdays or a.weekdays, frozenset(added),
                         frozenset(removed), tuple(sorted((d, t) for d, t in likes.items() if d in added)))
