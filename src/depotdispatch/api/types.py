"""Typed, bounded request fields: one rule per field (domain.limits), so the OpenAPI document says it too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field, StrictBool

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import MAX_LEN, text_problem
from depotdispatch.domain.servicetime import check_date, ensure_utc


def _text(field: str):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        problem = text_problem(value, field)
        if problem:
            raise ValueError(problem)
        return value
    return AfterValidator(check)


def _instant(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value  # the domain says why a time without an offset is refused, in its own words
    try:
        return ensure_utc(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc


def _day(value: date) -> date:
    try:
        return check_date(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc


def Text(field: str, *, min_length: int = 0):  # type: ignore[no-untyped-def]  # a type factory
    return Annotated[str, Field(min_length=min_length, max_length=MAX_LEN.get(field, 10_000)), _text(field)]


VehicleId = Text("vehicle_id", min_length=1)
BlockId = Text("block_id", min_length=1)
Actor = Text("actor")
Note = Text("note")
Reason = Text("reason")
RequiredReason = Text("reason", min_length=1)
OverrideReason = Text("override_reason")
VehicleClass = Text("vehicle_class")
AdhocReason = Text("adhoc_reason")
ChargerId = Text("charger_id")
Source = Text("source", min_length=1)
Instant = Annotated[datetime, AfterValidator(_instant)]
Day = Annotated[date, AfterValidator(_day)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Bool = StrictBool
ServiceDate = Annotated[date, Path(description="Service date, YYYY-MM-DD."), AfterValidator(_day)]
DepotPath = Annotated[str, Path(max_length=MAX_LEN["depot_id"]), _text("depot_id")]
BlockPath = Annotated[str, Path(max_length=MAX_LEN["block_id"]), _text("block_id")]
