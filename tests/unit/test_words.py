"""One vocabulary (DESIGN §2): the words are checked where values are made, not where they are shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from depotdispatch.adapters.db.kpi_repo import records
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.events import Event
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.viability import REASON_STATUS, SEVERITY, Reason, worst
from depotdispatch.domain.words import (
    AdhocReason,
    AssignmentSource,
    EventKind,
    Origin,
    ReadingSource,
    ReasonCode,
    ViabilityStatus,
)

NOW = datetime(2026, 11, 25, 6, tzinfo=UTC)


def test_an_event_of_a_kind_nobody_named_fails_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="assignd"):
        Event("D", "assignd", "ann", NOW)
    assert Event("D", "assigned", "ann", NOW).kind is EventKind.ASSIGNED


def test_a_reason_code_nobody_named_fails_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="soc_low"):
        Reason("soc_low", "low")
    assert Reason("soc_stale", "last reading 9 h ago").code is ReasonCode.SOC_STALE


def test_words_travel_as_their_plain_strings() -> None:
    r = Reason("soc_below_reserve", "arrives with 12 %")
    assert json.dumps(r.as_dict()) == '{"code": "soc_below_reserve", "message": "arrives with 12 %"}'
    assert f"{ViabilityStatus.NOT_VIABLE}" == "not_viable"


def test_severity_follows_the_declared_order_and_every_viability_reason_has_a_status() -> None:
    assert worst(["ok", "unknown", "marginal"]) is ViabilityStatus.UNKNOWN
    assert worst([]) is ViabilityStatus.OK
    assert list(SEVERITY) == ["ok", "marginal", "unknown", "not_viable"]
    assert set(REASON_STATUS.values()) <= set(ViabilityStatus)


def _block(**kw: object) -> DayBlock:
    return DayBlock("B1", NOW.date(), NOW, NOW.replace(hour=10), 50.0, "stated", **kw)  # type: ignore[arg-type]


def test_a_blocks_origin_and_reason_are_words_checked_where_the_block_is_made() -> None:
    made = _block(origin="adhoc", adhoc_reason="replacement")
    assert made.origin is Origin.ADHOC and made.adhoc_reason is AdhocReason.REPLACEMENT
    assert _block().origin is Origin.SCHEDULED and _block().adhoc_reason is None
    with pytest.raises(InvalidInput, match="origin 'imported' is not one of scheduled, adhoc"):
        _block(origin="imported")
    with pytest.raises(InvalidInput, match="reason 'whim' is not one of replacement, extra_service, "
                                           "missing_from_schedule, other"):
        _block(origin="adhoc", adhoc_reason="whim")


def test_the_kpi_rows_fast_path_checks_the_same_words() -> None:
    names = ("block_id", "service_date", "pull_out", "pull_in", "distance_km", "distance_source", "origin")
    make = records(DayBlock, names)
    assert make(("B1", NOW.date(), NOW, NOW.replace(hour=10), 50.0, "stated", "adhoc")) == _block(origin="adhoc")
    with pytest.raises(InvalidInput, match="origin 'ADHOC'"):
        make(("B1", NOW.date(), NOW, NOW.replace(hour=10), 50.0, "stated", "ADHOC"))


def test_an_assignments_source_and_a_readings_source_are_words_checked_where_made() -> None:
    assert Assignment("B1", "E1", "imported").source is AssignmentSource.IMPORTED  # type: ignore[arg-type]
    assert Assignment("B1", "E1").source is AssignmentSource.MANUAL
    with pytest.raises(InvalidInput, match="source 'guess' is not one of manual, recommended, imported"):
        Assignment("B1", "E1", "guess")  # type: ignore[arg-type]
    assert SocReading("E1", 80.0, NOW, "charger").source is ReadingSource.CHARGER  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="source 'rumour' is not one of telematics, charger, manual, estimate"):
        SocReading("E1", 80.0, NOW, "rumour")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="source '7' is not one of"):  # not a string: no crash either
        SocReading("E1", 80.0, NOW, 7)  # type: ignore[arg-type]


def test_made_words_still_travel_as_plain_strings() -> None:
    b = _block(origin="adhoc", adhoc_reason="other")
    assert json.dumps({"origin": b.origin, "reason": b.adhoc_reason}) == '{"origin": "adhoc", "reason": "other"}'
    assert b.origin == "adhoc" and SocReading("E1", 80.0, NOW).source == "manual"
