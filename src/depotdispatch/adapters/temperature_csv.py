"""An hourly temperature profile for a day: CSV `hour, temp_c` (hour 0-23 local, or HH:MM)."""

from __future__ import annotations

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.temperature import TemperatureProfile

ALIASES = {"hour": "hour", "h": "hour", "time": "hour", "temp_c": "temp_c", "temperature": "temp_c",
           "temperature_c": "temp_c", "temp": "temp_c", "degc": "temp_c", "t_amb": "temp_c"}


def read_profile(data: bytes, name: str = "temperatures.csv") -> TemperatureProfile:
    table = read_table(data, name, aliases=ALIASES, required=("hour", "temp_c"))
    rows = []
    for row, cells in table.rows:
        text = cells.get("hour", "")
        try:
            hour = int(text.split(":")[0])
        except ValueError as exc:
            raise InvalidInput(f"hour {text!r} is not a whole hour (0-23 or HH:MM)", file=name, row=row,
                               column="hour") from exc
        temp = parse_float(cells.get("temp_c", ""), column="temp_c", row=row, file=name)
        if temp is None:
            raise InvalidInput("temp_c is empty", file=name, row=row, column="temp_c")
        rows.append((hour, temp))
    try:
        return TemperatureProfile.of(rows)
    except InvalidInput as err:
        raise InvalidInput(err.detail, file=name, column=err.column) from err
