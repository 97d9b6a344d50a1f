"""The demo seeds a past week that the KPI page can show: every KPI has something in it."""

from __future__ import annotations

from tests.helpers import run_cli

NOW = "2026-11-25T06:00:00-08:00"


def test_demo_past_week_has_every_kind_of_kpi(db_url: str) -> None:
    assert run_cli(db_url, "demo", "--no-serve", now=NOW).code == 0
    r = run_cli(db_url, "kpi", "--depot", "KCM", "--from", "2026-11-18", "--to", "2026-11-24", "--json", now=NOW)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["blocks"] > 50 and 0.5 < doc["ev_share_blocks"] < 1
    assert doc["diesel_substitutions"] and doc["uncovered"] >= 1 and doc["plan_churn"] >= 1
    o = doc["overrides"]
    assert o["count"] >= 2 and o["proved_right"] >= 1 and o["proved_wrong"] >= 1
    [week] = [w for w in doc["warning_accuracy"] if w["ok"]][:1]
    assert week["warned"] >= 1 and week["ok_failed"] >= 1  # the change-out
    assert sum(1 for d in doc["days"] if d["blocks"]) >= 5
