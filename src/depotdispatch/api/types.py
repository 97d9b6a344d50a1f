"""Typed, bounded request fields: one rule per field (domain.limits), so the OpenAPI document says it too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, Field, StrictBool

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import MAX_LEN, text_problem
from depotdispatch.domain.servicetime import check_date, ensure_utc


def _text(field: str) -> AfterValidator:
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


def _length(field: str, min_length: int = 0) -> Any:
    return Field(min_length=min_length, max_length=MAX_LEN.get(field, 10_000))


# each a text field: its length bounds and the text rule of domain.limits, under the field's own name
VehicleId = Annotated[str, _length("vehicle_id", 1), _text("vehicle_id")]
BlockId = Annotated[str, _length("block_id", 1), _text("block_id")]
Actor = Annotated[str, _length("actor"), _text("actor")]
Note = Annotated[str, _length("note"), _text("note")]
Reason = Annotated[str, _length("reason"), _text("reason")]
RequiredReason = Annotated[str, _length("reason", 1), _text("reason")]
OverrideReason = Annotated[str, _length("override_reason"), _text("override_reason")]
VehicleClass = Annotated[str, _length("vehicle_class"), _text("vehicle_class")]
AdhocReason = Annotated[str, _length("adhoc_reason"), _text("adhoc_reason")]
ChargerId = Annotated[str, _length("charger_id"), _text("charger_id")]
Source = Annotated[str, _length("source", 1), _text("source")]
Instant = Annotated[datetime, AfterValidator(_instant)]
Day = Annotated[date, AfterValidator(_day)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Bool = StrictBool
ServiceDate = Annotated[date, Path(description="Service date, YYYY-MM-DD."), AfterValidator(_day)]
DepotPath = Annotated[str, Path(max_length=MAX_LEN["depot_id"]), _text("depot_id")]
BlockPath = Annotated[str, Path(max_length=MAX_LEN["block_id"]), _text("block_id")]
