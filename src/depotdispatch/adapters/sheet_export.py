"""Dispatch sheets out: our CSV (DESIGN §5.1) and TODS vehicle_assignments.txt."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from depotdispatch.domain.servicetime import to_local, zone

COLUMNS = ("service_date", "block_id", "vehicle_id", "pull_out", "pull_out_local", "pull_in", "pull_in_local",
           "origin", "adhoc_reason", "viability", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_csv(rows: Iterable[dict[str, Any]], tz_name: str) -> str:
    tz = zone(tz_name)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        b = r["block"]
        w.writerow([safe(v) for v in (
            b.service_date.isoformat(), b.block_id, r["vehicle_id"], b.pull_out.isoformat(),
            to_local(b.pull_out, tz).isoformat(), b.pull_in.isoformat(), to_local(b.pull_in, tz).isoformat(),
            b.origin, b.adhoc_reason, r["viability"], r["note"])])
    return out.getvalue()


def export_tods(rows: Iterable[dict[str, Any]]) -> str:
    """TODS v2 vehicle_assignments.txt: date, service_id, block_id, vehicle_id (assigned blocks only)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(("date", "service_id", "block_id", "vehicle_id"))
    for r in rows:
        if r["vehicle_id"]:
            b = r["block"]
            w.writerow([b.service_date.strftime("%Y%m%d"), safe(r.get("service_id") or ""), safe(b.block_id),
                        safe(r["vehicle_id"])])
    return out.getvalue()
