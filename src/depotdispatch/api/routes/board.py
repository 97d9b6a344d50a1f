from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from depotdispatch.api import schemas
from depotdispatch.api.deps import AppDep, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import DepotPath, ServiceDate
from depotdispatch.services.views import board_doc

router = APIRouter(tags=["board"], responses=PROBLEM_RESPONSES)


@router.get("/depots/{depot}/board", response_model=schemas.BoardOut)
def get_board(depot: DepotPath, app: AppDep, now: NowDep, later: bool = False) -> dict[str, Any]:
    """Every block in the depot's window at `now`, with status, vehicle, viability and reasons."""
    return board_doc(app.boards.board(app.uow(), depot, now, include_later=later))


@router.get("/depots/{depot}/days/{service_date}/board", response_model=schemas.BoardOut)
def get_day_board(depot: DepotPath, service_date: ServiceDate, app: AppDep, now: NowDep,
                  later: bool = False) -> dict[str, Any]:
    """The same board, limited to one service date's blocks."""
    return board_doc(app.boards.board(app.uow(), depot, now, service_date=service_date, include_later=later))
