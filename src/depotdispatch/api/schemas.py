"""Response models: what each route returns, as the OpenAPI document says it (`response_model=`).

The documents themselves are made once, in services/views.py and the services' `as_dict`; these models
describe them. `extra="allow"`: a field a document gains is passed on (shapes only grow), and times stay
the ISO 8601 strings the documents give (typed as strings with the date-time format, never re-rendered).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
DateText = Annotated[str, Field(json_schema_extra={"format": "date"})]


class Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReasonOut(Doc):
    code: str
    message: str


class WindowOut(Doc):
    start: Instant
    end: Instant


class BlockOut(Doc):
    """services.views.block_doc"""

    block_id: str
    block_name: str | None = None
    service_date: DateText
    pull_out: Instant
    pull_in: Instant
    pull_out_local: Instant | None = None
    pull_in_local: Instant | None = None
    distance_km: float | None = None
    distance_source: str
    trips: int
    routes: list[str]
    origin: str = Field(description="scheduled | adhoc")
    vehicle_class: str | None = None
    adhoc_reason: str | None = None
    replaces_block: str | None = None
    note: str | None = None
    cancelled_at: Instant | None = None
    cancel_reason: str | None = None
    actual_start: Instant | None = None
    actual_end: Instant | None = None
    actual_vehicle_id: str | None = None


class BoardBlockOut(BlockOut):
    """services.views.board_row_doc: a block with its status, vehicle and viability."""

    status: str = Field(description="cancelled | completed | in_service | upcoming | later")
    status_assumed: bool
    actionable: bool
    vehicle_id: str | None = None
    assignment_source: str | None = None
    viability: str | None = Field(None, description="ok | marginal | not_viable | unknown")
    reasons: list[ReasonOut]
    end_soc_pct: float | None = None
    detail: dict[str, Any] | None = None
    live_risk: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None


class BoardOut(Doc):
    depot: str
    now: Instant
    window: WindowOut
    plan_versions: dict[str, int]
    days_not_set_up: list[DateText] = []  # local dates in the window with no dispatch day: none of their blocks show
    blocks: list[BoardBlockOut]


class PlanOut(BoardOut):
    service_date: DateText
    plan_version: int


class ChangeOut(Doc):
    """services.views.change_doc: one assignment change."""

    plan_version: int
    changed: bool
    vehicle_id: str | None = None
    source: str | None = None
    override_reason: str | None = None
    acknowledged: list[str]
    viability: dict[str, Any] | None = None


class Skipped(Doc):
    block_id: str
    reason: str


class BatchOut(Doc):
    """services.views.batch_doc: several changes in one plan version."""

    plan_version: int
    applied: list[str]
    unchanged: list[str]
    skipped: list[Skipped]


class BlockChangeOut(Doc):
    """services.views.block_change_doc: a change to the day's blocks."""

    plan_version: int
    block: BlockOut | None = None
    freed_vehicle: str | None = None
    new_block: BlockOut | None = None
    swap_vehicle: str | None = None  # a change-out's bus for the new block, given in the same step
    swap_override: bool = False  # that assignment was made against warnings


class ActualsOut(Doc):
    block_id: str
    recorded: bool


class ImpactOut(Doc):
    """services.applicability.Impact.as_dict"""

    schedule_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    dates_added: list[DateText]
    dates_removed: list[DateText]
    set_up_days: list[dict[str, Any]]
    assignments_lost: int
    conflicts: list[str]


class RecommendationOut(Doc):
    recommendation_id: int
    plan_version: int
    proposals: list[dict[str, Any]]
    uncovered: list[dict[str, Any]]
    kept_assignments: int
    change_outs: list[dict[str, Any]]
    changes: list[dict[str, Any]]


class ReplanOut(Doc):
    replan_id: int  # accepted later by this id (POST .../plan/replans/{replan_id}/accept)
    plan_version: int
    moves: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    uncovered: list[Any]
    gain: dict[str, int]
    before: dict[str, int]
    after: dict[str, int]
    kept_manual_assignments: int


class ChangeOutPartOut(Doc):
    block_id: str
    vehicle_id: str
    distance_km: float | None = None


class ChangeOutAcceptedOut(Doc):
    """services.change_outs.ChangeOutAccepted.as_dict: the block split, both parts assigned."""

    plan_version: int
    first: ChangeOutPartOut  # the block, ending at the change-out (and its pull_in)
    second: ChangeOutPartOut  # the new block of the rest (and its pull_out)
    applied: list[str]


class EventOut(Doc):
    event_id: int | None = None
    kind: str
    actor: str
    at: Instant
    service_date: DateText | None = None
    block_id: str | None = None
    vehicle_id: str | None = None
    plan_version: int | None = None
    override_reason: str | None = None
    acknowledged: list[str]


class EventsOut(Doc):
    events: list[EventOut]


class ReadingsOut(Doc):
    stored: int
    duplicates: int
    rejected: list[dict[str, Any]]


class PreviewOut(Doc):
    """services.sheets.PreviewResult.as_dict: nothing is written."""

    preview_id: str
    plan_version: int
    format: str
    summary: dict[str, Any]
    warnings: list[str]
    rows: list[dict[str, Any]]
    rows_total: int
    rows_offset: int
    next_offset: int | None = None
    unmentioned_blocks: list[Any]


class YardOut(Doc):
    """services.yard.yard_view"""


class SpotOut(Doc):
    vehicle_id: str
    bay: Any = None
    lane: Any = None
    position: Any = None


class PlugOut(Doc):
    vehicle_id: str
    charger_id: str | None = None


class ChargingSettingsOut(Doc):
    """services.yard.charging_settings: DESIGN §12a depot settings."""

    depot_id: str
    site_cap_kw: float | None = None
    pull_in_allowance_min: int
    pull_out_allowance_min: int
    min_dwell_min: int
    pull_in_allowance_km: float
    pull_out_allowance_km: float


class ChargersOut(Doc):
    chargers: list[Any]


class ChargerImportOut(Doc):
    chargers: int
    added: int
    updated: int
    problems: list[Any]


class ChargerAvailabilityOut(Doc):
    charger_id: str
    available: bool
