"""One vocabulary (DESIGN §2): the words are checked where values are made, not where they are shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from depotdispatch.domain.events import Event
from depotdispatch.domain.viability import REASON_STATUS, SEVERITY, Reason, worst
from depotdispatch.domain.words import EventKind, ReasonCode, ViabilityStatus

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
