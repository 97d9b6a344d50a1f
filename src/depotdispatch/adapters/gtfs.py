"""Read a GTFS zip into the domain's trips and service calendars, with polars.

Only what dispatch needs is kept: one record per trip (first departure, last arrival, end stops,
distance and how it was obtained) and each service_id's calendar. Stop times are not stored.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.blocks import Stop, Trip
from depotdispatch.domain.distance import EARTH_RADIUS_KM, UNITS_PER_KM, detect_unit
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import CONTROL, CONTROL_IN_ID, MAX_BLOCK_S, MAX_DISTANCE_KM, MAX_LEN, MAX_TEXT
from depotdispatch.domain.schedules import FeedContent
from depotdispatch.domain.servicetime import MAX_SERVICE_S

REQUIRED = {
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
CALENDAR_COLS = ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                 "start_date", "end_date")
CALENDAR_DATES_COLS = ("service_id", "date", "exception_type")
TIME_RE = r"^\d{1,3}:[0-5]\d:[0-5]\d$"
# Members are sized before they are read: a 1.6 MB zip can hold a 1.5 GiB stop_times.txt.
MAX_MEMBER_BYTES = 1 << 30
MAX_FEED_BYTES = 2 << 30
ID_COLUMNS = ("trip_id", "service_id", "block_id", "route_id", "stop_id", "shape_id")


class _Zip:
    def __init__(self, path: Path) -> None:
        self.name = path.name
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"{path.name} is not a GTFS zip file ({exc})", file=path.name) from exc
        # Feeds are sometimes zipped with a top folder: index members by their base name.
        self.members = {Path(n).name: n for n in self.zf.namelist() if n.endswith(".txt")}
        total = 0
        for base, member in self.members.items():
            size = self.zf.getinfo(member).file_size
            total += size
            if size > MAX_MEMBER_BYTES:
                raise InvalidInput(f"{base} unpacks to {size:,} bytes; the limit is {MAX_MEMBER_BYTES:,}",
                                   file=base)
        if total > MAX_FEED_BYTES:
            raise InvalidInput(f"the feed unpacks to {total:,} bytes; the limit is {MAX_FEED_BYTES:,}", file=path.name)

    def has(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str, required: tuple[str, ...] = (), wanted: tuple[str, ...] | None = None) -> pl.DataFrame:
        """The file as strings; `wanted` limits it to those columns (when present) to save memory."""
        try:
            raw = self.zf.read(self.members[name])
        except KeyError as exc:
            raise InvalidInput(f"the feed has no {name}", file=name) from exc
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError, zlib.error) as exc:
            raise InvalidInput(f"{name} cannot be read from the zip ({exc})", file=name) from exc
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InvalidInput("is not UTF-8 text", file=name, row=line) from exc
        if not raw.strip():
            df = pl.DataFrame()
        else:
            columns = None
            if wanted is not None:
                header = raw.split(b"\n", 1)[0].decode("utf-8").rstrip("\r").split(",")
                columns = [h for h in header if h.strip().strip('"').lower() in set(wanted) | set(required)] or None
            try:
                df = pl.read_csv(io.BytesIO(raw), infer_schema=False, truncate_ragged_lines=True, columns=columns)
            except pl.exceptions.PolarsError as exc:
                raise InvalidInput(f"cannot be read as CSV: {str(exc).splitlines()[0]}", file=name) from exc
        df = df.rename({c: c.strip().lower() for c in df.columns})
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise InvalidInput(f"required column {missing[0]!r} is missing", file=name, column=missing[0])
        # Blank cells mean "absent" in GTFS; blank lines are skipped but keep their row numbers.
        df = df.with_columns(pl.col(pl.String).str.strip_chars().replace("", None)).with_row_index("_row")
        df = df.filter(~pl.all_horizontal(pl.exclude("_row").is_null())) if df.width > 1 else df
        for col in df.columns:
            if col == "_row":
                continue
            limit = MAX_LEN.get(col, MAX_TEXT)
            _bad_row(df, pl.col(col).is_null() | (pl.col(col).str.len_chars() <= limit), col, name,
                     f"at most {limit} characters long")
            control = CONTROL_IN_ID if col in ID_COLUMNS else CONTROL
            _bad_row(df, pl.col(col).is_null() | ~pl.col(col).str.contains(control), col, name,
                     "free of control characters")
        return df


def _bad_row(df: pl.DataFrame, ok: pl.Expr, column: str, file: str, what: str) -> None:
    bad = df.filter(~ok.fill_null(False)).head(1)
    if bad.height:
        value = bad[column][0]
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "..."
        raise InvalidInput(f"{shown!r} is not {what}", file=file, row=int(bad["_row"][0]) + 2, column=column)


def _parse_dates(df: pl.DataFrame, column: str, file: str) -> pl.Series:
    _bad_row(df, pl.col(column).str.contains(r"^\d{8}$"), column, file, "a date of the form YYYYMMDD")
    parsed = df[column].str.strptime(pl.Date, "%Y%m%d", strict=False)
    _bad_row(df.with_columns(parsed.alias("_p")), pl.col("_p").is_not_null(), column, file, "a real date")
    return parsed


def _services(z: _Zip) -> dict[str, Applicability]:
    weekdays: dict[str, tuple[date, date, frozenset[int]]] = {}
    if z.has("calendar.txt"):
        cal = z.read("calendar.txt", CALENDAR_COLS)
        if cal.height:
            starts = _parse_dates(cal, "start_date", "calendar.txt")
            ends = _parse_dates(cal, "end_date", "calendar.txt")
            for day in CALENDAR_COLS[1:8]:
                _bad_row(cal, pl.col(day).is_in(["0", "1"]), day, "calendar.txt", "0 or 1")
            flags = cal.select([(pl.col(d) == "1") for d in CALENDAR_COLS[1:8]]).rows()
            for sid, start, end, row in zip(cal["service_id"], starts, ends, flags, strict=True):
                if sid is None:
                    continue
                weekdays[sid] = (start, end, frozenset(i + 1 for i, on in enumerate(row) if on))
    added: dict[str, set[date]] = {}
    removed: dict[str, set[date]] = {}
    if z.has("calendar_dates.txt"):
        cd = z.read("calendar_dates.txt", CALENDAR_DATES_COLS)
        if cd.height:
            days = _parse_dates(cd, "date", "calendar_dates.txt")
            _bad_row(cd, pl.col("exception_type").is_in(["1", "2"]), "exception_type", "calendar_dates.txt", "1 or 2")
            for sid, day, kind in zip(cd["service_id"], days, cd["exception_type"], strict=True):
                (added if kind == "1" else removed).setdefault(sid, set()).add(day)
    if not weekdays and not added:
        raise InvalidInput("the feed has neither calendar.txt nor calendar_dates.txt services", file="calendar.txt")
    services = {}
    for sid in set(weekdays) | set(added) | set(removed):
        plus, minus = added.get(sid, set()), removed.get(sid, set())
        minus -= plus  # a date both added and removed: the addition wins, as most consumers do
        if sid in weekdays:
            start, end, wd = weekdays[sid]
            if end < start:
                raise InvalidInput(f"service {sid!r} ends ({end}) before it starts ({start})", file="calendar.txt")
        elif plus:
            start, end, wd = min(plus), max(plus), frozenset()
        else:
            continue  # only removals and no calendar: never runs
        try:
            services[sid] = Applicability(start, end, wd, frozenset(plus), frozenset(minus))
        except InvalidInput as exc:
            raise InvalidInput(f"service {sid!r}: {exc.detail}",
                               file="calendar.txt" if sid in weekdays else "calendar_dates.txt") from exc
    return services


def _seconds(col: str) -> pl.Expr:
    parts = pl.col(col).str.split(":")
    return (parts.list.get(0).cast(pl.Int64) * 3600 + parts.list.get(1).cast(pl.Int64) * 60
            + parts.list.get(2).cast(pl.Int64))


def _haversine(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    p1, p2 = lat1.radians(), lat2.radians()
    dp, dl = p2 - p1, (lon2 - lon1).radians()
    a = (dp / 2).sin() ** 2 + p1.cos() * p2.cos() * (dl / 2).sin() ** 2
    return 2 * EARTH_RADIUS_KM * a.sqrt().clip(upper_bound=1.0).arcsin()


def _path_lengths(df: pl.DataFrame, key: str, seq: str) -> pl.DataFrame:
    """Great-circle length (km) of each path of points, by key, in sequence order."""
    pts = df.sort([key, seq])
    prev = [pl.col(c).shift(1).over(key) for c in ("lat", "lon")]
    return (
        pts.with_columns(_haversine(prev[0], prev[1], pl.col("lat"), pl.col("lon")).fill_null(0.0).alias("_d"))
        .group_by(key)
        .agg(pl.col("_d").sum().alias("geo_km"))
    )


def _shapes(z: _Zip) -> pl.DataFrame | None:
    if not z.has("shapes.txt"):
        return None
    sh = z.read("shapes.txt", ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
                wanted=("shape_dist_traveled",))
    if not sh.height:
        return None
    sh = sh.with_columns(
        pl.col("shape_pt_lat").cast(pl.Float64, strict=False).alias("lat"),
        pl.col("shape_pt_lon").cast(pl.Float64, strict=False).alias("lon"),
        pl.col("shape_pt_sequence").cast(pl.Int64, strict=False).alias("seq"),
    )
    for col, src in (("lat", "shape_pt_lat"), ("lon", "shape_pt_lon"), ("seq", "shape_pt_sequence")):
        _bad_row(sh, pl.col(col).is_not_null(), src, "shapes.txt", "a number")
    lengths = _path_lengths(sh, "shape_id", "seq")
    if "shape_dist_traveled" in sh.columns:
        stated = sh.group_by("shape_id").agg(
            (pl.col("shape_dist_traveled").cast(pl.Float64, strict=False).max()
             - pl.col("shape_dist_traveled").cast(pl.Float64, strict=False).min()).alias("shape_sdt")
        )
        lengths = lengths.join(stated, on="shape_id", how="left")
    else:
        lengths = lengths.with_columns(pl.lit(None, pl.Float64).alias("shape_sdt"))
    return lengths


def read_gtfs(path: str | Path, *, distance_unit: str | None = None) -> FeedContent:
    """A GTFS zip as a schedule's content: its services and, per trip, the first and last stop's times and
    stops and the distance. In named steps; each refuses bad input with the file, row and column."""
    path = Path(path)
    if distance_unit is not None and distance_unit not in UNITS_PER_KM:
        raise InvalidInput(f"distance unit {distance_unit!r} is not one of {', '.join(UNITS_PER_KM)}")
    z = _Zip(path)
    warnings: list[str] = []
    services = _services(z)
    trips = _read_trips(z, services, warnings)
    st, has_sdt = _read_stop_times(z)
    ends = _trip_ends(st)
    _check_trip_times(ends)
    n_in_file = trips.height
    trips, unit = _with_distances(z, trips.join(ends, on="trip_id", how="inner"), st, has_sdt, distance_unit,
                                  warnings)
    _check_distances(trips)
    has_blocks = _block_warnings(z, trips, warnings)
    records = _trip_records(trips)
    orphans = n_in_file - len(records)
    if orphans:
        warnings.append(f"{orphans} trips have no stop_times and are left out")
    return FeedContent(name=path.stem, services=services, trips=records, distance_unit=unit,
                       has_block_ids=has_blocks, warnings=warnings, content_hash=_sha256(path),
                       stops=_end_stops(z, records))


def _read_trips(z: _Zip, services: dict[str, Any], warnings: list[str]) -> pl.DataFrame:
    """trips.txt: required cells present, trip ids unique, optional columns filled in."""
    trips = z.read("trips.txt", REQUIRED["trips.txt"], wanted=("block_id", "shape_id", "block_name"))
    for col in REQUIRED["trips.txt"]:
        _bad_row(trips, pl.col(col).is_not_null(), col, "trips.txt", "present (the cell is empty)")
    dup = trips.filter(pl.col("trip_id").is_duplicated()).head(2)
    if dup.height:
        raise InvalidInput(f"trip_id {dup['trip_id'][0]!r} appears twice", file="trips.txt",
                           row=int(dup["_row"][1]) + 2, column="trip_id")
    for col in ("block_id", "shape_id", "block_name"):
        if col not in trips.columns:
            trips = trips.with_columns(pl.lit(None, pl.String).alias(col))
    unknown = trips.filter(~pl.col("service_id").is_in(list(services)))
    if unknown.height:
        warnings.append(f"{unknown.height} trips name a service_id with no calendar and never run")

    return trips


def _read_stop_times(z: _Zip) -> tuple[pl.DataFrame, bool]:
    """stop_times.txt, checked and sorted by trip and stop sequence; whether it has shape_dist_traveled."""
    st = z.read("stop_times.txt", REQUIRED["stop_times.txt"], wanted=("shape_dist_traveled",))
    if not st.height:
        raise InvalidInput("stop_times.txt has no rows", file="stop_times.txt")
    _bad_row(st, pl.col("stop_sequence").str.contains(r"^\d+$"), "stop_sequence", "stop_times.txt",
             "a whole number")
    for col in ("arrival_time", "departure_time"):
        _bad_row(st, pl.col(col).is_null() | pl.col(col).str.contains(TIME_RE), col, "stop_times.txt",
                 "a time of the form HH:MM:SS")
    has_sdt = "shape_dist_traveled" in st.columns
    st = st.select(
        "_row", "trip_id", "stop_id", "arrival_time", "departure_time",
        pl.col("stop_sequence").cast(pl.Int64).alias("seq"),
        (pl.col("shape_dist_traveled") if has_sdt else pl.lit(None, pl.String)).alias("sdt"),
    ).sort(["trip_id", "seq"])
    return st, has_sdt


def _trip_ends(st: pl.DataFrame) -> pl.DataFrame:
    """Per trip its first and last stop, times (in seconds of the service day) and travelled distance."""
    # Only a trip's first and last stop matter here, so times are parsed after the reduction.
    return st.group_by("trip_id", maintain_order=True).agg(
        pl.col("_row").first().alias("first_row"),
        pl.col("_row").last().alias("last_row"),
        pl.col("stop_id").first().alias("start_stop"),
        pl.col("stop_id").last().alias("end_stop"),
        pl.coalesce(pl.col("departure_time").first(), pl.col("arrival_time").first()).alias("start_t"),
        pl.coalesce(pl.col("arrival_time").last(), pl.col("departure_time").last()).alias("end_t"),
        # A blank value at the first stop conventionally means 0 (HART, Big Blue Bus do this).
        pl.col("sdt").first().cast(pl.Float64, strict=False).fill_null(0.0).alias("sdt_first"),
        pl.col("sdt").last().cast(pl.Float64, strict=False).alias("sdt_last"),
        pl.len().alias("n_stops"),
    ).with_columns(_seconds("start_t").alias("start_s"), _seconds("end_t").alias("end_s"))


def _check_trip_times(ends: pl.DataFrame) -> None:
    """Every trip has a start and an end time, within the service day, not too long, not backwards."""
    for col, row in (("start_s", "first_row"), ("end_s", "last_row")):
        bad = ends.filter(pl.col(col).is_null()).head(1)
        if bad.height:
            raise InvalidInput(
                f"trip {bad['trip_id'][0]!r} has no time at its {'first' if col == 'start_s' else 'last'} stop",
                file="stop_times.txt", row=int(bad[row][0]) + 2, column="arrival_time")
    for col, row in (("start_s", "first_row"), ("end_s", "last_row")):
        late = ends.filter(pl.col(col) > MAX_SERVICE_S).head(1)
        if late.height:
            raise InvalidInput(f"trip {late['trip_id'][0]!r} has a time more than {MAX_SERVICE_S // 3600} h after "
                               "the service day's start", file="stop_times.txt", row=int(late[row][0]) + 2,
                               column="arrival_time")
    long = ends.filter(pl.col("end_s") - pl.col("start_s") > MAX_BLOCK_S).head(1)
    if long.height:
        raise InvalidInput(f"trip {long['trip_id'][0]!r} lasts more than {MAX_BLOCK_S // 3600} h",
                           file="stop_times.txt", row=int(long["last_row"][0]) + 2, column="arrival_time")
    backwards = ends.filter(pl.col("end_s") < pl.col("start_s")).head(1)
    if backwards.height:
        raise InvalidInput(f"trip {backwards['trip_id'][0]!r} ends before it starts", file="stop_times.txt",
                           row=int(backwards["last_row"][0]) + 2, column="arrival_time")



def _with_distances(z: _Zip, trips: pl.DataFrame, st: pl.DataFrame, has_sdt: bool, distance_unit: str | None,
                    warnings: list[str]) -> tuple[pl.DataFrame, str | None]:
    """Each trip's km and where it came from: shape_dist_traveled (in the stated or detected unit), else the
    shape's length, else the stop-to-stop length; and the unit used."""
    shapes = _shapes(z)
    if shapes is not None:
        trips = trips.join(shapes, on="shape_id", how="left")
    else:
        trips = trips.with_columns(pl.lit(None, pl.Float64).alias("geo_km"),
                                   pl.lit(None, pl.Float64).alias("shape_sdt"))
    trips = trips.with_columns((pl.col("sdt_last") - pl.col("sdt_first")).alias("sdt_span"))

    # Stop-to-stop length, only where neither shape_dist_traveled nor a shape gives a distance.
    need_stops = trips.filter(pl.col("geo_km").is_null() & pl.col("sdt_span").is_null())["trip_id"]
    stop_km = pl.DataFrame({"trip_id": [], "stops_km": []}, schema={"trip_id": pl.String, "stops_km": pl.Float64})
    if (need_stops.len() or (has_sdt and shapes is None)) and z.has("stops.txt"):
        stops = z.read("stops.txt", ("stop_id", "stop_lat", "stop_lon")).select(
            "stop_id", pl.col("stop_lat").cast(pl.Float64, strict=False).alias("lat"),
            pl.col("stop_lon").cast(pl.Float64, strict=False).alias("lon"))
        wanted = st["trip_id"].unique() if shapes is None else need_stops
        pts = st.filter(pl.col("trip_id").is_in(wanted.implode())).join(stops, on="stop_id", how="left")
        stop_km = _path_lengths(pts, "trip_id", "seq").rename({"geo_km": "stops_km"})
    trips = trips.join(stop_km, on="trip_id", how="left")

    unit = distance_unit
    if has_sdt and unit is None:
        ratios = shapes.filter(pl.col("geo_km") > 0.5).select(pl.col("shape_sdt") / pl.col("geo_km")) \
            if shapes is not None else pl.DataFrame()
        values = ratios.to_series().drop_nulls().to_list() if ratios.width else []
        if not values:
            alt = trips.filter(pl.col("stops_km") > 0.5).select(pl.col("sdt_span") / pl.col("stops_km"))
            values = alt.to_series().drop_nulls().to_list()
        unit = detect_unit(values)
        if unit:
            warnings.append(f"shape_dist_traveled read as {unit} (detected from the shapes' lengths)")
    per_km = UNITS_PER_KM.get(unit or "", None)

    trips = trips.with_columns(
        pl.when(pl.col("sdt_span").is_not_null() & (pl.col("sdt_span") > 0) & pl.lit(per_km is not None))
        .then(pl.struct((pl.col("sdt_span") / (per_km or 1.0)).alias("km"), pl.lit("shape_dist_traveled").alias("src")))
        .when(pl.col("geo_km") > 0)
        .then(pl.struct(pl.col("geo_km").alias("km"), pl.lit("shape").alias("src")))
        .when(pl.col("stops_km") > 0)
        .then(pl.struct(pl.col("stops_km").alias("km"), pl.lit("stops").alias("src")))
        .otherwise(pl.struct(pl.lit(None, pl.Float64).alias("km"), pl.lit("unknown").alias("src")))
        .alias("_dist")
    ).unnest("_dist")

    return trips, unit


