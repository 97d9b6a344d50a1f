"""Cold-climate days on Barrie 2026 and both databases (issue 10, defects 9-10): negative temperatures on
the command line, a depot default, an hourly profile used per block, deep cold priced as deep cold."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, shared

DAY, NIGHT = "2026-02-18", "2026-02-18T02:00:00-05:00"
FLEET = ("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
         "E1,XE,bev,660,1.2,150\nE2,XE,bev,660,1.2,150\n")


def barrie(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=NIGHT)

    assert cli("depot", "add", "BAR", "--name", "Barrie", "--tz", "America/Toronto").code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", "barrie_2026.zip")), "--depot", "BAR").code == 0
    assert cli("day", "setup", "--depot", "BAR", "--date", DAY).code == 0
    (tmp_path / "fleet.csv").write_text(FLEET)
    assert cli("fleet", "import", str(tmp_path / "fleet.csv"), "--depot", "BAR").code == 0
    (tmp_path / "soc.csv").write_text("vehicle_id,soc_pct,measured_at,source,plugged_in\n"
                                      "E1,100,2026-02-18T01:30:00-05:00,telematics,yes\n"
                                      "E2,100,2026-02-18T01:30:00-05:00,telematics,yes\n")
    assert cli("soc", "import", str(tmp_path / "soc.csv")).code == 0
    blocks = cli("day", "blocks", "--depot", "BAR", "--date", DAY, "--json").json()["blocks"]
    early, day = blocks[0]["block_id"], next(b["block_id"] for b in blocks if b["pull_out_local"][11:16] == "06:50")
    for block, vid in ((early, "E1"), (day, "E2")):
        v = cli("plan", "version", "--depot", "BAR", "--date", DAY, "--json").json()["plan_version"]
        assert cli("plan", "assign", block, vid, "--depot", "BAR", "--date", DAY, "--version", str(v),
                   "--override-reason", "long winter blocks").code == 0
    return cli, early, day


def energy(cli, block: str) -> dict:  # type: ignore[no-untyped-def]
    doc = cli("day", "board", "--depot", "BAR", "--date", DAY, "--json").json()
    return next(b for b in doc["blocks"] if b["block_id"] == block)["detail"]["energy"]


def test_negative_temperature_on_the_command_line_and_deep_cold(db_url: str, tmp_path: Path) -> None:
    cli, early, _ = barrie(db_url, tmp_path)
    r = cli("day", "temperature", "--depot", "BAR", "--date", DAY, "-10")
    assert r.code == 0, r.stderr  # was: "No such option: -1"
    at_10 = energy(cli, early)
    assert at_10["inputs"]["temperature_c"] == -10
    assert cli("day", "temperature", "--depot", "BAR", "--date", DAY, "-25").code == 0
    at_25 = energy(cli, early)
    assert at_25["expected_kwh"] > at_10["expected_kwh"] * 1.2  # deep cold is not priced like mild cold
    assert at_25["inputs"]["energy_cv"] > at_10["inputs"]["energy_cv"] > at_10["inputs"]["energy_cv_base"]
    bad = cli("day", "temperature", "--depot", "BAR", "--date", DAY, "-75")
    assert bad.code == 1 and "not plausible" in bad.stderr
    word = cli("day", "temperature", "--depot", "BAR", "--date", DAY, "cold")
    assert word.code == 1 and "not a temperature" in word.stderr


def test_depot_default_and_an_hourly_profile_used_per_block(db_url: str, tmp_path: Path) -> None:
    cli, early, day = barrie(db_url, tmp_path)
    assert cli("depot", "set", "BAR", "--temperature-c", "-8").code == 0
    assert energy(cli, early)["inputs"]["temperature_c"] == -8  # the day has no figure of its own
    profile = tmp_path / "hours.csv"
    profile.write_text("hour,temp_c\n" + "".join(f"{h},{-20 + h}\n" for h in range(24)))  # -20 at 00 to 3 at 23
    r = cli("day", "temperature", "--depot", "BAR", "--date", DAY, "--profile", str(profile))
    assert r.code == 0, r.stderr
    t_early, t_day = energy(cli, early)["inputs"]["temperature_c"], energy(cli, day)["inputs"]["temperature_c"]
    # the 04:35-23:44 block and the 06:50-18:46 one see different hours of the same day
    assert t_early != t_day and -20 < t_early < 3 and -20 < t_day < 3
    assert t_day == pytest.approx(sum(-20 + h for h in range(6, 19)) / 13, abs=1.0)
    broken = tmp_path / "broken.csv"
    broken.write_text("hour,temp_c\n25,-3\n")
    bad = cli("day", "temperature", "--depot", "BAR", "--date", DAY, "--profile", str(broken))
    assert bad.code == 1 and "0-23" in bad.stderr
    assert energy(cli, early)["inputs"]["temperature_c"] == t_early  # nothing written
    assert cli("day", "temperature", "--depot", "BAR", "--date", DAY).code == 0  # back to the depot's
    assert energy(cli, early)["inputs"]["temperature_c"] == -8
