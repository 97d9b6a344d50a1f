"""Fuzz every file reader (issue 17): random bytes and mutated real files raise only InvalidInput,
and an import that refuses writes nothing (both databases)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotdispatch.adapters import gtfs
from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.fleet_csv import read_fleet
from depotdispatch.adapters.sheet_csv import read_sheet
from depotdispatch.adapters.soc_csv import read_soc
from depotdispatch.adapters.uts import read_uts, uts_blocks
from depotdispatch.domain.errors import InvalidInput
from tests.helpers import SHARED, run_cli

DAY = date(2025, 6, 20)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _real(*parts: str) -> bytes:
    return SHARED.joinpath(*parts).read_bytes()[:6000]


def _seeds() -> list[bytes]:
    out = [b"vehicle_id,soc_pct,measured_at\nE1,50,2026-11-25T01:00:00Z\n",
           b"block_id,pull_out,pull_in,distance_km\n101,05:00,09:00,60\n",
           b"block_id,vehicle_id\n101,E1\n",
           "DEPOT,ROUTE,RUN NUMBER,DATE,SCHED PO,SCHED PI,BUS NUMBER\nCAS,B1,1,2025-06-20,06:05A,10:00A,7\n"
           .encode("utf-16")]
    for folder in (SHARED / "energy" / "gtrans_2025-06-20", SHARED / "dispatch" / "mta_nyct_uts",
                   SHARED / "dispatch" / "gtrans_2025-06-20"):
        out += [p.read_bytes()[:6000] for p in sorted(folder.glob("*.csv"))[:2]]
    return out


SEEDS = _seeds()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real file with a few bytes flipped, inserted or cut, or random bytes with a plausible header."""
    if draw(st.booleans()):
        return draw(st.sampled_from([b"", b"block_id,vehicle_id\n", b"\xff\xfe", b"\xef\xbb\xbf"])) + draw(
            st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "cut", "special"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 50))]
        else:
            data[at:at] = draw(st.sampled_from([b"\x00", b"\x1b[31m", b'"', b"\r", b"999:00:00", b"1e309", b"nan",
                                                b"-120", b"'=SUM(A1)", "\u2028".encode(), b"\xed\xa0\x80"]))
    return bytes(data)


READERS = {
    "fleet": lambda d: read_fleet(d, "f.csv"),
    "soc": lambda d: read_soc(d, "s.csv"),
    "blocks": lambda d: read_blocks(d, "b.csv"),
    "sheet": lambda d: read_sheet(d, "sheet.csv", DAY),
    "uts": lambda d: uts_blocks(read_uts(d, "u.csv")),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(data=mutated())
def test_csv_readers_raise_only_invalid_input(reader: str, data: bytes) -> None:
    try:
        READERS[reader](data)
    except InvalidInput:
        pass


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _feed_files() -> dict[str, bytes]:
    with zipfile.ZipFile(SHARED / "gtfs" / "umich_ann_arbor_2022.zip") as z:
        wanted = ("agency.txt", "calendar.txt", "calendar_dates.txt", "routes.txt", "trips.txt", "stops.txt",
                  "stop_times.txt")
        files = {Path(n).name: z.read(n) for n in z.namelist() if Path(n).name in wanted}
    # a small but real feed: the first few trips and their stop times
    trips = files["trips.txt"].splitlines(keepends=True)[:8]
    ids = {line.split(b",")[2] for line in trips[1:]} if trips else set()
    header = trips[0].split(b",") if trips else []
    col = header.index(b"trip_id") if b"trip_id" in header else 2
    ids = {line.split(b",")[col] for line in trips[1:]}
    st_lines = files["stop_times.txt"].splitlines(keepends=True)
    files["trips.txt"] = b"".join(trips)
    files["stop_times.txt"] = st_lines[0] + b"".join(ln for ln in st_lines[1:] if ln.split(b",")[0] in ids)
    return files


FEED = _feed_files()


@st.composite
def mutated_feed(draw: st.DrawFn) -> bytes:
    files = dict(FEED)
    name = draw(st.sampled_from(sorted(files)))
    if draw(st.integers(0, 9)) == 0:
        del files[name]
    else:
        data = bytearray(files[name])
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, max(0, len(data) - 1)))
            data[at:at + draw(st.integers(0, 3))] = draw(st.sampled_from(
                [b"\x00", b",", b"\n", b"99991231", b"999:00:00", b"1e309", b"\xff", b'"', b"", b"-", b"X" * 300]))
        files[name] = bytes(data)
    raw = _zip(files)
    if draw(st.integers(0, 9)) == 0:  # a damaged archive
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]
    return raw


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated_feed())
def test_gtfs_reader_raises_only_invalid_input(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("feed") / "feed.zip"
    path.write_bytes(raw)
    try:
        gtfs.read_gtfs(path)
    except InvalidInput:
        pass


def test_refused_imports_write_nothing(db_url: str, tmp_path: Path) -> None:
    """Every mutated file the CLI refuses leaves the database as it was (both databases)."""
    assert run_cli(db_url, "depot", "add", "F", "--name", "F", "--tz", "UTC").code == 0

    def state() -> tuple:
        schedules = run_cli(db_url, "schedule", "list", "--depot", "F", "--json").json()["schedules"]
        vehicles = run_cli(db_url, "fleet", "list", "--depot", "F", "--json").json()["vehicles"]
        return len(schedules), len(vehicles)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated(), kind=st.sampled_from(["fleet", "blocks", "soc"]), feed=mutated_feed())
    def check(data: bytes, kind: str, feed: bytes) -> None:
        before = state()
        f = tmp_path / "x.csv"
        f.write_bytes(data)
        z = tmp_path / "x.zip"
        z.write_bytes(feed)
        args = {"fleet": ["fleet", "import", str(f), "--depot", "F", "--strict"],
                "blocks": ["schedule", "import-blocks", str(f), "--depot", "F", "--start", "2026-01-01", "--end",
                           "2026-01-02"],
                "soc": ["soc", "import", str(f)]}[kind]
        for command in (args, ["schedule", "import-gtfs", str(z), "--depot", "F", "--again"]):
            r = run_cli(db_url, *command, now="2026-01-01T12:00:00Z")
            assert r.code in (0, 1) and "Traceback" not in r.stderr, r.stderr
            if r.code == 1 and command[0] != "soc":
                assert state() == before, (command, r.stderr)
            before = state()

    check()
