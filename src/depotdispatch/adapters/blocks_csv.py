"""The blocks CSV: one block per row, for depots whose schedule is not a GTFS feed."""

from __future__ import annotations

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.blocks import BlockWork
from depotdispatch.domain.distance import KM_PER_MILE
from depotdispatch.domain.errors import DomainError, InvalidInput, RowProblem
from depotdispatch.domain.limits import MAX_BLOCK_S, MAX_DISTANCE_KM
from depotdispatch.domain.servicetime import parse_plan_time

ALIASES = {
    "block_id": "block_id", "block": "block_id", "block_no": "block_id", "block_number": "block_id",
    "run": "block_id", "run_number": "block_id",
    "pull_out": "pull_out", "pullout": "pull_out", "start": "pull_out", "start_time": "pull_out",
    "sched_po": "pull_out", "po": "pull_out",
    "pull_in": "pull_in", "pullin": "pull_in", "end": "pull_in", "end_time": "pull_in", "sched_pi": "pull_in",
    "pi": "pull_in",
    "distance_km": "distance_km", "km": "distance_km",
    "distance_mi": "distance_mi", "miles": "distance_mi", "distance_miles": "distance_mi", "mileage": "distance_mi",
    "bus_mileage": "distance_mi",
    "vehicle_class": "vehicle_class", "class": "vehicle_class",
    "routes": "routes", "route": "routes",
}


def read_blocks(data: bytes, name: str = "blocks.csv") -> list[BlockWork]:
    """All rows or nothing: a schedule with a silently missing block is worse than none."""
    table = read_table(data, name, aliases=ALIASES, required=("block_id", "pull_out", "pull_in"))
    if "distance_km" in table.columns and "distance_mi" in table.columns:
        raise InvalidInput("give distance_km or distance_mi, not both", file=name, row=1, column="distance_mi")
    problems: list[RowProblem] = []
    blocks: list[BlockWork] = []
    seen: dict[str, int] = {}
    for row, cells in table.rows:
        try:
            block_id = cells.get("block_id", "")
            if not block_id:
                raise InvalidInput("block_id is empty", column="block_id")
            if block_id in seen:
                raise InvalidInput(f"block {block_id!r} is listed twice (first on row {seen[block_id]})",
                                   column="block_id")
            start = _time(cells.get("pull_out", ""), "pull_out")
            end = _time(cells.get("pull_in", ""), "pull_in")
            if end <= start:
                raise InvalidInput("pull_in is not after pull_out (write times past midnight as 25:10)",
                                   column="pull_in")
            if end - start > MAX_BLOCK_S:
                raise InvalidInput(f"a block longer than {MAX_BLOCK_S // 3600} h is not one vehicle's day of work",
                                   column="pull_in")
            km = parse_float(cells.get("distance_km", ""), column="distance_km", row=row, file=name)
            mi = parse_float(cells.get("distance_mi", ""), column="distance_mi", row=row, file=name)
            distance = km if mi is None else mi * KM_PER_MILE
            if distance is not None and not 0 <= distance <= MAX_DISTANCE_KM:
                raise InvalidInput(f"distance {distance:g} km is not plausible (0 to {MAX_DISTANCE_KM:g} km)",
                                   column="distance_km" if mi is None else "distance_mi")
            routes = tuple(r.strip() for r in cells.get("routes", "").replace(";", " ").replace(",", " ").split())
        except DomainError as err:
            problems.append(RowProblem(row, err.column, err.detail))
            continue
        seen[block_id] = row
        blocks.append(BlockWork(
            block_id=block_id, start_s=start, end_s=end,
            distance_km=None if distance is None else round(distance, 3),
            distance_source="stated" if distance is not None else "unknown",
            trip_ids=(), routes=routes, vehicle_class=cells.get("vehicle_class") or None,
        ))
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"{len(problems)} row(s) cannot be read; first: {first.detail}; nothing was imported",
            file=name, row=first.row, column=first.column, problems=[p.as_dict() for p in problems])
    if not blocks:
        raise InvalidInput("has no block rows", file=name)
    return blocks


def _time(text: str, column: str) -> int:
    try:
        return parse_plan_time(text)
    except InvalidInput as err:
        raise InvalidInput(err.detail, column=column) from err
