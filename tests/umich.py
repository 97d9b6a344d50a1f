"""The UMich 2022 day both rule suites replay through the CLI: the depot, the feed, the day set up, a fleet
and a fresh SoC reading for each BEV, all as of the evening before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers import Result, run_cli, shared

UMICH, DAY, NIGHT = "umich_ann_arbor_2022.zip", "2022-01-05", "2022-01-04T22:00:00-05:00"


def fleet_csv(bevs: int, kwh: int, kwh_per_km: float, diesels: int) -> str:
    return ("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
            + "".join(f"E{i},XE,bev,{kwh},{kwh_per_km},150\n" for i in range(1, bevs + 1))
            + "".join(f"D{i},D,diesel,,,\n" for i in range(1, diesels + 1)))


def umich(db_url: str, tmp_path: Path, fleet: str) -> Callable[..., Result]:
    """A `cli(*args, at=NIGHT)` on a database holding depot UM with the day set up and `fleet` imported."""
    def cli(*args: str, at: str = NIGHT) -> Result:
        return run_cli(db_url, *args, now=at)

    assert cli("depot", "add", "UM", "--name", "UMich", "--tz", "America/Detroit").code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", UMICH)), "--depot", "UM").code == 0
    assert cli("day", "setup", "--depot", "UM", "--date", DAY).code == 0
    (tmp_path / "fleet.csv").write_text(fleet)
    assert cli("fleet", "import", str(tmp_path / "fleet.csv"), "--depot", "UM").code == 0
    bevs = [line.split(",")[0] for line in fleet.splitlines()[1:] if ",bev," in line]
    (tmp_path / "soc.csv").write_text("vehicle_id,soc_pct,measured_at,source,plugged_in\n" + "".join(
        f"{v},95,2022-01-04T21:30:00-05:00,telematics,yes\n" for v in bevs))
    assert cli("soc", "import", str(tmp_path / "soc.csv")).code == 0
    return cli
