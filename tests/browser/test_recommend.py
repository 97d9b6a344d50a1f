"""The recommendation panel: run, read the explanations, accept only the ticked proposals."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from depotdispatch.services import audit, replan
from depotdispatch.services import board as board_svc
from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in


def test_run_and_accept_some_proposals(page: Page, server: Server) -> None:
    sign_in(page, server, path=f"/depots/{world.DEPOT}/recommendation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommendation for 2026-11-25")
    page.get_by_role("button", name="Run the recommendation").click()
    table = page.get_by_role("table", name="Proposals", exact=True)
    expect(table).to_be_visible()
    proposed = table.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.block)")
    assert set(proposed) <= {"B1", "B2", "B3", "B4"} and len(proposed) >= 2
    # the one-line summary first, counting what the tables list
    summary = page.locator(".rec-summary")
    expect(summary).to_contain_text(f"Covers {len(proposed)} of ")
    uncovered = page.locator("ul.uncovered li").count()
    expect(summary).to_contain_text(f"{uncovered} uncovered" if uncovered else "none uncovered")
    expect(table.locator("tbody tr").first.locator("td").last).not_to_be_empty()  # an explanation
    shot(page, server, "recommendation")
    assert axe_serious(page) == []
    dropped = proposed[-1]
    page.get_by_label("Accept", exact=False).last.uncheck()
    page.get_by_role("button", name="Accept the ticked proposals").click()
    result = page.locator("#accept-result")
    expect(result).to_contain_text(f"{len(proposed) - 1} proposals accepted" if len(proposed) > 2
                                   else "1 proposal accepted")
    events = audit.events(server.app.uow(), world.DEPOT, kind="recommendation_accepted")
    assert sorted(e.block_id for e in events) == sorted(proposed[:-1])
    assert dropped not in {e.block_id for e in events}
    assert {e.actor for e in events} == {"dana"}


def test_replan_shows_each_move_and_its_gain_and_makes_the_ticked_ones(page: Page, server: Server) -> None:
    uow = server.app.uow
    v = plan_svc.assign(uow(), world.DEPOT, world.DAY, "B1", "D1", plan_version=0, actor="sam", now=world.NOW,
                        source="recommended").plan_version
    v = plan_svc.assign(uow(), world.DEPOT, world.DAY, "B3", "D2", plan_version=v, actor="sam", now=world.NOW,
                        source="imported").plan_version
    v = plan_svc.assign(uow(), world.DEPOT, world.DAY, "B2", "E2", plan_version=v, actor="sam",
                        now=world.NOW).plan_version
    expected = replan.replan(uow(), world.DEPOT, world.DAY, world.NOW)
    assert expected.moves and "B2" not in {m.block_id for m in expected.moves}

    sign_in(page, server, path=f"/depots/{world.DEPOT}/recommendation")
    page.get_by_role("button", name="Re-plan").click()
    table = page.locator("table.moves")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.block)") == [m.block_id for m in expected.moves]
    for i, m in enumerate(expected.moves):
        expect(rows.nth(i).locator("td").nth(1)).to_have_text(m.from_vehicle or "none")
        expect(rows.nth(i).locator("td").nth(2)).to_have_text(m.to_vehicle or "none")
        expect(rows.nth(i).locator("td").nth(3)).to_have_text(m.gain)
        expect(rows.nth(i).locator("td").nth(4)).to_have_text(m.explanation)
    # each gain is the move's own words: its change in coverage, or the block it frees its bus for
    assert all(("covered" in m.gain or "by EV" in m.gain or "frees" in m.gain) for m in expected.moves)
    assert not any("a block that gains more" in m.gain + m.explanation for m in expected.moves)
    gain = expected.as_dict()["gain"]
    expect(page.locator(".gain")).to_contain_text(
        f"with a battery-electric bus {expected.before[1]} → {expected.after[1]} ({gain['ev_covered']:+d})")
    expect(page.locator(".gain")).to_contain_text("1 assignment made by hand is kept as it is")
    shot(page, server, "replan")
    assert axe_serious(page) == []

    # a colleague changes the plan meanwhile: refused with a readable sentence, nothing moved
    plan_svc.assign(uow(), world.DEPOT, world.DAY, "B4", "E1", plan_version=v, actor="sam", now=world.NOW)
    page.get_by_role("button", name="Make the ticked moves").click()
    expect(page.locator("#replan-result .error-box")).to_be_visible()
    assert {e.kind for e in audit.events(uow(), world.DEPOT)}.isdisjoint({"recommendation_accepted"})

    page.get_by_role("button", name="Re-plan").click()
    fresh = replan.replan(uow(), world.DEPOT, world.DAY, world.NOW)
    expect(page.locator("table.moves tbody tr")).to_have_count(len(fresh.moves))
    page.get_by_role("button", name="Make the ticked moves").click()
    expect(page.locator("#replan-result")).to_contain_text(f"{len(fresh.moves)} move")
    plan = {r.block.block_id: r.assignment for r in board_svc.board(
        uow(), world.DEPOT, world.NOW, service_date=world.DAY, whole_day=True).rows if r.assignment}
    for m in fresh.moves:
        assert (plan[m.block_id].vehicle_id if m.block_id in plan else None) == m.to_vehicle
    assert plan["B2"].vehicle_id == "E2" and plan["B2"].source == "manual"
    moved = audit.events(uow(), world.DEPOT, kind="recommendation_accepted")
    assert sorted(e.block_id for e in moved) == sorted(m.block_id for m in fresh.moves)
