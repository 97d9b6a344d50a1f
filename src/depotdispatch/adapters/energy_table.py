"""Consumption lookup tables in the SimBA/eflips column format."""

from __future__ import annotations

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.energy import TableConsumption
from depotdispatch.domain.errors import InvalidInput

COLUMNS = ("incline", "t_amb", "level_of_loading", "mean_speed_kmh", "consumption_kwh_per_km")


def read_consumption_table(data: bytes, name: str = "consumption.csv",
                           vehicle_type: str | None = None) -> TableConsumption:
    """Rows of one vehicle type (the `vehicle_type` column, when the table has several)."""
    table = read_table(data, name, aliases={c: c for c in (*COLUMNS, "vehicle_type")}, required=COLUMNS)
    types = sorted({cells.get("vehicle_type", "") for _, cells in table.rows})
    if vehicle_type is None and len(types) > 1:
        raise InvalidInput(f"the table has several vehicle types ({', '.join(types)}); say which one",
                           file=name, column="vehicle_type")
    rows = []
    for row, cells in table.rows:
        if vehicle_type is not None and cells.get("vehicle_type", "") != vehicle_type:
            continue
        values = [parse_float(cells.get(c, ""), column=c, row=row, file=name) for c in COLUMNS]
        if any(v is None for v in values):
            missing = COLUMNS[[v is None for v in values].index(True)]
            raise InvalidInput(f"{missing} is empty", file=name, row=row, column=missing)
        rows.append(tuple(v for v in values if v is not None))  # none is None by now
    if not rows:
        raise InvalidInput(f"no rows for vehicle type {vehicle_type!r} (it has: {', '.join(types)})", file=name)
    return TableConsumption(rows, label=f"{name}:{vehicle_type}" if vehicle_type else name)