def _check_distances(trips: pl.DataFrame) -> None:
    implausible = trips.filter(pl.col("km").is_not_null() & ~(pl.col("km").is_finite() & (pl.col("km") >= 0)
                                                               & (pl.col("km") <= MAX_DISTANCE_KM))).head(1)
    if implausible.height:
        source = {"shape_dist_traveled": "stop_times.txt", "shape": "shapes.txt"}.get(implausible["src"][0],
                                                                                     "stops.txt")
        raise InvalidInput(f"trip {implausible['trip_id'][0]!r} would be {implausible['km'][0]:g} km long; "
                           f"a trip's distance is 0 to {MAX_DISTANCE_KM:g} km", file=source,
                           column=implausible["src"][0] if source == "stop_times.txt" else None)


def _block_warnings(z: _Zip, trips: pl.DataFrame, warnings: list[str]) -> bool:
    """What the feed lacks for dispatch, said once; whether it has block ids at all."""
    has_blocks = trips["block_id"].null_count() < trips.height
    if not has_blocks:
        warnings.append("the feed has no block_id: blocks will be generated by chaining trips at the same stop")
    elif trips["block_id"].null_count():
        warnings.append(f"{trips['block_id'].null_count()} trips have no block_id: they get generated blocks")
    if z.has("frequencies.txt") and z.read("frequencies.txt", ()).height:
        warnings.append("frequencies.txt is not expanded: frequency-based trips count once, at their stated times")
    unknown_dist = trips.filter(pl.col("km").is_null()).height
    if unknown_dist:
        warnings.append(f"{unknown_dist} trips have no distance (no shape_dist_traveled, shape or stop coordinates)")

    return has_blocks


