from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from depotdispatch.api import schemas
from depotdispatch.api.deps import AppDep, Dispatcher
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import Bool, ChargerId, Finite, Instant, Source, VehicleId
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import ensure_utc
from depotdispatch.domain.words import ReadingSource, word
from depotdispatch.services import readings as svc

router = APIRouter(tags=["soc readings"], responses=PROBLEM_RESPONSES)


class ReadingIn(BaseModel):
    vehicle_id: VehicleId
    soc_pct: Finite
    measured_at: Instant
    source: Source = "telematics"
    odometer_km: Finite | None = None
    plugged_in: Bool | None = None
    charger_id: ChargerId | None = None


class ReadingsIn(BaseModel):
    readings: list[ReadingIn] = Field(max_length=10_000)


@router.post("/soc-readings", response_model=schemas.ReadingsOut)
def post_readings(body: ReadingsIn, app: AppDep, who: Dispatcher) -> dict[str, Any]:
    """A batch of readings; each bad one is rejected with its index and a reason, the rest are stored.
    A vehicle of a depot the caller does not dispatch counts as unknown."""
    # a reading without an offset or with an unknown source is rejected on its own, not the whole batch
    items: list[tuple[int | None, SocReading]] = []
    refused: list[dict[str, object]] = []
    for i, r in enumerate(body.readings):
        try:
            source = word(ReadingSource, r.source, "source")
        except InvalidInput as exc:
            refused.append({"row": i, "reason": exc.detail})
            continue
        items.append((i, SocReading(r.vehicle_id, r.soc_pct, r.measured_at if r.measured_at.tzinfo is None
                                    else ensure_utc(r.measured_at), source, r.odometer_km, r.plugged_in,
                                    r.charger_id)))
    return svc.add_readings(app.uow(), items, app.clock.now(), refused, depots=who.depots).as_dict()
