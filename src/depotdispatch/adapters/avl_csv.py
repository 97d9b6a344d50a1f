"""AVL rows as a file (e.g. GTrans' realtime_inservice_dispatch_data.csv, Bus Tracker style):
`bus_id, tmstmp, block_id` (tmstmp `YYYYMMDD HH:MM[:SS]` in the depot's local time, or ISO 8601 with an
offset), optional `at_depot`. A row with no block is a bus not in service: it says nothing on its own."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from depotdispatch.adapters.csvfiles import read_table
from depotdispatch.domain.actuals import Sighting
from depotdispatch.domain.errors import DomainError, InvalidInput
from depotdispatch.domain.servicetime import ensure_utc
from depotdispatch.services.actuals import RejectedRow

ALIASES = {
    "bus_id": "vehicle_id", "vid": "vehicle_id", "vehicle": "vehicle_id", "vehicle_id": "vehicle_id",
    "bus": "vehicle_id",
    "tmstmp": "measured_at", "timestamp": "measured_at", "time": "measured_at", "measured_at": "measured_at",
    "block_id": "block_id", "tablockid": "block_id", "block": "block_id",
    "at_depot": "at_depot", "in_depot": "at_depot",
}
TRUE, FALSE = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f", ""}


def _instant(text: str, tz: ZoneInfo) -> datetime:
    text = text.strip()
    for fmt in ("%Y%m%d %H:%M:%S", "%Y%m%d %H:%M"):
        try:
            return ensure_utc(datetime.strptime(text, fmt).replace(tzinfo=tz))
        except ValueError:
            continue
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{text[:40]!r} is not YYYYMMDD HH:MM:SS nor ISO 8601", column="measured_at") from exc
    return ensure_utc(value if value.tzinfo else value.replace(tzinfo=tz))


def read_avl(data: bytes, tz: ZoneInfo, name: str = "avl.csv") -> tuple[list[tuple[int, Sighting]],
                                                                       list[RejectedRow]]:
    table = read_table(data, name, aliases=ALIASES, required=("vehicle_id", "measured_at"))
    good: list[tuple[int, Sighting]] = []
    rejected: list[RejectedRow] = []
    for row, cells in table.rows:
        try:
            vid = cells.get("vehicle_id", "")
            if not vid or len(vid) > 64:
                raise InvalidInput("vehicle id is empty or longer than 64 characters", column="vehicle_id")
            depot_flag = cells.get("at_depot", "").lower()
            if depot_flag not in TRUE | FALSE:
                raise InvalidInput(f"at_depot {depot_flag[:20]!r} is not yes/no", column="at_depot")
            block = cells.get("block_id") or None
            if block is not None and len(block) > 200:
                raise InvalidInput("block id longer than 200 characters", column="block_id")
            good.append((row, Sighting(vid, _instant(cells.get("measured_at", ""), tz), block, depot_flag in TRUE)))
        except DomainError as err:
            rejected.append({"row": row, "reason": f"{err.column + ': ' if err.column else ''}{err.detail}"})
    return good, rejected