def _trip_records(trips: pl.DataFrame) -> list[Trip]:
    return [
        Trip(trip_id=r[0], service_id=r[1], block_id=r[2], route_id=r[3], start_s=r[4], end_s=r[5],
             start_stop=r[6], end_stop=r[7], distance_km=None if r[8] is None else round(r[8], 4),
             distance_source=r[9], block_name=r[10] or None)
        for r in trips.select("trip_id", "service_id", "block_id", "route_id", "start_s", "end_s",
                              "start_stop", "end_stop", "km", "src", "block_name").iter_rows()
    ]


def _end_stops(z: _Zip, trips: list[Trip]) -> dict[str, Stop]:
    """The stops trips start or end at, with name and coordinates where stops.txt gives them (a coordinate
    that is not a number or out of range is taken as unknown: the stop is only not a relief point by distance)."""
    ids = sorted({t.start_stop for t in trips} | {t.end_stop for t in trips})
    if not z.has("stops.txt"):
        return {}
    df = z.read("stops.txt", ("stop_id",), ("stop_id", "stop_name", "stop_lat", "stop_lon"))
    for col in ("stop_name", "stop_lat", "stop_lon"):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(col))
    lat = pl.col("stop_lat").cast(pl.Float64, strict=False)
    lon = pl.col("stop_lon").cast(pl.Float64, strict=False)
    df = df.filter(pl.col("stop_id").is_in(ids)).unique("stop_id", keep="first").select(
        "stop_id", "stop_name", pl.when(lat.is_between(-90, 90)).then(lat).alias("lat"),
        pl.when(lon.is_between(-180, 180)).then(lon).alias("lon"))
    return {r[0]: Stop(r[0], r[1], r[2], r[3]) for r in df.iter_rows()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
