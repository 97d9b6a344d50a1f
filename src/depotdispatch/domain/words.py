"""The words of DESIGN §2, one name per idea, shared by domain, API, UI and CSV.

Each is a `StrEnum`: a member *is* its string (stored, sent and compared as such), and making a value
from an unknown string fails where the value is made, not three layers later in a template.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from depotdispatch.domain.errors import InvalidInput


class BlockStatus(StrEnum):
    """DESIGN §3: exactly one per block at `now`."""

    CANCELLED = "cancelled"
    COMPLETED = "completed"
    IN_SERVICE = "in_service"
    UPCOMING = "upcoming"
    LATER = "later"


class ViabilityStatus(StrEnum):
    """Declared in order of severity: less charge or older data never looks better."""

    OK = "ok"
    MARGINAL = "marginal"
    UNKNOWN = "unknown"
    NOT_VIABLE = "not_viable"


class Origin(StrEnum):
    SCHEDULED = "scheduled"
    ADHOC = "adhoc"


class AdhocReason(StrEnum):
    REPLACEMENT = "replacement"
    EXTRA_SERVICE = "extra_service"
    MISSING_FROM_SCHEDULE = "missing_from_schedule"
    OTHER = "other"


class AssignmentSource(StrEnum):
    MANUAL = "manual"
    RECOMMENDED = "recommended"
    IMPORTED = "imported"


class ReadingSource(StrEnum):
    """Declared most trusted first: on a tie of time, the more trusted reading wins."""

    TELEMATICS = "telematics"
    CHARGER = "charger"
    MANUAL = "manual"
    ESTIMATE = "estimate"


class ReasonCode(StrEnum):
    """Stable codes of viability reasons and live risks (each with a sentence for people)."""

    UNAVAILABLE = "unavailable"
    CLASS_MISMATCH = "class_mismatch"
    OVERLAPS_BLOCK = "overlaps_block"
    SHORT_TURNAROUND = "short_turnaround"
    SOC_BELOW_RESERVE = "soc_below_reserve"
    SOC_MARGINAL = "soc_marginal"
    SOC_STALE = "soc_stale"
    SOC_MISSING = "soc_missing"
    DISTANCE_UNKNOWN = "distance_unknown"
    ENERGY_EXTRAPOLATED = "energy_extrapolated"
    NO_VEHICLE = "no_vehicle"
    LIVE_SOC_BELOW_RESERVE = "live_soc_below_reserve"
    LIVE_SOC_MARGINAL = "live_soc_marginal"
    LIVE_SOC_STALE = "live_soc_stale"
    VEHICLE_MISMATCH = "vehicle_mismatch"
    BLOCK_STARTED = "block_started"  # the block's bus changed while it runs: a record, not the road


class EventKind(StrEnum):
    """Every kind of change the audit log holds. A new kind of change gets its name here first."""

    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    UNASSIGNED = "unassigned"
    OVERRIDE = "override"
    RECOMMENDATION_ACCEPTED = "recommendation_accepted"
    SHEET_APPLIED = "sheet_applied"
    SHEET_EXPORTED = "sheet_exported"
    BLOCK_CANCELLED = "block_cancelled"
    BLOCK_RESTORED = "block_restored"
    ADHOC_CREATED = "adhoc_created"
    ADHOC_CHANGED = "adhoc_changed"
    ADHOC_REMOVED = "adhoc_removed"
    APPLICABILITY_CHANGED = "applicability_changed"
    ACTUALS_RECORDED = "actuals_recorded"
    AVAILABILITY_CHANGED = "availability_changed"
    CHARGERS_IMPORTED = "chargers_imported"
    CHARGER_AVAILABILITY = "charger_availability"
    CHARGING_SETTINGS_CHANGED = "charging_settings_changed"
    DEPOT_SETTINGS_CHANGED = "depot_settings_changed"
    ALLOWANCE_CHANGED = "allowance_changed"  # a route's or a stop's pull-out/pull-in allowances
    YARD_SPOT_SET = "yard_spot_set"
    PLUGGED_IN = "plugged_in"
    UNPLUGGED = "unplugged"
    SCHEDULE_IMPORTED = "schedule_imported"
    DAY_SET_UP = "day_set_up"  # a dispatch day set up, or set up again, from its schedules


W = TypeVar("W", bound=StrEnum)


def word(kind: type[W], value: object, what: str) -> W:
    """`value` as a word of `kind` (a member is itself); any other value is an InvalidInput that says which
    words there are, so a bad value fails where the object is made, in a sentence (DESIGN §2)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    raise InvalidInput(f"{what} {str(value)[:40]!r} is not one of {', '.join(kind)}")


# the kinds that change who runs what: the plan's own history
PLAN_EVENT_KINDS = (EventKind.ASSIGNED, EventKind.REASSIGNED, EventKind.OVERRIDE, EventKind.UNASSIGNED,
                    EventKind.RECOMMENDATION_ACCEPTED, EventKind.SHEET_APPLIED)
