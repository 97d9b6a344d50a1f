"""The foundation through the real CLI, on both databases."""

from __future__ import annotations

from tests.helpers import run_cli, shared

KCM = "kcm_subset_2016.zip"


def _depot(db_url: str, tz: str = "America/Los_Angeles") -> None:
    assert run_cli(db_url, "depot", "add", "K", "--name", "KCM", "--tz", tz).code == 0


def test_kcm_import_and_day_setup(db_url: str) -> None:
    _depot(db_url)
    r = run_cli(db_url, "schedule", "import-gtfs", str(shared("gtfs", KCM)), "--depot", "K", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert (doc["trips"], doc["blocks"], doc["generated_blocks"]) == (282, 49, 0)
    assert any("ft" in w for w in doc["warnings"])
    day = run_cli(db_url, "day", "setup", "--depot", "K", "--date", "2016-04-13", "--json").json()
    assert (day["blocks"], day["trips"]) == (25, 114)
    blocks = run_cli(db_url, "day", "blocks", "--depot", "K", "--date", "2016-04-13", "--json").json()
    assert blocks["service_date"] == "2016-04-13"
    assert len(blocks["blocks"]) == 25
    first = blocks["blocks"][0]
    assert set(first) >= {"block_id", "pull_out", "pull_in", "distance_km", "distance_source", "trips",
                          "routes", "origin", "status"}
    assert first["pull_out"].endswith("+00:00")
    assert sum(b["trips"] for b in blocks["blocks"]) == 114


def test_day_setup_is_idempotent(db_url: str) -> None:
    _depot(db_url)
    run_cli(db_url, "schedule", "import-gtfs", str(shared("gtfs", KCM)), "--depot", "K")
    first = run_cli(db_url, "day", "setup", "--depot", "K", "--date", "2016-04-13", "--json").json()
    again = run_cli(db_url, "day", "setup", "--depot", "K", "--date", "2016-04-13", "--json").json()
    assert first["added"] == 25
    assert (again["added"], again["changed"], again["removed"], again["unchanged"]) == (0, 0, 0, 25)


def test_unknown_depot_is_a_clear_error(db_url: str) -> None:
    r = run_cli(db_url, "schedule", "import-gtfs", str(shared("gtfs", KCM)), "--depot", "NOPE")
    assert r.code == 1
    assert "no depot 'NOPE'" in r.stderr


def test_bad_time_zone_is_refused(db_url: str) -> None:
    r = run_cli(db_url, "depot", "add", "X", "--name", "X", "--tz", "Mars/Olympus")
    assert r.code == 1 and "unknown time zone" in r.stderr
    assert "X" not in run_cli(db_url, "depot", "list", "--json").stdout


def test_duplicate_depot_is_refused(db_url: str) -> None:
    _depot(db_url)
    r = run_cli(db_url, "depot", "add", "K", "--name", "again", "--tz", "UTC")
    assert r.code == 1 and "already exists" in r.stderr


def test_usage_error_exits_2(db_url: str) -> None:
    assert run_cli(db_url, "day", "setup", "--depot", "K").code == 2


def test_a_database_not_set_up_says_to_upgrade_it_not_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # seen on a replay: a command against a new database file printed a SQLAlchemy traceback
    url = f"sqlite:///{tmp_path / 'new.db'}"
    r = run_cli(url, "plan", "recommend", "--depot", "K", "--date", "2026-12-01")
    assert r.code == 1 and "Traceback" not in r.stderr
    assert "not set up for this version" in r.stderr and "depotdispatch db upgrade" in r.stderr
    assert run_cli(url, "db", "upgrade").code == 0
    after = run_cli(url, "plan", "recommend", "--depot", "K", "--date", "2026-12-01")
    assert after.code == 1 and "no depot 'K'" in after.stderr  # set up now: the usual refusal
