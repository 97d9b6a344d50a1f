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


class EnergyOut(Doc):
    expected_kwh: float
    conservative_kwh: float
    inputs: dict[str, Any] = Field(description="what the estimate used (distance, temperature, model...)")


class ReadingOut(Doc):
    soc_pct: float
    measured_at: Instant
    source: str = Field(description="telematics | charger | manual | estimate")


class ReadinessReadingOut(ReadingOut):
    age_min: int | None


class LiveReadingOut(ReadingOut):
    odometer_km: float | None


class ReadinessOut(Doc):
    soc_pct: float | None = None
    at: Instant
    charged_kwh: float | None = None
    prior_kwh: float | None = None
    plugged_in: bool | None = None
    reading: ReadinessReadingOut | None


def _absent(value: object) -> bool:
    return value is None  # the document leaves the key out (never null): so does the response


class ViabilityOut(Doc):
    """services.views.viability_doc: the judgement of one vehicle for one block."""

    status: str = Field(description="ok | marginal | unknown | not_viable")
    reasons: list[ReasonOut]
    end_soc_pct: float | None = None
    end_soc_pct_conservative: float | None = None
    energy: EnergyOut | None = Field(None, exclude_if=_absent)
    readiness: ReadinessOut | None = Field(None, exclude_if=_absent)


class CandidateOut(ViabilityOut):
    """A free vehicle that could take the block, with its judgement."""

    vehicle_id: str
    # why the verdict is not the bus's alone: the depot's charging plan with the other buses due out
    note: str | None = None


class LiveRiskOut(Doc):
    """services.views.live_doc: a block in service judged from its bus's latest reading."""

    status: str = Field(description="ok | marginal | unknown | not_viable")
    reasons: list[ReasonOut]
    end_soc_pct: float | None = None
    end_soc_pct_conservative: float | None = None
    remaining_km: float | None = None
    remaining_source: str | None = None
    reading: LiveReadingOut | None


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


class BlockAllowancesOut(Doc):
    """services.views.yard_doc: the allowances a block takes, and (`from`) the rule each came from:
    "depot", "route R", "stop S" or "yard-timed" (a block that states its yard times takes none)."""

    pull_out_min: int
    pull_out_km: float
    pull_in_min: int
    pull_in_km: float
    from_: dict[str, str] = Field(alias="from")


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
    detail: ViabilityOut | None = None
    live_risk: LiveRiskOut | None = None
    candidate: CandidateOut | None = None
    yard_pull_out: Instant | None = Field(None, description="when the bus leaves the yard: pull_out less the "
                                          "pull-out allowance for a block timed by its trips (DESIGN §12a)")
    yard_pull_in: Instant | None = None
    allowances: BlockAllowancesOut | None = None


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
    viability: ViabilityOut | None = None


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


class ApplicabilityOut(Doc):
    start: DateText
    end: DateText
    weekdays: str = Field(description="ISO weekdays, e.g. 12345 for Monday to Friday")
    added: list[DateText]
    removed: list[DateText]
    like: dict[str, str] = Field(description="a date run like another weekday: date -> weekday")


class LostAssignmentOut(Doc):
    block_id: str
    vehicle_id: str


class DaySetupOut(Doc):
    """services.days.SetupResult.as_dict: the CLI's `day setup --json`."""

    service_date: DateText
    blocks: int = Field(description="blocks to run (ad-hoc ones in, cancelled ones out)")
    trips: int
    added: int = Field(description="of the schedules' blocks: new since the day was last set up")
    changed: int
    removed: int
    unchanged: int
    adhoc: int
    cancelled: int
    warnings: list[str]


class SetUpDayOut(Doc):
    service_date: DateText
    blocks_added: list[str]
    blocks_removed: list[str]
    blocks_changed: list[str]
    assignments_lost: list[LostAssignmentOut]
    past: bool


class ImpactOut(Doc):
    """services.applicability.Impact.as_dict"""

    schedule_id: int
    before: ApplicabilityOut
    after: ApplicabilityOut
    dates_added: list[DateText]
    dates_removed: list[DateText]
    set_up_days: list[SetUpDayOut]
    assignments_lost: int
    conflicts: list[str]


class ProposalOut(Doc):
    block_id: str
    vehicle_id: str
    explanation: str


class RecommendedOut(ProposalOut):
    block_name: str | None = None  # the feed's human name, where it has another
    end_soc_pct: float | None


class UncoveredOut(Doc):
    block_id: str
    block_name: str | None = None  # the feed's human name, where it has another
    explanation: str


class ChangeOutSuggestionOut(Doc):
    """services.change_outs.change_out_doc: a suggested split, accepted later by block."""

    block_id: str
    at: Instant
    relief_stop: str | None = None
    relief_point: str | None = None  # where the relief stop is, in words ("Downtown Hub, 0.3 km from the depot")
    first_vehicle: str | None = None
    swap_vehicle: str | None = None
    first_km: float | None = None
    second_km: float | None = None
    explanation: str
    instead_of: str | None = None  # the non-EV proposed for the whole block: the split is its alternative


