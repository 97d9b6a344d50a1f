"""MTA NYCT UTS pull-out/pull-in sheets ("PUPU"): DEPOT, ROUTE, RUN NUMBER, SCHED PO, BUS NUMBER, ...

A UTS block is a depot + route + run + scheduled pull-out (a run can pull out twice: split shifts).
Times are 24-hour digits with a day suffix: A/P the service day, X after midnight (next calendar
day), B before midnight of the previous day.
"""

from __future__ import annotations

import re

from depotdispatch.adapters.csvfiles import Table, parse_float, read_table
from depotdispatch.domain.blocks import BlockWork
from depotdispatch.domain.distance import KM_PER_MILE
from depotdispatch.domain.errors import InvalidInput, RowProblem
from depotdispatch.domain.limits import MAX_BLOCK_S, MAX_DISTANCE_KM

COLUMNS = {"depot": "depot", "garage": "depot", "route": "route", "run_number": "run_number", "run": "run_number",
           "date": "date", "sched_po": "sched_po", "actual_po": "actual_po", "sched_pi": "sched_pi",
           "actual_pi": "actual_pi", "bus_number": "bus_number", "bus": "bus_number", "bus_mileage": "bus_mileage",
           "auth_id": "auth_id"}
REQUIRED = ("depot", "route", "run_number", "sched_po")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})([APXB])$")
_SHIFT = {"A": 0, "P": 0, "X": 86_400, "B": -86_400}


def is_uts(columns: list[str]) -> bool:
    return all(c in columns for c in REQUIRED)


def parse_uts_time(text: str) -> int:
    """'06:05A' -> seconds from the service day's origin ('00:10X' -> 24:10, '23:50B' -> -00:10)."""
    m = _TIME.match(text.strip().upper())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise InvalidInput(f"{text!r} is not a UTS time such as 06:05A, 19:23P, 00:10X or 23:50B")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + _SHIFT[m.group(3)]


def uts_block_id(depot: str, route: str, run: str, sched_po: str) -> str:
    return f"{depot}/{route}/{run}/{sched_po.strip().upper()}"


def read_uts(data: bytes | str, name: str = "uts.csv") -> Table:
    return read_table(data, name, aliases=COLUMNS, required=REQUIRED)


def uts_blocks(table: Table) -> tuple[list[BlockWork], list[RowProblem]]:
    """The runs of a UTS sheet as blocks; rows that cannot be read are reported, duplicates folded."""
    blocks: dict[str, BlockWork] = {}
    problems: list[RowProblem] = []
    for row, c in table.rows:
        try:
            block_id = uts_block_id(c.get("depot", ""), c.get("route", ""), c.get("run_number", ""),
                                    c.get("sched_po", ""))
            if not all(c.get(k) for k in REQUIRED):
                raise InvalidInput("depot, route, run number and scheduled pull-out are all needed",
                                   column=next(k for k in REQUIRED if not c.get(k)))
            start = _time(c.get("sched_po", ""), "sched_po")
            end = _time(c.get("sched_pi", ""), "sched_pi")
            if end <= start:
                raise InvalidInput("the scheduled pull-in is not after the pull-out", column="sched_pi")
            if end - start > MAX_BLOCK_S:
                raise InvalidInput(f"a run longer than {MAX_BLOCK_S // 3600} h is not one bus's day", column="sched_pi")
            miles = parse_float(c.get("bus_mileage", ""), column="bus_mileage", row=row, file=table.name)
            if miles is not None and not 0 <= miles * KM_PER_MILE <= MAX_DISTANCE_KM:
                raise InvalidInput(f"bus mileage {miles:g} is not plausible", column="bus_mileage")
        except InvalidInput as exc:
            problems.append(RowProblem(row, exc.column, exc.detail))
            continue
        if block_id in blocks:
            continue
        km = None if miles is None else round(miles * KM_PER_MILE, 3)
        blocks[block_id] = BlockWork(block_id, start, end, km, "stated" if km is not None else "unknown", (),
                                     (c.get("route", ""),))
    return list(blocks.values()), problems


def _time(text: str, column: str) -> int:
    try:
        return parse_uts_time(text)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, column=column) from exc
