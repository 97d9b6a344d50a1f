"""Dispatch sheets in: our own export, TODS vehicle_assignments.txt, agency pull-out sheets (UTS)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from depotdispatch.adapters import uts
from depotdispatch.adapters.csvfiles import Table, decode, read_table
from depotdispatch.adapters.sheet_export import FORMULA_STARTS
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.reconcile import NO_INFO, SheetRow, err, warn

ALIASES = {
    "block_id": "block_id", "block": "block_id", "block_no": "block_id", "block_number": "block_id",
    "blk": "block_id", "run": "block_id", "run_id": "block_id",
    "vehicle_id": "vehicle_id", "vehicle": "vehicle_id", "bus": "vehicle_id", "bus_id": "vehicle_id",
    "fleet_no": "vehicle_id", "fleet_number": "vehicle_id", "fleet": "vehicle_id", "vehicle_no": "vehicle_id",
    "coach": "vehicle_id",
    "service_date": "service_date", "date": "service_date", "service_id": "service_id",
}
_ID = re.compile(r"^[^\s,;\x00-\x1f\x7f-\x9f]{1,64}$")


@dataclass
class Sheet:
    format: str  # csv | tods | uts
    rows: list[SheetRow]
    warnings: list[str] = field(default_factory=list)


def _date(text: str) -> date | None:
    t = text.strip()
    for fmt in (r"^(\d{4})(\d{2})(\d{2})$", r"^(\d{4})-(\d{2})-(\d{2})$"):
        m = re.match(fmt, t)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def read_sheet(data: bytes, name: str, service_date: date) -> Sheet:
    if len(data) == 0:
        raise InvalidInput("is empty", file=name)
    text, warnings = decode(data, name)  # decoded first: a UTF-16 header cut in bytes is half a character
    head = text[:8192]
    head = head[: head.rfind("\n") + 1] or head  # whole lines only: the header is all we need here
    probe = read_table(head, name, aliases=uts.COLUMNS)
    if uts.is_uts(probe.columns):
        uts_table = uts.read_uts(text, name)
        uts_table.warnings = warnings + uts_table.warnings
        return _uts_rows(uts_table, service_date)
    table = read_table(text, name, aliases=ALIASES, required=("block_id", "vehicle_id"))
    table.warnings = warnings + table.warnings
    for _, cells in table.rows:  # our export neutralises formula-like cells with a ' : take it off again
        for key, value in cells.items():
            if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
                cells[key] = value[1:]
    fmt = "tods" if "service_id" in table.columns and "service_date" in table.columns else "csv"
    rows = []
    for row, c in table.rows:
        problems = []
        block_id = c.get("block_id") or None
        vehicle = c.get("vehicle_id", "")
        if block_id is None:
            problems.append(err("malformed_row", "the block cell is empty", "block_id"))
        if vehicle and not _ID.match(vehicle):
            problems.append(err("malformed_row", f"vehicle {vehicle!r} is not a fleet number", "vehicle_id"))
        if "service_date" in table.columns and c.get("service_date"):
            d = _date(c["service_date"])
            if d is None:
                problems.append(err("malformed_row", f"{c['service_date']!r} is not a date", "service_date"))
            elif d != service_date:
                problems.append(err("other_date", f"the row is for {d}, the sheet is being applied to {service_date}",
                                    "service_date"))
        rows.append(SheetRow(row, block_id, vehicle or None, tuple(problems),
                             (c.get("service_date", ""), block_id or "", vehicle)))
    return Sheet(fmt, rows, table.warnings)


def _uts_rows(table: Table, service_date: date) -> Sheet:
    rows = []
    for row, c in table.rows:
        problems = []
        missing = [k for k in uts.REQUIRED if not c.get(k)]
        block_id = None
        if missing:
            problems.append(err("malformed_row", f"{missing[0].replace('_', ' ')} is empty", missing[0]))
        else:
            try:
                uts.parse_uts_time(c["sched_po"])
                block_id = uts.uts_block_id(c["depot"], c["route"], c["run_number"], c["sched_po"])
            except InvalidInput as exc:
                problems.append(err("malformed_row", exc.detail, "sched_po"))
        d = _date(c.get("date", "")) if c.get("date") else service_date
        if d is None:
            problems.append(err("malformed_row", f"{c.get('date')!r} is not a date", "date"))
        elif d != service_date:
            problems.append(err("other_date", f"the row is for {d}, not {service_date}", "date"))
        bus = c.get("bus_number", "")
        if not bus:
            # a pull-out sheet's blank bus means "not out yet", not "take the bus off"
            problems.append(warn("no_vehicle_yet", "no bus number yet: the plan is left as it is", "bus_number"))
        rows.append(SheetRow(row, block_id, bus if bus else NO_INFO, tuple(problems),
                             tuple(c.get(k, "") for k in sorted(c))))
    return Sheet("uts", rows, table.warnings)
