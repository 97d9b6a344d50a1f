"""The SoC CSV: vehicle_id, soc_pct, measured_at (ISO 8601 with offset), source, optional plugged_in."""

from __future__ import annotations

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.errors import DomainError, InvalidInput
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_instant
from depotdispatch.domain.words import ReadingSource, word

ALIASES = {
    "vehicle_id": "vehicle_id", "vehicle": "vehicle_id", "bus": "vehicle_id", "bus_id": "vehicle_id",
    "fleet_no": "vehicle_id", "vid": "vehicle_id",
    "soc_pct": "soc_pct", "soc": "soc_pct", "soc_percent": "soc_pct", "state_of_charge": "soc_pct",
    "current_soc": "soc_pct",
    "measured_at": "measured_at", "timestamp": "measured_at", "time": "measured_at", "tmstmp": "measured_at",
    "source": "source", "plugged_in": "plugged_in", "plugged": "plugged_in", "charging": "plugged_in",
    "odometer_km": "odometer_km", "charger_id": "charger_id",
}
TRUE, FALSE = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}


def read_soc(data: bytes, name: str = "soc.csv") -> tuple[list[tuple[int, SocReading]], list[dict[str, object]]]:
    table = read_table(data, name, aliases=ALIASES, required=("vehicle_id", "soc_pct", "measured_at"))
    good: list[tuple[int, SocReading]] = []
    rejected: list[dict[str, object]] = []
    for row, cells in table.rows:
        try:
            soc = parse_float(cells.get("soc_pct", ""), column="soc_pct", row=row, file=name)
            if soc is None:
                raise InvalidInput("soc_pct is empty", column="soc_pct")
            plugged_text = cells.get("plugged_in", "").lower()
            if plugged_text and plugged_text not in TRUE | FALSE:
                raise InvalidInput(f"plugged_in {plugged_text!r} is not yes/no", column="plugged_in")
            good.append((row, SocReading(
                vehicle_id=cells.get("vehicle_id", ""), soc_pct=soc,
                measured_at=parse_instant(cells.get("measured_at", "")),
                source=word(ReadingSource, (cells.get("source") or "manual").lower(), "source"),
                odometer_km=parse_float(cells.get("odometer_km", ""), column="odometer_km", row=row, file=name),
                plugged_in=None if not plugged_text else plugged_text in TRUE,
                charger_id=cells.get("charger_id") or None)))
        except DomainError as err:
            rejected.append({"row": row, "reason": f"{err.column + ': ' if err.column else ''}{err.detail}"})
    return good, rejected