class MissedPullOutOut(Doc):
    """services.takeovers.takeover_doc: a block that started with no bus, and who can take the rest over (the
    change-out split at `at` with `vehicle_id`); `at` None: no trip left a bus can reach."""

    block_id: str
    at: Instant | None = None
    relief_stop: str | None = None
    relief_point: str | None = None
    vehicle_id: str | None = None
    km: float | None = None
    explanation: str


class RecommendationSummaryOut(Doc):
    """services.recommendations.RecommendResult.summary: the recommendation in one line, and its figures."""

    blocks: int
    covered: int
    ev_covered: int
    kept_assignments: int
    proposed: int
    uncovered: list[str]
    change_outs: int
    change_outs_instead_of_proposals: int
    missed_pull_outs: int = 0
    text: str


class ProposalChangeOut(Doc):
    """What moved against the day's last recommendation."""

    block_id: str
    from_vehicle: str | None = None
    to_vehicle: str | None = None


class OptimalityOut(Doc):
    proved: bool
    covered_bound: int | None = None
    ev_covered_bound: int | None = None


class RecommendationOut(Doc):
    recommendation_id: int
    plan_version: int
    summary: RecommendationSummaryOut
    proposals: list[RecommendedOut]
    uncovered: list[UncoveredOut]
    kept_assignments: int
    change_outs: list[ChangeOutSuggestionOut]
    missed_pull_outs: list[MissedPullOutOut] = []
    changes: list[ProposalChangeOut]
    optimality: OptimalityOut | None = None


class CountsOut(Doc):
    covered: int
    ev_covered: int


class MoveOut(Doc):
    """services.replan.move_doc: one move of a re-plan and what it gains."""

    block_id: str
    from_vehicle: str | None = None
    to_vehicle: str | None = None
    explanation: str
    gain: str
    gains: CountsOut


class ReplanOut(Doc):
    replan_id: int  # accepted later by this id (POST .../plan/replans/{replan_id}/accept)
    plan_version: int
    moves: list[MoveOut]
    proposals: list[ProposalOut]
    uncovered: list[UncoveredOut]
    gain: CountsOut
    before: CountsOut
    after: CountsOut
    kept_manual_assignments: int
    moved_off_not_ok: int = 0  # moves that take a block off a bus not ok for it now (its gain says why)


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


class RejectedRowOut(Doc):
    row: int | None = None  # the row of the file or the index in the batch
    reason: str


class ReadingsOut(Doc):
    stored: int
    duplicates: int
    rejected: list[RejectedRowOut]


class ProblemOut(Doc):
    severity: str = Field(description="error | warning")
    code: str
    detail: str
    column: str | None = None


class PreviewRowOut(Doc):
    """services.sheets._row_doc: one row of the sheet and what applying it would do."""

    row: int
    block_id: str | None = None
    vehicle_id: str | None = None
    action: str
    outcome: str = Field(description="the action, or refused when an error stops it")
    actionable: bool
    problems: list[ProblemOut]
    sheet_block_id: str | None = None
    block_match: str | None = None


class PreviewSummaryOut(Doc):
    rows: int
    actions: dict[str, int]
    actionable: int
    rows_with_errors: int
    rows_with_warnings: int
    problems: dict[str, int] = Field(description="counts by severity:code")
    unmentioned_blocks: int


class PreviewOut(Doc):
    """services.sheets.PreviewResult.as_dict: nothing is written."""

    preview_id: str
    plan_version: int
    format: str
    summary: PreviewSummaryOut
    warnings: list[str]
    rows: list[PreviewRowOut]
    rows_total: int
    rows_offset: int
    next_offset: int | None = None
    unmentioned_blocks: list[str]


class YardOut(Doc):
    """services.yard.yard_view"""


class SpotOut(Doc):
    vehicle_id: str
    bay: str | None = None
    lane: str | None = None
    position: int | None = None


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


class AllowanceValues(Doc):
    pull_out_min: int | None = None
    pull_out_km: float | None = None
    pull_in_min: int | None = None
    pull_in_km: float | None = None


class AllowanceOut(AllowanceValues):
    """services.allowances.override_doc: a route's or a stop's allowances (null: the next rule's)."""

    scope: str
    route_id: str | None = None
    stop_id: str | None = None
    name: str | None = None  # a stop's name in the feed


class AllowancesOut(Doc):
    """services.allowances.allowances_doc: the depot's allowances and each route's and stop's own."""

    depot_id: str
    depot: AllowanceValues
    routes: list[AllowanceOut]
    stops: list[AllowanceOut]


class ChargerOut(Doc):
    charger_id: str
    max_kw: float
    connectors: int
    available: bool


class ChargersOut(Doc):
    chargers: list[ChargerOut]


class RowProblemOut(Doc):
    row: int | None = None
    column: str | None = None
    detail: str


class ChargerImportOut(Doc):
    chargers: int
    added: int
    updated: int
    problems: list[RowProblemOut]


class ChargerAvailabilityOut(Doc):
    charger_id: str
    available: bool
