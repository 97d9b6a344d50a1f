from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from depotdispatch.api import schemas
from depotdispatch.api.deps import AppDep, Dispatcher, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import DepotPath, ServiceDate
from depotdispatch.domain.words import BlockStatus
from depotdispatch.services import days
from depotdispatch.services.views import board_doc

router = APIRouter(tags=["board"], responses=PROBLEM_RESPONSES)


def _only(doc: dict[str, Any], status: BlockStatus | None) -> dict[str, Any]:
    """The board's blocks of one status (a filter on what the board returned; the window stays stated)."""
    if status is not None:
        doc["blocks"] = [b for b in doc["blocks"] if b["status"] == status]
    return doc


@router.get("/depots/{depot}/board", response_model=schemas.BoardOut)
def get_board(depot: DepotPath, app: AppDep, now: NowDep, later: bool = False,
              status: BlockStatus | None = None) -> dict[str, Any]:
    """Every block in the depot's window at `now`, with status, vehicle, viability and reasons; `status`
    keeps the blocks of that status only (an unknown one is a 422 problem)."""
    return _only(board_doc(app.boards.board(app.uow(), depot, now, include_later=later)), status)


@router.get("/depots/{depot}/days/{service_date}/board", response_model=schemas.BoardOut)
def get_day_board(depot: DepotPath, service_date: ServiceDate, app: AppDep, now: NowDep,
                  later: bool = False, status: BlockStatus | None = None) -> dict[str, Any]:
    """The same board, limited to one service date's blocks."""
    return _only(board_doc(app.boards.board(app.uow(), depot, now, service_date=service_date,
                                            include_later=later)), status)


@router.post("/depots/{depot}/days/{service_date}/setup", response_model=schemas.DaySetupOut)
def setup_day(depot: DepotPath, service_date: ServiceDate, app: AppDep, who: Dispatcher,
              now: NowDep) -> dict[str, Any]:
    """Set up (or refresh) a dispatch day from the schedules that apply to it, as `day setup` does: blocks
    whose schedule data did not change are kept as they are, started work and blocks taken over stay."""
    return days.setup_day(app.uow(), depot, service_date, now, actor=who.actor).as_dict()
