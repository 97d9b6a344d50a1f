"""Users and tokens on the CLI (DESIGN §9), and the actor on the audit log is who acted, on both databases."""

from __future__ import annotations

import getpass
from datetime import date, datetime

import pytest

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from tests.auth_helpers import PASSWORD, client, make_user, sign_in, token_for, web_client
from tests.helpers import run_cli

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T04:00:00+02:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)


@pytest.fixture
def day(app: App) -> App:
    app.clock.fixed = NOW
    depots.add_depot(app.uow(), Depot("V", "Vilnius", "Europe/Vilnius"), NOW)
    schedules.import_blocks(app.uow(), "V", "b", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                             b"A,05:00,09:00,60\nB,10:00,12:00,40\n"),
                            Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "V", DAY, NOW)
    fleet.import_fleet(app.uow(), "V", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 95, NOW, "telematics")),
                                      (2, SocReading("E2", 95, NOW, "telematics"))], NOW)
    return app


def test_user_and_token_commands_keep_the_contract(day: App, db_url: str) -> None:
    r = run_cli(db_url, "user", "add", "Root.Admin", "--role", "admin", "--password-stdin", "--json",
                stdin=PASSWORD + "\n")
    assert r.code == 0, r.stderr
    assert r.json() == {"name": "root.admin", "role": "admin", "depots": None, "disabled": False,
                        "created_at": r.json()["created_at"]}
    r = run_cli(db_url, "user", "add", "dana", "--role", "dispatcher", "--depot", "V", "--password-stdin",
                stdin=PASSWORD)
    assert r.code == 0 and "dana (dispatcher, depots V) added" in r.stdout
    users = run_cli(db_url, "user", "list", "--json").json()["users"]
    assert [(u["name"], u["role"], u["depots"]) for u in users] == [("dana", "dispatcher", ["V"]),
                                                                    ("root.admin", "admin", None)]
    issued = run_cli(db_url, "token", "issue", "dana", "--label", "ci-bot", "--json")
    assert issued.code == 0 and issued.json()["token"].startswith("ddt_") and issued.json()["label"] == "ci-bot"
    plain = run_cli(db_url, "token", "issue", "dana")
    assert plain.code == 0 and plain.stdout.strip().startswith("ddt_") and "not shown again" in plain.stderr
    tokens = run_cli(db_url, "token", "list", "--json").json()["tokens"]
    assert [t["label"] for t in tokens][0] == "ci-bot" and len(tokens) == 2
    assert all(issued.json()["token"] not in str(t) and "hash" not in str(t) for t in tokens)
    assert run_cli(db_url, "token", "revoke", "dana", "--label", "ci-bot", "--json").json() == {"revoked": 1}
    assert run_cli(db_url, "token", "revoke", "dana", "--json").json() == {"revoked": 1}
    assert run_cli(db_url, "user", "passwd", "dana", "--password-stdin", stdin="another long password\n").code == 0
    assert sign_in(client(day), "dana", "another long password").status_code == 303
    r = run_cli(db_url, "user", "disable", "dana", "--json")
    assert r.code == 0 and r.json()["disabled"] is True
    assert sign_in(client(day), "dana", "another long password").status_code == 401


@pytest.mark.parametrize(("args", "stdin", "phrase"), [
    (("user", "add", "x", "--role", "boss", "--password-stdin"), PASSWORD, "role 'boss'"),
    (("user", "add", "x", "--role", "dispatcher", "--password-stdin"), PASSWORD, "at least one --depot"),
    (("user", "add", "x", "--role", "admin", "--depot", "V", "--password-stdin"), PASSWORD, "every depot"),
    (("user", "add", "x", "--role", "viewer", "--depot", "NOPE", "--password-stdin"), PASSWORD, "no depot 'NOPE'"),
    (("user", "add", "x", "--role", "viewer", "--password-stdin"), "short", "too short"),
    (("user", "add", "x", "--role", "viewer", "--password-stdin"), "", "no password"),
    (("user", "add", "x", "--role", "viewer"), "", "--password-stdin"),
    (("user", "add", "bad name!", "--role", "viewer", "--password-stdin"), PASSWORD, "user name"),
    (("user", "disable", "nobody"), "", "no user 'nobody'"),
    (("token", "issue", "nobody"), "", "no user 'nobody'"),
    (("token", "revoke", "nobody"), "", "no user 'nobody'"),
])
def test_bad_input_to_user_and_token_is_a_message_and_exit_1(day: App, db_url: str, args: tuple[str, ...],
                                                             stdin: str, phrase: str) -> None:
    r = run_cli(db_url, *args, stdin=stdin)
    assert r.code == 1 and phrase in r.stderr and "Traceback" not in r.stderr, (r.code, r.stderr)
    assert run_cli(db_url, "user", "list", "--json").json()["users"] == []  # nothing half-written


