"""Service dates and GTFS times.

A GTFS time counts seconds from "noon minus 12 h" of the service date in the depot's zone, so it can
pass 24:00 and stays right on DST change days (when local midnight is not noon minus 12 h).
Everything leaving this module is an aware UTC instant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from depotdispatch.domain.errors import InvalidInput

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d)(?::([0-5]\d))?\s*$")
# Dates and times a depot can plan with: far enough either way for history and long-range plans, and
# far from datetime's year 1 and 9999, where an offset or a day's arithmetic would overflow.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)
MAX_SERVICE_S = 48 * 3600  # a GTFS/blocks time past this is a typo (999:00), not a late trip


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}; use an IANA name such as Europe/Vilnius") from exc


def parse_service_time(text: str) -> int:
    """'HH:MM[:SS]' (hours may exceed 23) -> seconds since the service day's origin."""
    m = _TIME.match(text or "")
    if not m:
        raise InvalidInput(f"{text!r} is not a time of the form HH:MM or HH:MM:SS")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    return h * 3600 + mi * 60 + s


def parse_plan_time(text: str) -> int:
    """A service time a schedule may state: at most MAX_SERVICE_S after the day's start (999:00 is a typo)."""
    seconds = parse_service_time(text)
    if seconds > MAX_SERVICE_S:
        raise InvalidInput(f"{text!r} is more than {MAX_SERVICE_S // 3600} hours after the service day's start")
    return seconds


def format_service_time(seconds: int) -> str:
    h, rest = divmod(int(seconds), 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


def service_day_origin(service_date: date, tz: ZoneInfo) -> datetime:
    """Noon minus 12 h of the service date in `tz`, as a UTC instant."""
    noon = datetime.combine(service_date, time(12), tzinfo=tz)
    return noon.astimezone(UTC) - timedelta(hours=12)


def at_service_time(service_date: date, seconds: int, tz: ZoneInfo) -> datetime:
    return service_day_origin(service_date, tz) + timedelta(seconds=seconds)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    return ensure_utc(instant).astimezone(tz)


def check_date(day: date, what: str = "date") -> date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InvalidInput(f"{what} {day.isoformat()} is outside {FIRST_DATE.year}-{LAST_DATE.year}")
    return day


def ensure_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise InvalidInput(f"time {instant.isoformat()} has no UTC offset; give one, e.g. +02:00")
    try:
        utc = instant.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(f"time {instant.isoformat()} is outside {FIRST_DATE.year}-{LAST_DATE.year}") from exc
    if not FIRST_DATE <= utc.date() <= LAST_DATE:
        raise InvalidInput(f"time {instant.isoformat()} is outside {FIRST_DATE.year}-{LAST_DATE.year}")
    return utc


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an offset (or Z) -> aware UTC instant."""
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError, OverflowError) as exc:
        raise InvalidInput(f"{text!r} is not an ISO 8601 time such as 2026-03-29T06:30:00+02:00") from exc
    return ensure_utc(value)


def parse_date(text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise InvalidInput(f"{text!r} is not a date of the form YYYY-MM-DD") from exc
    return check_date(day)


def clock_on(local: datetime, today: date) -> str:
    """A local time for a person: HH:MM on `today`, and with its day on any other ("Tue 3 Nov 01:30"), so
    a pull-in past midnight or yesterday's work is not read as today's."""
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a %-d %b %H:%M}"
