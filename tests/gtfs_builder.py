"""Build small GTFS zips in tests, so edge cases (DST, bad rows) are spelled out where they are used."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

STOPS = "stop_id,stop_name,stop_lat,stop_lon\nA,A,47.60,-122.33\nB,B,47.62,-122.35\nC,C,47.65,-122.30\n"


def make_feed(path: Path, *, trips: list[tuple[str, str, str | None, list[tuple[str, str, str]]]],
              calendar: str | None = None, calendar_dates: str | None = None,
              extra: dict[str, str] | None = None, omit: tuple[str, ...] = (),
              routes: dict[str, str] | None = None) -> Path:
    """trips: (trip_id, service_id, block_id, [(stop_id, arrival, departure), ...]); routes: trip_id -> route_id
    for trips not on R1."""
    route_of = routes or {}
    route_ids = sorted({"R1", *route_of.values()})
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nX,X,http://x,America/New_York\n",
        "stops.txt": STOPS,
        "routes.txt": "route_id,route_short_name,route_type\n" + "".join(f"{r},{r[1:] or r},3\n" for r in route_ids),
        "calendar.txt": calendar or "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                                   "start_date,end_date\nS,1,1,1,1,1,1,1,20260101,20261231\n",
    }
    if calendar_dates:
        files["calendar_dates.txt"] = calendar_dates
    has_block = any(b is not None for _, _, b, _ in trips)
    files["trips.txt"] = "route_id,service_id,trip_id" + (",block_id" if has_block else "") + "\n" + "".join(
        f"{route_of.get(t, 'R1')},{s},{t}" + (f",{b or ''}" if has_block else "") + "\n" for t, s, b, _ in trips)
    files["stop_times.txt"] = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(
        f"{t},{a},{d},{stop},{i + 1}\n" for t, _, _, sts in trips for i, (stop, a, d) in enumerate(sts))
    files.update(extra or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            if name not in omit:
                z.writestr(name, text)
    path.write_bytes(buf.getvalue())
    return path


def strip_column(src: Path, dst: Path, member: str, column: str) -> Path:
    """Copy a real feed, dropping one column of one file (e.g. block_id from trips.txt)."""
    import csv

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(member):
                text = data.decode("utf-8-sig")
                rows = list(csv.reader(io.StringIO(text)))
                idx = rows[0].index(column)
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows([r[:idx] + r[idx + 1:] for r in rows if r])
                data = out.getvalue().encode()
            zout.writestr(info.filename, data)
    return dst