def test_the_audit_log_names_the_token_user_the_web_user_and_the_local_admin(
        day: App, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_for(day, "dispatcher", ["V"], name="carol", label="ci-bot")
    api = client(day, headers={"Authorization": f"Bearer {token}"})
    base = f"/api/v1/depots/V/days/{DAY}/plan/assignments"
    # a caller-supplied actor is ignored: the identity is the actor
    r = api.put(f"{base}/A", json={"vehicle_id": "E1", "plan_version": 0, "actor": "mallory"})
    assert r.status_code == 200, r.text
    web = web_client(day, "dispatcher", ["V"], name="dana")
    assert web.put(f"{base}/B", json={"vehicle_id": "E2", "plan_version": 1}).status_code == 200
    monkeypatch.setenv("DEPOTDISPATCH_ACTOR", "ops-night")
    assert run_cli(db_url, "plan", "unassign", "A", "--depot", "V", "--date", str(DAY), "--version", "2").code == 0
    monkeypatch.delenv("DEPOTDISPATCH_ACTOR")
    assert run_cli(db_url, "plan", "unassign", "B", "--depot", "V", "--date", str(DAY), "--version", "3").code == 0
    r = run_cli(db_url, "plan", "assign", "A", "E1", "--depot", "V", "--date", str(DAY), "--version", "4",
                "--actor", "someone-else")
    assert r.code == 2  # the CLI takes no actor either
    assert run_cli(db_url, "user", "disable", "carol").code == 0  # past events keep their actor
    events = run_cli(db_url, "audit", "log", "--depot", "V", "--json").json()["events"]
    assert [(e["kind"], e["block_id"], e["actor"]) for e in reversed(events)] == [
        ("schedule_imported", None, "local-admin"), ("day_set_up", None, "local-admin"),  # the fixture's, in-process
        ("assigned", "A", "carol (token ci-bot)"), ("assigned", "B", "dana"),
        ("unassigned", "A", "cli:ops-night"), ("unassigned", "B", f"cli:{getpass.getuser()}")]
    api_log = client(day, headers={"Authorization": f"Bearer {token_for(day, 'viewer')}"}).get(
        "/api/v1/depots/V/events").json()["events"]
    assert [e["actor"] for e in api_log if e["block_id"]][-1] == "carol (token ci-bot)"


def test_taking_a_bus_out_of_service_from_the_cli_names_the_local_admin_never_a_typed_name(
        day: App, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the Big Blue Bus replay: `fleet availability` wrote "local-admin" (or whatever --actor said) on the audit log
    monkeypatch.setenv("DEPOTDISPATCH_ACTOR", "ops-night")
    r = run_cli(db_url, "fleet", "availability", "E1", "--depot", "V", "--status", "maintenance", "--reason", "doors")
    assert r.code == 0, r.stderr
    typed = run_cli(db_url, "fleet", "availability", "E1", "--depot", "V", "--status", "available", "--reason", "ok",
                    "--actor", "someone-else")
    assert typed.code == 2  # no actor option here either
    events = run_cli(db_url, "audit", "log", "--depot", "V", "--json").json()["events"]
    assert [(e["kind"], e["vehicle_id"], e["actor"]) for e in events if e["kind"] == "availability_changed"] == [
        ("availability_changed", "E1", "cli:ops-night")]


def test_a_user_sees_only_the_depots_they_work_for(day: App) -> None:
    make_user(day, "viewer", ["V"], name="vera")
    depots.add_depot(day.uow(), Depot("W", "Other", "Europe/Vilnius"), NOW)
    c = client(day)
    assert sign_in(c, "vera").status_code == 303
    assert c.get("/api/v1/depots/V/board").status_code == 200
    assert c.get("/api/v1/depots/W/board").status_code == 404


def test_production_hashes_with_argon2s_strong_profile_and_rehashes_a_cheap_hash_at_sign_in(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from depotdispatch.config import Settings
    from depotdispatch.services import identity

    monkeypatch.delenv("DEPOTDISPATCH_ARGON2_PROFILE")
    assert Settings().argon2_profile == "RFC_9106_LOW_MEMORY"
    identity.use_argon2_profile("CHEAPEST")  # as test runs hash (whatever the environment says)
    user = make_user(app)
    with app.reader() as uow:
        assert ",t=1,p=1" in (uow.identity.password_hash(user.user_id) or "")
    try:
        App(database_url=app.database_url, clock=app.clock)  # a server with the default settings
        identity.sign_in(app.uow(), user.name, PASSWORD, "127.0.0.1", app.auth_clock.now())
        with app.reader() as uow:
            assert "$m=65536,t=3,p=4$" in (uow.identity.password_hash(user.user_id) or "")
    finally:
        identity.use_argon2_profile("CHEAPEST")
    with pytest.raises(InvalidInput, match="unknown argon2 profile"):
        identity.use_argon2_profile("FAST")
