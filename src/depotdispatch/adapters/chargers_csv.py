"""The chargers file: `charger_id, max_kw, connectors` as CSV, or a TODS-style `chargers.txt` (alone or in a
zip feed). A file with any bad row imports nothing: the problems name the row and column."""

from __future__ import annotations

import io
import zipfile

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.errors import DomainError, InvalidInput

ALIASES = {
    "charger_id": "charger_id", "charger": "charger_id", "id": "charger_id", "charger_name": "charger_name",
    "max_kw": "max_kw", "kw": "max_kw", "power_kw": "max_kw", "max_power_kw": "max_kw", "rated_power_kw": "max_kw",
    "max_power": "max_kw", "charger_power_kw": "max_kw",
    "connectors": "connectors", "connector_count": "connectors", "num_connectors": "connectors",
    "ports": "connectors", "num_ports": "connectors", "dispensers": "connectors",
}
MAX_ZIP_MEMBER = 5 * 1024 * 1024


def _from_zip(data: bytes, name: str) -> tuple[bytes, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            member = next((i for i in z.infolist() if i.filename.rsplit("/", 1)[-1] == "chargers.txt"), None)
            if member is None:
                raise InvalidInput("has no chargers.txt", file=name)
            if member.file_size > MAX_ZIP_MEMBER:
                raise InvalidInput(f"chargers.txt is {member.file_size} bytes; at most {MAX_ZIP_MEMBER}", file=name)
            return z.read(member), f"{name}/chargers.txt"
    except zipfile.BadZipFile as exc:
        raise InvalidInput("is not a readable zip file", file=name) from exc


def read_chargers(data: bytes, name: str = "chargers.csv") -> list[Charger]:
    if data[:4] == b"PK\x03\x04":
        data, name = _from_zip(data, name)
    table = read_table(data, name, aliases=ALIASES, required=("charger_id", "max_kw"))
    out: list[Charger] = []
    problems: list[dict[str, object]] = []
    first: tuple[int, str | None] | None = None  # the row and column of the first problem
    seen: dict[str, int] = {}
    for row, cells in table.rows:
        try:
            cid = cells.get("charger_id", "")
            if cid in seen:
                raise InvalidInput(f"charger {cid!r} is already on row {seen[cid]}", column="charger_id")
            kw = parse_float(cells.get("max_kw", ""), column="max_kw", row=row, file=name)
            if kw is None:
                raise InvalidInput("max_kw is empty", column="max_kw")
            n_text = cells.get("connectors", "") or "1"
            if not n_text.isdigit() or len(n_text) > 3:
                raise InvalidInput(f"connectors {n_text[:20]!r} is not a whole number", column="connectors")
            if len(cid) > 64 or any(ord(ch) < 32 or ord(ch) == 127 for ch in cid):
                raise InvalidInput("charger_id must be at most 64 printable characters", column="charger_id")
            out.append(Charger(cid, kw, int(n_text)))
            seen[cid] = row
        except DomainError as err:
            problems.append({"row": row, "column": err.column, "detail": err.detail})
            first = first or (row, err.column)
    if first is not None:
        raise InvalidInput(f"{len(problems)} row(s) have problems; no charger was imported", file=name,
                           row=first[0], column=first[1], problems=problems)
    if not out:
        raise InvalidInput("lists no chargers", file=name)
    return out
